"""Turning a watchlist entry into a privacy-preserving contribution: every identifier is
replaced by the keyed hash of its canonical form. Names cannot be hashed (they are
matched fuzzily), so they are left out."""

from __future__ import annotations

from typing import Any

from streams.model.payee import index_key
from streams.watchlist.entry import WatchlistEntry
from streams.watchlist.identifier_hash import identifier_token


def hashed_document(
    document: dict[str, Any], entry: WatchlistEntry, coalition_key: bytes
) -> tuple[dict[str, Any], int]:
    """The entry with hashed identifiers, and how many names were left out."""
    identifiers = [
        {
            "type": ident.type,
            "value": ident.value
            if ident.hashed
            else identifier_token(coalition_key, index_key(ident.type, ident.value)),
            "hashed": True,
        }
        for ident in entry.identifiers
    ]
    dropped_names = sum(1 for item in document["identifiers"] if item["type"] == "name")
    return {**document, "identifiers": identifiers}, dropped_names
