"""Counting what went in against what came out under faults, against a real broker: a
worker SIGKILLed twice in a stream of 20,000 payments, and one of two workers in a group
stopped and started mid-stream. Every payment is decided, every redelivery is
byte-identical, and the watchlist and the velocity windows survive: each decision equals
the one offline screening of the same input gives, down to each velocity reason's
observed count, so one event lost from (or counted twice in) a seller's window shows."""

from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.settings import Settings
from streams.velocity.rule import VelocityRule
from streams.velocity.rule_set import RuleSet
from streams.velocity.rules_topic import publish_rules
from streams.watchlist.file import read_entries
from streams.watchlist.index import WatchlistIndex
from tests.factories import identifier, payment_bytes, timestamp, velocity_rule, watchlist_entry
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    prepare_members,
    produce,
    txn_tag,
    unique,
)

pytestmark = pytest.mark.integration

COUNT = 20_000
SELLERS = 50


def entries(tag: str) -> list[dict[str, Any]]:
    """The one listed seller of the stream."""
    return [watchlist_entry(f"{tag}-listed", [identifier("merchant_id", f"MID-{tag}-7")])]


def rules(tag: str, member: str) -> list[VelocityRule]:
    """Every seller is paid every 2.5 s of event time: from its second payment on, each is
    held with the number of its payments in the last ten seconds (up to five) as the
    observed value, below the value's cap of eight, so one event lost from a window or
    counted twice shows in the decision."""
    return [
        velocity_rule(
            f"{tag}-seller-count",
            description="payments per seller in ten minutes",
            window="10s",
            threshold=2,
            mode="enforce",
            members=[member],
        )
    ]


def payments(member: str, tag: str) -> list[bytes]:
    """Event time 50 ms apart (the whole stream spans less than the hour of event time
    that velocity windows keep for late and redelivered payments); 50 sellers, one of
    them listed."""
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        payment_bytes(
            f"t{i}",
            member,
            ts=timestamp(start + timedelta(milliseconds=50 * i), "milliseconds"),
            payer_id=f"buyer-{i % 997}",
            payee={"merchant_id": f"MID-{tag}-{i % SELLERS}"},
        )
        for i in range(COUNT)
    ]


def offline_decisions(
    lines: list[bytes], tag: str, member: str, tmp: Path
) -> dict[str, tuple[str, list[Any]]]:
    """What the worker must decide: the same code offline, in event time."""
    watchlist = tmp / "watchlist.jsonl"
    watchlist.write_bytes(b"\n".join(orjson.dumps(e) for e in entries(tag)) + b"\n")
    index = WatchlistIndex()
    index.load((entry, encoded) for _, _, entry, encoded in read_entries(watchlist))
    processor = PaymentProcessor.from_settings(index, Settings())
    processor.rules = RuleSet.from_rules(rules(tag, member))
    expected = {}
    for offset, line in enumerate(lines):
        for record in processor.process(line, Source("offline", 0, offset, None), None):
            if record.topic.startswith(topics.DECISIONS_PREFIX):
                d = orjson.loads(record.value)
                expected[d["txn_id"]] = (d["decision"], d["reasons"])
    return expected


def prepare(settings: Settings, member: str, tag: str) -> None:
    prepare_members(settings, [member], entries(tag))
    publish_rules(settings, rules(tag, member))


def stream(settings: Settings, member: str, lines: list[bytes]) -> threading.Thread:
    """Produce the payments in the background at about 1,000/s, keyed by seller."""
    keyed = [(orjson.loads(v)["payee"]["merchant_id"].encode(), v) for v in lines]

    def run() -> None:
        for start in range(0, len(keyed), 500):
            produce(settings, topics.payments_topic(member), keyed[start : start + 500])
            time.sleep(0.5)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def decided(collector: Collector, member: str) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = defaultdict(list)
    for r in collector.records:
        if r["topic"] == topics.decisions_topic(member):
            out[r["key"].decode()].append(r["value"])  # type: ignore[union-attr]
    return out


