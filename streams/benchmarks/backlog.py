"""What every broker benchmark starts from: topics, rules, a synthetic watchlist and a
backlog of synthetic payments on the broker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from streams.benchmarks.bench_config import BenchConfig
from streams.benchmarks.entries import entries
from streams.benchmarks.stamps import LOG_APPEND_TIME
from streams.kafka import admin, topics
from streams.kafka.client import produce_all, producer
from streams.offline import synthetic
from streams.settings import Settings
from streams.velocity.rule import VelocityRule
from streams.velocity.rules_topic import publish_rules


def prepare_broker(
    settings: Settings,
    members: Sequence[str],
    rules: Sequence[VelocityRule],
    watchlist: int,
    extra_topics: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """What every benchmark starts from: the broker up, the core, member and extra topics
    created, the rules in force and a watchlist of `watchlist` entries published; returns
    the entries payments draw their hits from. The topics the benchmark creates (all but
    the velocity stages and alerts) take the broker's append time as their records'
    timestamps, where the broker honours that, so latencies can run broker to broker."""
    client = admin.wait_for_broker(settings, timeout_s=15)
    partitions = settings.topic_partitions
    admin.ensure_topics(
        client, [topics.WATCHLIST, topics.RULES], partitions, {**admin.COMPACTED, **LOG_APPEND_TIME}
    )
    admin.ensure_core_topics(client, settings)
    names = [topics.payments_topic(m) for m in members] + [
        topics.decisions_topic(m) for m in members
    ]
    admin.ensure_topics(client, [*names, *extra_topics], partitions, LOG_APPEND_TIME)
    if rules:
        publish_rules(settings, rules)
    return publish_watchlist(settings, watchlist)


def publish_watchlist(settings: Settings, count: int) -> list[dict[str, Any]]:
    """Publish `count` synthetic entries; returns a sample of them for hits."""
    out = producer(settings)
    batch: list[tuple[bytes | None, bytes | None]] = []
    sample: list[dict[str, Any]] = []
    for i, document in enumerate(entries(count)):
        batch.append((document["entry_id"].encode(), orjson.dumps(document)))
        if i % 97 == 0:
            sample.append(document)
        if len(batch) == 50_000:
            produce_all(out, topics.WATCHLIST, batch)
            batch = []
    produce_all(out, topics.WATCHLIST, batch)
    return sample


def preload_payments(settings: Settings, config: BenchConfig, sample: list[dict[str, Any]]) -> None:
    """Produce the payments every phase consumes from the start."""
    out = producer(settings)
    by_member: dict[str, list[tuple[bytes | None, bytes | None]]] = {m: [] for m in config.members}
    for payment in synthetic.payments(
        config.members, config.payments, sample, config.hit_ratio, seed=3
    ):
        by_member[payment["member_id"]].append((payment["txn_id"].encode(), orjson.dumps(payment)))
    for member, records in by_member.items():
        produce_all(out, topics.payments_topic(member), records)
