"""Every worker's full replica of the compacted `watchlist` topic, as a WatchlistIndex,
restored from the local snapshot (streams/watchlist/snapshot.py) when one is usable."""

from __future__ import annotations

import logging
import time

from confluent_kafka import Message

from streams.agents.compacted_replica import CompactedTopicReplica, Watermarks
from streams.kafka import topics
from streams.ops import metrics
from streams.settings import Settings
from streams.watchlist.entry import EntryError, Override, WatchlistEntry, decode_entry
from streams.watchlist.index import DIGEST_MASK, WatchlistIndex, version_string
from streams.watchlist.parse_cache import ParseCache
from streams.watchlist.snapshot import Mark, Record, read_chunks
from streams.watchlist.snapshot_store import SnapshotStore

log = logging.getLogger(__name__)

Update = tuple[str, WatchlistEntry | Override | None, bytes]


class WatchlistReplica(CompactedTopicReplica[Update]):
    """Consumes the `watchlist` topic into a WatchlistIndex; `ready` once caught up."""

    def __init__(
        self,
        settings: Settings,
        index: WatchlistIndex,
        cache: ParseCache | None = None,
        snapshots: SnapshotStore | None = None,
    ) -> None:
        super().__init__(settings, topics.WATCHLIST)
        self.index = index
        self.cache = cache
        self.snapshots = snapshots
        # The version of the list as last restored or written to a snapshot (event loop).
        self.snapshot_version: str | None = None

    def resume(self, watermarks: Watermarks) -> dict[int, Mark]:
        """Restore the index from the snapshot if it fits the topic as it is now; its
        marks (empty when there is none, or it does not fit)."""
        if self.snapshots is None:
            return {}
        snapshot = self.snapshots.load(watermarks)
        if snapshot is None:
            return {}
        started = time.perf_counter()
        try:
            listed = 0
            total = 0
            for chunk in read_chunks(snapshot):
                self._call(self._restore, chunk)
                listed += sum(1 for record, _ in chunk if isinstance(record, WatchlistEntry))
                total = (total + sum(digest for _, digest in chunk)) & DIGEST_MASK
            if version_string(listed, total) != snapshot.version:
                raise ValueError(f"its records make {version_string(listed, total)}")
        except Exception as exc:  # the file changed or broke since it was checked
            log.warning("watchlist snapshot unusable (%s); rebuilding from the topic", exc)
            self._call(self.discard)
            return {}
        self._call(setattr, self, "snapshot_version", snapshot.version)
        log.info(
            "watchlist snapshot of %d records read in %.1f s; catching up from its offsets",
            snapshot.records,
            time.perf_counter() - started,
        )
        return snapshot.marks

    def _restore(self, records: list[Record]) -> None:
        for record, digest in records:
            self.index.restore(record, digest)

    def discard(self) -> None:
        """Empty the index restored from a snapshot that did not fit the topic."""
        self.index.clear()
        self.snapshot_version = None

    def decode(self, message: Message) -> Update | None:
        """Entry, override or tombstone (None entry) with its stable encoding."""
        metrics.watchlist_record_seen(message.timestamp()[1])
        value = message.value()
        entry_id = self.key_text(message)
        if value is None:
            return (entry_id, None, b"") if entry_id else None
        raw = value if isinstance(value, bytes) else value.encode()
        cached = self.cache.get(raw) if self.cache is not None else None
        if cached is not None:
            entry, encoded = cached
            return entry.entry_id, entry, encoded
        try:
            entry, encoded = decode_entry(raw)
        except EntryError as exc:
            log.warning("watchlist entry %r ignored: %s", entry_id, exc)
            metrics.WATCHLIST_UPDATES.labels("invalid").inc()
            return None
        if self.cache is not None:
            self.cache.put(raw, (entry, encoded))
        return entry.entry_id, entry, encoded

    def apply(self, updates: list[Update]) -> None:
        """Upsert or delete each entry, then publish the list's size, version and age."""
        for entry_id, entry, encoded in updates:
            if entry is None:
                self.index.delete(entry_id)
                metrics.WATCHLIST_UPDATES.labels("deleted").inc()
            else:
                self.index.upsert(entry, encoded)
                metrics.WATCHLIST_UPDATES.labels("applied").inc()
        metrics.WATCHLIST_ENTRIES.set(len(self.index))
        metrics.WATCHLIST_VERSION.info({"version": self.index.version})
        metrics.WATCHLIST_LAST_UPDATE.set(time.time())
