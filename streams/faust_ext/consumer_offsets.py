"""What Faust's consumer knows of its group's offsets and exposes no accessor for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def committed_offsets(consumer: Any) -> Mapping[Any, int | None]:
    """The group's committed offset of each partition (TP) as `consumer` (Faust's) last
    knew it: updated on every commit and seeded from the broker on assignment. Empty for
    a consumer that keeps none."""
    offsets: Mapping[Any, int | None] = getattr(consumer, "_committed_offset", {})
    return offsets
