"""The outcomes of a hold and the reason codes each outcome accepts."""

from __future__ import annotations

RELEASE = "release"
BLOCK = "block"

REASON_CODES: dict[str, tuple[str, ...]] = {
    RELEASE: ("FALSE_POSITIVE", "VERIFIED_LEGITIMATE"),
    BLOCK: ("CONFIRMED_SELLER", "SUSPECTED_SELLER"),
}
# A release of a hold with one of these engine reasons needs a second person's approval.
FOUR_EYES_REASONS = frozenset({"WATCHLIST_MATCH", "WATCHLIST_SEALED"})
NOTE_MAX_CHARS = 2000
