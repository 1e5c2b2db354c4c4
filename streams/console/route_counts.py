"""The routes report's counts as the desk answers them: holds and blocks per UTC day and
payment method (from the view), and newly linked identifiers per day first seen (from the
links). Pure functions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from typing import Any

from streams.console.hold_state import Json
from streams.model.payment import parse_timestamp
from streams.reports.routes import METHODS

MEASURE_OF_DECISION = {"block": "blocked", "hold": "held"}


def link_day(link: Json) -> str | None:
    """The UTC day (YYYY-MM-DD) a link was first seen, or None when it cannot be read."""
    seen = link.get("first_seen")
    if not isinstance(seen, str):
        return None
    try:
        return parse_timestamp(seen).astimezone(UTC).date().isoformat()
    except ValueError:
        return None


def route_documents(
    decisions: list[tuple[str, str, str, int]], links: list[Json], since_day: str | None
) -> list[dict[str, Any]]:
    """Consumes (day, method, decision, count) rows and link documents; produces one
    `{"day", "method", "measure", "count"}` per day, method and measure, in that order."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for day, method, decision, count in decisions:
        measure = MEASURE_OF_DECISION.get(decision)
        if measure is not None:
            counts[(day, method if method in METHODS else "other", measure)] += count
    for link in links:
        first = link_day(link)
        if first is None or (since_day is not None and first < since_day):
            continue
        kind = link.get("method") if link.get("method") in METHODS else "other"
        counts[(first, str(kind), "new_routes")] += 1
    return [
        {"day": day, "method": method, "measure": measure, "count": count}
        for (day, method, measure), count in sorted(counts.items())
    ]
