"""The console's Prometheus metrics, computed from the view at each scrape, in a registry
of the desk's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from streams.console.hold_documents import age_s

OpenHolds = Callable[[], dict[str, list[str]]]


def hold_gauges(
    open_holds: dict[str, list[str]], sla_s: float, now: datetime
) -> dict[str, tuple[int, float, int]]:
    """member → (open holds, oldest open age in seconds, open holds older than the SLA),
    from each member's open holds' `decided_at`."""
    found: dict[str, tuple[int, float, int]] = {}
    for member, times in open_holds.items():
        ages = [age_s(t, now) for t in times]
        found[member] = (len(ages), max(ages, default=0.0), sum(1 for a in ages if a > sla_s))
    return found


class HoldCollector(Collector):
    """`screening_holds_open`, `screening_hold_oldest_open_age_seconds` and
    `screening_holds_past_sla`, per member."""

    def __init__(self, open_holds: OpenHolds, sla_s: float, members: Callable[[], list[str]]):
        self.open_holds = open_holds
        self.sla_s = sla_s
        self.members = members

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauges = hold_gauges(self.open_holds(), self.sla_s, datetime.now(UTC))
        for member in self.members():
            gauges.setdefault(member, (0, 0.0, 0))
        families = (
            GaugeMetricFamily(
                "screening_holds_open", "Open holds (open or pending approval)", labels=["member"]
            ),
            GaugeMetricFamily(
                "screening_hold_oldest_open_age_seconds",
                "Age of the oldest open hold",
                labels=["member"],
            ),
            GaugeMetricFamily(
                "screening_holds_past_sla",
                "Open holds older than SCREENING_HOLD_SLA",
                labels=["member"],
            ),
        )
        for member in sorted(gauges):
            count, oldest, late = gauges[member]
            families[0].add_metric([member], count)
            families[1].add_metric([member], oldest)
            families[2].add_metric([member], late)
        yield from families


def console_registry(collector: HoldCollector) -> CollectorRegistry:
    """A registry holding only the desk's collector."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus text format."""
    return generate_latest(registry)
