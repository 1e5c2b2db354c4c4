"""`screening watchlist load FILE`: publish entries to the compacted watchlist topic."""

from __future__ import annotations

from pathlib import Path

import click
from tqdm import tqdm

from streams import admin, topics
from streams.cli.errors import friendly, settings_from_env
from streams.kafka_io import produce_all, producer
from streams.watchlist_file import read_entries


@click.group()
def watchlist() -> None:
    """Manage the coalition watchlist."""


@watchlist.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@friendly
def load(file: Path) -> None:
    """Publish entries from FILE (JSON Lines or CSV) to the `watchlist` topic.

    The whole file is validated first, so a bad line publishes nothing."""
    settings = settings_from_env()
    records = [
        (entry.entry_id.encode(), encoded)
        for _, _, entry, encoded in tqdm(
            read_entries(file), desc="validating", unit=" entries", leave=False
        )
    ]
    client = admin.wait_for_broker(settings, timeout_s=15)
    admin.ensure_core_topics(client, settings)
    out = producer(settings)
    chunk = 10_000
    with tqdm(total=len(records), desc="publishing", unit=" entries") as bar:
        for start in range(0, len(records), chunk):
            part = records[start : start + chunk]
            produce_all(out, topics.WATCHLIST, part)
            bar.update(len(part))
    click.echo(f"published {len(records)} entries from {file} to {topics.WATCHLIST}", err=True)
