"""Publishing to the compacted shared topics, as `screening watchlist load` and
`screening rules apply` do."""

from __future__ import annotations

from collections.abc import Sequence

from tqdm import tqdm

from streams.kafka import admin, topics
from streams.kafka.client import produce_all, producer
from streams.settings import Settings

Records = Sequence[tuple[bytes | None, bytes | None]]
CHUNK = 10_000


def publish(
    settings: Settings,
    records: Records,
    show_progress: bool = True,
    topic: str = topics.WATCHLIST,
) -> None:
    """Create the shared topics if needed and publish (key, value) records to `topic`
    (the watchlist by default), waiting until the broker has them all."""
    client = admin.wait_for_broker(settings, timeout_s=15)
    admin.ensure_core_topics(client, settings)
    out = producer(settings)
    with tqdm(
        total=len(records), desc="publishing", unit=" records", disable=not show_progress
    ) as bar:
        for start in range(0, len(records), CHUNK):
            part = records[start : start + CHUNK]
            produce_all(out, topic, part)
            bar.update(len(part))