def check(
    collector: Collector, member: str, expected: dict[str, tuple[str, list[Any]]]
) -> dict[str, int]:
    seen = decided(collector, member)
    assert set(seen) == set(expected), f"{len(set(expected) - set(seen))} payments undecided"
    differing = [t for t, values in seen.items() if len(set(values)) > 1]
    assert not differing, f"redeliveries not identical: {differing[:5]}"
    wrong = [
        t
        for t, values in seen.items()
        if (orjson.loads(values[0])["decision"], orjson.loads(values[0])["reasons"]) != expected[t]
    ]
    assert not wrong, (
        "decided unlike offline: "
        + "; ".join(
            f"{t}: {orjson.loads(seen[t][0])['reasons']} vs {expected[t][1]}" for t in wrong[:3]
        )
        + f" ({len(wrong)} in all)"
    )
    verdicts = defaultdict(int)
    for decision, _ in expected.values():
        verdicts[decision] += 1
    # The watchlist and the velocity rule both mattered.
    assert verdicts["block"] > 0 and verdicts["hold"] > 0 and verdicts["allow"] > 0
    return {"redelivered": sum(len(v) - 1 for v in seen.values()), **verdicts}


def wait_for(collector: Collector, member: str, count: int, timeout_s: float) -> None:
    assert collector.until(lambda _: len(decided(collector, member)) >= count, timeout_s), (
        f"only {len(decided(collector, member))} of {count} decided"
    )


def prepared_stream(
    broker: str, tmp_path: Path, prefix: str
) -> tuple[Settings, str, list[bytes], dict[str, tuple[str, list[Any]]]]:
    """A new member on `broker` with its entries and rule in place: the settings, the
    member, the stream of payments to send and what offline screening decides for each."""
    settings = Settings(bootstrap_servers=broker)
    member, tag = unique(prefix), txn_tag(prefix[0])
    prepare(settings, member, tag)
    lines = payments(member, tag)
    return settings, member, lines, offline_decisions(lines, tag, member, tmp_path)


def test_sigkill_twice_in_a_stream_of_20000_payments(own_broker: str, tmp_path: Path) -> None:
    settings, member, lines, expected = prepared_stream(own_broker, tmp_path, "kill")
    collector = Collector(settings, [topics.decisions_topic(member)])
    worker = WorkerProcess(own_broker, tmp_path, [member]).start()
    try:
        producer = stream(settings, member, lines)
        for fraction in (0.3, 0.6):
            wait_for(collector, member, int(COUNT * fraction), 240)
            assert worker.process is not None
            worker.process.send_signal(signal.SIGKILL)
            worker.process.wait(timeout=10)
            worker.start()
        producer.join(timeout=120)
        wait_for(collector, member, COUNT, 300)
        collector.poll(2.0)  # late redeliveries, if any, must be identical too
        print("after two SIGKILLs:", check(collector, member, expected))
    finally:
        worker.stop()
        collector.close()


def test_one_of_two_workers_stopped_and_started_mid_stream(own_broker: str, tmp_path: Path) -> None:
    settings, member, lines, expected = prepared_stream(own_broker, tmp_path, "pair")
    collector = Collector(settings, [topics.decisions_topic(member)])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = WorkerProcess(own_broker, tmp_path / "a", [member])
    second = WorkerProcess(own_broker, tmp_path / "b", [member])
    second.env["SCREENING_APP_ID"] = first.env["SCREENING_APP_ID"]  # one consumer group
    first.start()
    second.start()
    try:
        producer = stream(settings, member, lines)
        wait_for(collector, member, COUNT // 3, 240)
        second.stop()
        wait_for(collector, member, 2 * COUNT // 3, 240)
        second.start()
        producer.join(timeout=120)
        wait_for(collector, member, COUNT, 300)
        collector.poll(2.0)
        print("one of two stopped and started:", check(collector, member, expected))
    finally:
        first.stop()
        second.stop()
        collector.close()
