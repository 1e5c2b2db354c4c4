"""Which loads `screening bench` offers each worker count after its backlog: the fixed
rate of `--rate` (the figure DESIGN.md names, 2,000/s by default), then the loads of
`--rates`, each either payments per second (`3000`) or a share of the saturation rate
that worker count measured on the backlog (`50%`). Pure: parsing, resolving and bounding."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    """One load: `rate` payments/s, or `fraction` (0..1] of the saturation rate."""

    rate: float | None = None
    fraction: float | None = None

    def label(self) -> str:
        """How the table and the JSON name the load, e.g. "2,000/s" or "50% of saturation"."""
        if self.fraction is not None:
            return f"{100 * self.fraction:g}% of saturation"
        return f"{self.rate:,.0f}/s"

    def offered_rate(self, saturation_eps: float | None) -> float | None:
        """Payments/s this load offers against a measured saturation rate; None when it is
        a share of a saturation that was not measured (no rate, or an unbounded one)."""
        if self.fraction is None:
            return self.rate
        if saturation_eps is None or not math.isfinite(saturation_eps) or saturation_eps <= 0:
            return None
        return self.fraction * saturation_eps


def parse_loads(text: str) -> tuple[Load, ...]:
    """`--rates`: comma-separated loads, `N` payments/s or `P%` of saturation (0 < P <= 100);
    "" or "none" for no extra loads. Raises ValueError on anything else."""
    if text.strip().lower() in ("", "none"):
        return ()
    loads: list[Load] = []
    for item in (part.strip() for part in text.split(",")):
        if item.endswith("%"):
            percent = float(item[:-1])
            if not 0 < percent <= 100:
                raise ValueError(f"{item}: a share of saturation is above 0% and at most 100%")
            load = Load(fraction=percent / 100)
        else:
            rate = float(item)
            if not rate >= 1:
                raise ValueError(f"{item}: a rate is at least 1 payment/s")
            load = Load(rate=rate)
        if load not in loads:
            loads.append(load)
    return tuple(loads)


def parse_worker_counts(text: str) -> tuple[int, ...]:
    """`--workers`: comma-separated worker counts (1..16), ascending; one worker is always
    measured, as the reference the others scale against (`--workers 2` runs 1 and 2)."""
    counts = {int(part) for part in text.split(",") if part.strip()}
    if not counts or not all(1 <= n <= 16 for n in counts):
        raise ValueError(f"{text!r}: worker counts are 1 to 16")
    return tuple(sorted(counts | {1}))


def schedule(fixed_rate: float, extra: Sequence[Load]) -> tuple[Load, ...]:
    """The loads offered to each worker count, in order: the fixed rate first (it gives
    the headline latency), then the extra loads that differ from it."""
    first = Load(rate=fixed_rate)
    return (first, *(load for load in extra if load != first))


def phase_size(rate: float, seconds: float, cap: int | None) -> int:
    """How many payments a phase offers: `rate` for `seconds`, at most `cap` (the extra
    loads are bounded by the backlog's size so a quick run stays quick), at least one."""
    count = int(rate * seconds)
    return max(1, min(count, cap) if cap is not None else count)
