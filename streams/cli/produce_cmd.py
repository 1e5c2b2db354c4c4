"""`screening produce`: synthetic payments for any members at a given rate."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson
from tqdm import tqdm

from streams.cli.errors import friendly, settings_from_env
from streams.cli.options import rate_option
from streams.kafka import admin, topics
from streams.kafka.client import producer
from streams.model.timestamps import iso
from streams.offline import synthetic
from streams.settings import MEMBER_PATTERN
from streams.watchlist.file import read_documents


def parse_members(text: str) -> list[str]:
    """Comma-separated member ids; BadParameter naming the bad one."""
    members = [m.strip() for m in text.split(",") if m.strip()]
    if not members:
        raise click.BadParameter("no member given", param_hint="--members")
    for member in members:
        if not MEMBER_PATTERN.match(member):
            raise click.BadParameter(
                f"{member!r} is not [a-z0-9][a-z0-9-]*", param_hint="--members"
            )
    return members


@click.command()
@click.option("--members", default="acme-bank,northpay,cardco", show_default=True)
@click.option("--count", type=click.IntRange(min=1), default=10_000, show_default=True)
@rate_option(1000.0, 0, "payments per second (0: as fast as possible)")
@click.option(
    "--watchlist",
    "watchlist_file",
    type=click.Path(path_type=Path),
    help="draw listed payees (variant spellings) from this file",
)
@click.option("--hit-ratio", type=click.FloatRange(0, 1), default=0.02, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@friendly
def produce(
    members: str, count: int, rate: float, watchlist_file: Path | None, hit_ratio: float, seed: int
) -> None:
    """Produce synthetic payments to payments.<member> topics."""
    member_list = parse_members(members)
    entries = [doc for _, doc in read_documents(watchlist_file)] if watchlist_file else []
    settings = settings_from_env()
    client = admin.wait_for_broker(settings, timeout_s=15)
    admin.ensure_member_topics(client, settings, member_list)
    out = producer(settings)
    started = time.monotonic()
    for i, payment in enumerate(
        tqdm(
            synthetic.payments(member_list, count, entries, hit_ratio, seed),
            total=count,
            unit=" payments",
        )
    ):
        # Live traffic: event time is when the payment is sent, whatever the rate.
        payment["ts"] = iso(datetime.now(UTC))
        value = orjson.dumps(payment)
        while True:
            try:
                out.produce(
                    topics.payments_topic(payment["member_id"]),
                    value,
                    key=payment["txn_id"].encode(),
                )
                break
            except BufferError:
                out.poll(0.05)
        out.poll(0)
        if rate > 0:
            ahead = (i + 1) / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    out.flush(30)
