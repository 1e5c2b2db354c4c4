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
    """Consumes rule results; the strongest effect decides, alert-only results inform.
    Sealed reasons that read alike are written once: how many sealed entries matched is
    itself something a member must not learn."""
    ordered = sorted(results, key=_order)
    rank = max((EFFECT_RANK[r.effect] for r in ordered), default=0)
    reasons: list[dict[str, Any]] = []
    for result in ordered:
        reason = result.as_reason()
        if result.sealed_entry is None or reason not in reasons:
            reasons.append(reason)
    return Verdict(_DECISION_OF_RANK[rank], tuple(reasons))


def _order(result: RuleResult) -> tuple[int, str, str]:
    entry = result.sealed_entry or str(result.evidence.get("entry_id", ""))
    return -EFFECT_RANK[result.effect], result.code, entry
