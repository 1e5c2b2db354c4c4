"""`screening tail TOPIC`: print a topic's records as JSON lines."""

from __future__ import annotations

import base64
import sys

import click
import orjson

from streams.cli.errors import friendly, settings_from_env
from streams.kafka import admin
from streams.kafka.admin import list_topics
from streams.kafka.client import read, unknown_topic


@click.command()
@click.argument("topic")
@click.option("--from-beginning/--from-end", default=True, show_default=True)
@click.option("--max", "limit", type=click.IntRange(min=1), help="stop after this many records")
@click.option(
    "--idle",
    type=float,
    default=3600.0,
    show_default=True,
    help="stop after this many seconds without records",
)
@friendly
def tail(topic: str, from_beginning: bool, limit: int | None, idle: float) -> None:
    """Print TOPIC's records: {"partition", "offset", "key", "value", "headers"}."""
    settings = settings_from_env()
    out = sys.stdout.buffer
    names = list_topics(admin.wait_for_broker(settings, timeout_s=15))
    if topic not in names:
        raise click.ClickException(unknown_topic(settings, topic))
    for count, record in enumerate(
        read(
            settings,
            [topic],
            from_beginning,
            idle_timeout_s=idle,
            total_timeout_s=float("inf"),
            until=(lambda seen: len(seen) >= limit) if limit else None,
        ),
        start=1,
    ):
        value: object
        try:
            value = orjson.loads(record.value) if record.value is not None else None
        except orjson.JSONDecodeError:
            value = {"base64": base64.b64encode(record.value or b"").decode()}
        out.write(
            orjson.dumps(
                {
                    "partition": record.partition,
                    "offset": record.offset,
                    "key": record.key.decode("utf-8", "replace")
                    if record.key is not None
                    else None,
                    "value": value,
                    "headers": {k: v.decode("utf-8", "replace") for k, v in record.headers.items()},
                }
            )
            + b"\n"
        )
        out.flush()
        if limit and count >= limit:
            break
