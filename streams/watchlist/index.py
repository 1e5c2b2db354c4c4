"""The in-memory watchlist: entries by id, an exact-identifier index, a name index and a
content version that changes whenever the list changes."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable

from streams.watchlist.entry import ListedIdentifier, Override, WatchlistEntry
from streams.watchlist.name_index import NameHit, NameIndex

DIGEST_MASK = (1 << 64) - 1
# Payee names repeat (a merchant is paid many times): name searches are remembered until
# the list changes. Bounded; emptied when full.
NAME_CACHE_SIZE = 100_000


def version_string(entries: int, digest_sum: int) -> str:
    """The list's version from its number of entries and the sum of all digests."""
    return f"wl-{entries}-{digest_sum:016x}"


def entry_digest(entry_id: str, raw: bytes) -> int:
    """64-bit digest of one entry's id and encoded content."""
    digest = hashlib.blake2b(entry_id.encode() + b"\x00" + raw, digest_size=8).digest()
    return int.from_bytes(digest, "big")


class WatchlistIndex:
    """Consumes entry upserts and deletions (from the topic or a file) and answers lookups.

    The version is an order-independent sum of entry digests, so two workers (or an
    offline run) holding the same list report the same `watchlist_version`.
    """

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget every entry and override (a snapshot found stale after it was loaded)."""
        self.entries: dict[str, WatchlistEntry] = {}
        self._digests: dict[str, int] = {}
        self._exact: defaultdict[str, set[str]] = defaultdict(set)
        self.names = NameIndex()
        self.overrides: dict[str, Override] = {}
        self._overrides_by_target: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
        self.hashed_entries = 0
        self._sum = 0
        self.updates = 0
        self._name_hits: dict[tuple[str, float], tuple[NameHit, ...]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    @property
    def version(self) -> str:
        """Content version: changes whenever an entry is added, changed or deleted."""
        return version_string(len(self.entries), self._sum)

    def upsert(self, entry: WatchlistEntry | Override, raw: bytes) -> None:
        """Add or replace an entry or override; `raw` is its stable encoding (for the
        version)."""
        self.restore(entry, entry_digest(entry.entry_id, raw))

    def restore(self, entry: WatchlistEntry | Override, digest: int) -> None:
        """Add or replace an entry or override whose digest is known (from a snapshot)."""
        self.delete(entry.entry_id)
        self._name_hits.clear()
        self._digests[entry.entry_id] = digest
        self._sum = (self._sum + digest) & DIGEST_MASK
        self.updates += 1
        if isinstance(entry, Override):
            self.overrides[entry.entry_id] = entry
            self._overrides_by_target[(entry.member_id, entry.overrides)].add(entry.entry_id)
            return
        self.entries[entry.entry_id] = entry
        if any(ident.hashed for ident in entry.identifiers):
            self.hashed_entries += 1
        for ident in entry.identifiers:
            self._exact[ident.key].add(entry.entry_id)
        for canonical_name, listed in entry.names:
            self.names.add(entry.entry_id, canonical_name, listed)

    def delete(self, entry_id: str) -> None:
        """Remove an entry or override if present (a tombstone on the topic)."""
        digest = self._digests.pop(entry_id, None)
        if digest is None:
            return
        self._sum = (self._sum - digest) & DIGEST_MASK
        self.updates += 1
        self._name_hits.clear()
        override = self.overrides.pop(entry_id, None)
        if override is not None:
            target = self._overrides_by_target[(override.member_id, override.overrides)]
            target.discard(entry_id)
            if not target:
                del self._overrides_by_target[(override.member_id, override.overrides)]
            return
        entry = self.entries.pop(entry_id)
        if any(ident.hashed for ident in entry.identifiers):
            self.hashed_entries -= 1
        for ident in entry.identifiers:
            ids = self._exact.get(ident.key)
            if ids is not None:
                ids.discard(entry_id)
                if not ids:
                    del self._exact[ident.key]
        for canonical_name, _ in entry.names:
            self.names.remove(entry_id, canonical_name)

    def lookup(self, key: str) -> list[tuple[WatchlistEntry, ListedIdentifier]]:
        """Entries listing the index key `kind:value`, with the identifier that matched."""
        ids = self._exact.get(key)
        if not ids:
            return []
        found = []
        for entry_id in sorted(ids):
            entry = self.entries[entry_id]
            for ident in entry.identifiers:
                if ident.key == key:
                    found.append((entry, ident))
                    break
        return found

    def lookup_entry(self, entry_id: str) -> WatchlistEntry | None:
        """The entry with this id, if listed."""
        return self.entries.get(entry_id)

    def overrides_for(self, member_id: str, entry_id: str) -> list[Override]:
        """This member's overrides of this entry."""
        ids = self._overrides_by_target.get((member_id, entry_id))
        return [self.overrides[i] for i in sorted(ids)] if ids else []

    def search_names(self, canonical_name: str, threshold: float) -> list[NameHit]:
        """Fuzzy name hits at or above `threshold`, remembered until the list changes."""
        key = (canonical_name, threshold)
        hits = self._name_hits.get(key)
        if hits is None:
            if len(self._name_hits) >= NAME_CACHE_SIZE:
                self._name_hits.clear()
            hits = self._name_hits[key] = tuple(self.names.search(canonical_name, threshold))
        return list(hits)

    def records(self) -> list[tuple[WatchlistEntry | Override, int]]:
        """Every entry and override with its digest: what `restore` takes back. Records are
        immutable, so the list stays a consistent copy while the index changes."""
        digests = self._digests
        listed: list[tuple[WatchlistEntry | Override, int]] = [
            (entry, digests[entry_id]) for entry_id, entry in self.entries.items()
        ]
        listed.extend((override, digests[i]) for i, override in self.overrides.items())
        return listed

    def load(self, documents: Iterable[tuple[WatchlistEntry | Override, bytes]]) -> None:
        """Bulk upsert."""
        for entry, raw in documents:
            self.upsert(entry, raw)
