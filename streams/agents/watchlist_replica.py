"""Every worker's full replica of the compacted `watchlist` topic, as a WatchlistIndex."""

from __future__ import annotations

import logging
import time

from confluent_kafka import Message

from streams.agents.compacted_replica import CompactedTopicReplica
from streams.kafka import topics
from streams.ops import metrics
from streams.settings import Settings
from streams.watchlist.entry import EntryError, Override, WatchlistEntry, decode_entry
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.parse_cache import ParseCache

log = logging.getLogger(__name__)

Update = tuple[str, WatchlistEntry | Override | None, bytes]


class WatchlistReplica(CompactedTopicReplica[Update]):
    """Consumes the `watchlist` topic into a WatchlistIndex; `ready` once caught up."""

    def __init__(
        self, settings: Settings, index: WatchlistIndex, cache: ParseCache | None = None
    ) -> None:
        super().__init__(settings, topics.WATCHLIST)
        self.index = index
        self.cache = cache

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
