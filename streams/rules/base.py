"""What every rule consumes (a payment and a read-only context) and produces."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from streams.model.payment import Payment
from streams.watchlist.entry import ListedIdentifier, Override, WatchlistEntry
from streams.watchlist.links import LinkIndex
from streams.watchlist.name_index import NameHit

# Effects a rule result can have on the decision, weakest first.
EFFECT_RANK: Mapping[str, int] = {"allow": 0, "alert": 0, "hold": 1, "block": 2}


class WatchlistView(Protocol):
    """Read-only watchlist lookups a rule may make."""

    @property
    def version(self) -> str: ...

    def lookup(self, key: str) -> list[tuple[WatchlistEntry, ListedIdentifier]]: ...

    @property
    def hashed_entries(self) -> int: ...

    def lookup_entry(self, entry_id: str) -> WatchlistEntry | None: ...

    def overrides_for(self, member_id: str, entry_id: str) -> list[Override]: ...

    def search_names(self, canonical_name: str, threshold: float) -> list[NameHit]: ...


@dataclass(frozen=True, slots=True)
class ScreeningContext:
    """State a rule may read: the watchlist, the time of decision (event time), the
    deployment's name-match threshold, the coalition key for hashed contributions, the
    links and the coalition's members (whose contributions a reason names `coalition`)."""

    watchlist: WatchlistView
    at: datetime
    name_threshold: float
    coalition_key: bytes | None = None
    links: LinkIndex | None = None
    members: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One reason: a code, the effect on the decision and the evidence behind it;
    `sealed_entry` is the sealed entry behind a WATCHLIST_SEALED result, for overrides and
    ordering only: it is never written."""

    code: str
    effect: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    sealed_entry: str | None = None

    def as_reason(self) -> dict[str, Any]:
        """The reason as written into decisions and alerts."""
        return {"code": self.code, "action": self.effect, **self.evidence}


Rule = Callable[[Payment, ScreeningContext], list[RuleResult]]
