"""What a reason may tell a member about a listed entry.

Two limits, the same for decisions and alerts:
- a `sealed` entry (a law-enforcement embargo) is never named: a match on it, whether
  exact, by name or by link, becomes a WATCHLIST_SEALED reason with the effect the match
  would have had and only what the member already has (the payee field that matched);
- an entry contributed by a coalition member names its source `coalition`, so members do
  not learn each other's contributions; authorities (a hotline, the police) stay named.
The `watchlist` topic keeps the real source for the coalition's analysts."""

from __future__ import annotations

from collections.abc import Collection

from streams.rules.base import RuleResult

SEALED_CODE = "WATCHLIST_SEALED"
SEALED_MESSAGE = "sealed: contact the coalition"
COALITION = "coalition"


def sealed_result(effect: str, payee_field: str, entry_id: str) -> RuleResult:
    """The WATCHLIST_SEALED result of a match on sealed entry `entry_id` through the payee's
    `payee_field`: the effect and the field, no entry, source, listed value or reference.
    The entry id stays on the result (overrides, ordering) but is never written."""
    evidence = {"payee_field": payee_field, "message": SEALED_MESSAGE}
    return RuleResult(SEALED_CODE, effect, evidence, sealed_entry=entry_id)


def named_source(source: str, members: Collection[str]) -> str:
    """The source as a member may read it: `coalition` for a member's contribution, an
    authority's name as listed."""
    return COALITION if source in members else source
