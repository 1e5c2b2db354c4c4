"""The decision policy: block > hold > allow, with every reason that contributed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from streams.rules.base import EFFECT_RANK, RuleResult

_DECISION_OF_RANK = {0: "allow", 1: "hold", 2: "block"}


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision and its reasons, strongest first, in a deterministic order."""

    decision: str
    reasons: tuple[dict[str, Any], ...]
    overrides: tuple[str, ...] = ()


def decide(results: Iterable[RuleResult]) -> Verdict:
    """Consumes rule results; the strongest effect decides, alert-only results inform."""
    ordered = sorted(
        results,
        key=lambda r: (-EFFECT_RANK[r.effect], r.code, str(r.evidence.get("entry_id", ""))),
    )
    rank = max((EFFECT_RANK[r.effect] for r in ordered), default=0)
    return Verdict(_DECISION_OF_RANK[rank], tuple(r.as_reason() for r in ordered))
