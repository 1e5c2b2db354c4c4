"""Every worker's replica of the compacted `watchlist.links` topic: links made by any
worker, and analysts' promotions and dismissals, reach every worker's LinkIndex."""

from __future__ import annotations

import logging

import orjson
from confluent_kafka import Message

from streams.agents.compacted_replica import CompactedTopicReplica
from streams.kafka import topics
from streams.settings import Settings
from streams.watchlist.links import Link, LinkIndex, link_from_document

log = logging.getLogger(__name__)

LinkUpdate = tuple[str, str, Link | None]  # identifier key, entry id, link or tombstone


class LinksReplica(CompactedTopicReplica[LinkUpdate]):
    """Consumes link records into a LinkIndex shared with the processor."""

    def __init__(self, settings: Settings, links: LinkIndex) -> None:
        super().__init__(settings, topics.LINKS)
        self.links = links

    def decode(self, message: Message) -> LinkUpdate | None:
        """A link record, or a tombstone keyed `identifier|entry_id`."""
        text, value = self.key_text(message), message.value()
        identifier, _, entry_id = text.rpartition("|")
        if value is None:
            return (identifier, entry_id, None) if identifier else None
        try:
            return identifier, entry_id, link_from_document(orjson.loads(value))
        except (KeyError, ValueError, TypeError) as exc:
            log.warning("link record %r ignored: %s", text, exc)
            return None

    def apply(self, updates: list[LinkUpdate]) -> None:
        """Merge each record; this worker's own records come back too, so an echo older
        than what the worker already holds is ignored."""
        for identifier, entry_id, link in updates:
            if link is None:
                self.links.delete(identifier, entry_id)
            else:
                self.links.merge(link)
