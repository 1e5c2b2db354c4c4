"""The console's gauges, by their contract names."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.console.console_metrics import (
    HoldCollector,
    console_registry,
    exposition,
    hold_gauges,
)

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)


def test_open_holds_oldest_age_and_past_sla_per_member() -> None:
    times = {"acme": ["2026-01-15T11:00:00Z", "2026-01-15T06:00:00Z"]}
    assert hold_gauges(times, 4 * 3600.0, NOW) == {"acme": (2, 6 * 3600.0, 1)}


def test_exposition_names() -> None:
    collector = HoldCollector(lambda: {"acme": ["2026-01-15T11:00:00Z"]}, 60.0, lambda: ["zed"])
    text = exposition(console_registry(collector)).decode()
    for name in (
        "screening_holds_open",
        "screening_hold_oldest_open_age_seconds",
        "screening_holds_past_sla",
    ):
        assert f'{name}{{member="acme"}}' in text and f'{name}{{member="zed"}} 0.0' in text
