"""The registry of screening rules, applied to every payment in this order."""

from __future__ import annotations

from streams.rules import name_match, watchlist_link, watchlist_match
from streams.rules.base import Rule

RULES: tuple[tuple[str, Rule], ...] = (
    ("watchlist_match", watchlist_match.check),
    ("name_match", name_match.check),
    ("watchlist_link", watchlist_link.check),
)
