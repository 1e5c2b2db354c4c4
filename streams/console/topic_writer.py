"""The desk's producer: one record at a time, delivery confirmed (acks=all) before
returning its partition and offset, so an action can wait for the view to apply it."""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka import KafkaError, Producer

from streams.kafka import admin
from streams.kafka.client import producer
from streams.settings import Settings


class DeliveryFailed(RuntimeError):
    """The broker did not confirm a record; the message names the topic and the error."""


class TopicWriter:
    """Produces records synchronously; creates a member's `resolutions.<m>` on first use."""

    def __init__(self, settings: Settings, admin_client: Any) -> None:
        self.settings = settings
        self.admin = admin_client
        self._producer: Producer = producer(settings, **{"linger.ms": 0})
        self._lock = threading.Lock()
        self._known_topics: set[str] = set()

    def ensure_topic(self, topic: str) -> None:
        """Create `topic` (the settings' partition count) unless it is known to exist."""
        if topic in self._known_topics:
            return
        admin.ensure_topics(self.admin, [topic], self.settings.topic_partitions)
        self._known_topics.add(topic)

    def write(self, topic: str, key: bytes | None, value: bytes | None) -> tuple[int, int]:
        """Produce one record and wait for the broker: (partition, offset)."""
        outcome: dict[str, Any] = {}

        def delivered(error: KafkaError | None, message: Any) -> None:
            outcome["error"] = error
            if error is None:
                outcome["at"] = (message.partition(), message.offset())

        with self._lock:
            self._producer.produce(topic, value=value, key=key, on_delivery=delivered)
            self._producer.flush(30)
        if "at" not in outcome:
            raise DeliveryFailed(f"{topic}: {outcome.get('error') or 'not delivered in 30 s'}")
        partition, offset = outcome["at"]
        return int(partition), int(offset)

    def close(self) -> None:
        """Deliver what is pending."""
        with self._lock:
            self._producer.flush(30)
