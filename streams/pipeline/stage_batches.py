"""Hand-offs to the velocity stages, batched per stage-topic partition.

A payment with velocity rules crosses a stage topic: one more record to produce, fetch
and turn into a Faust event, which cost more than the rules themselves. While an agent
has more events waiting, the hand-offs it makes for one partition of a stage topic are
gathered into one record (`{"handoffs": [...]}`, in the order they were made), sent when
the agent's queue runs empty, when MAX_BATCH are gathered, or when the producer is
flushed. Faust flushes the producer before it commits offsets, so no payment's offset is
committed before its hand-off was sent.

Each hand-off goes to the partition its key would go to alone (Kafka's murmur2
partitioner, as librdkafka's and the Java client's): a key's window state stays in the
partition it always had."""

from __future__ import annotations

import itertools

from aiokafka.partitioner import murmur2  # type: ignore[import-untyped]

from streams.kafka import topics
from streams.pipeline.records import OutRecord

# Hand-offs per record: ~700 bytes each, so a full batch stays far below the 1 MB that
# brokers accept per record by default.
MAX_BATCH = 256

Batch = tuple[str, int, bytes]  # topic, partition, value

# murmur2 in pure Python is ~3.7 us a key, a tenth of what a payment's rules add; payees
# recur, so each key's hash is kept, up to this many keys (then the memory starts afresh).
HASHES_KEPT = 65_536
_hashes: dict[bytes, int] = {}


def key_partition(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner picks for `key`."""
    hashed = _hashes.get(key)
    if hashed is None:
        if len(_hashes) >= HASHES_KEPT:
            _hashes.clear()
        hashed = _hashes[key] = int(murmur2(key)) & 0x7FFFFFFF
    return hashed % partitions


def encode_batch(values: list[bytes]) -> bytes:
    """Encoded hand-offs (JSON objects) as one stage-topic record value."""
    return b'{"handoffs":[' + b",".join(values) + b"]}"


class StageBatches:
    """Hand-offs gathered per (stage topic, partition); `partitions` is the stage topics'
    partition count."""

    def __init__(self, stage_topics: frozenset[str], partitions: int) -> None:
        self.stage_topics = stage_topics
        self.partitions = partitions
        self._open: dict[tuple[str, int], list[bytes]] = {}
        # Hand-offs without a key (the payment has none of the stage's key kind) have no
        # state to find: spread over the partitions, as a producer spreads keyless records.
        self._spread = itertools.cycle(range(partitions))

    @classmethod
    def for_app(cls, app_id: str, partitions: int) -> StageBatches:
        """Batches for the stage topics of `app_id`, of `partitions` partitions each."""
        names = frozenset(topics.velocity_stage_topics(app_id))
        return cls(names, partitions)

    def __bool__(self) -> bool:
        return bool(self._open)

    def add(self, record: OutRecord) -> Batch | None:
        """Gather a hand-off; the batch it completed, if it did."""
        if record.key is None:
            partition = next(self._spread)
        else:
            partition = key_partition(record.key, self.partitions)
        place = (record.topic, partition)
        values = self._open.setdefault(place, [])
        values.append(record.value)
        if len(values) < MAX_BATCH:
            return None
        del self._open[place]
        return (record.topic, partition, encode_batch(values))

    def take(self) -> list[Batch]:
        """Every open batch, oldest first; nothing stays open."""
        batches = [
            (topic, part, encode_batch(values)) for (topic, part), values in self._open.items()
        ]
        self._open.clear()
        return batches
