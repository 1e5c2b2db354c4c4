"""Commands that talk to a broker: demo, broker, watchlist load, produce and tail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from streams.kafka import topics
from streams.kafka.child_process import die_with_parent
from streams.kafka.client import read_range
from streams.kafka.embedded_broker import free_port, wait_for_port
from streams.settings import Settings
from tests.integration.harness import Collector, prepare_members, screening, unique

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-watchlist.jsonl"


@pytest.mark.smoke
def test_demo_decides_every_payment_on_the_embedded_broker() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "demo", "--payments", "300"],
        capture_output=True,
        timeout=240,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode(errors="replace")[-2000:]
    assert b"streamed 300 payments and 3 malformed messages" in run.stdout


@pytest.mark.smoke
def test_broker_command_serves_kafka_protocol(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streams.cli.main", "broker", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    try:
        wait_for_port("127.0.0.1", port)
        result = screening("tail", "nope", bootstrap=f"127.0.0.1:{port}")
        assert result.returncode == 1
        assert b"topic 'nope' does not exist" in result.stderr
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_broker_binary_override_must_exist() -> None:
    env = {**os.environ, "SCREENING_BROKER_BIN": "/nonexistent/tansu"}
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "broker", "--listen", "127.0.0.1:1"],
        capture_output=True,
        env=env,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.decode().strip().splitlines() == [
        "Error: SCREENING_BROKER_BIN=/nonexistent/tansu is not an executable file"
    ]


@pytest.mark.smoke
def test_watchlist_load_jsonl_and_csv(settings: Settings, tmp_path: Path) -> None:
    tag = unique("csv")
    csv_file = tmp_path / "entries.csv"
    csv_file.write_text(
        "entry_id,action,status,source,iban,domain,identifier_type,identifier_value\n"
        f"{tag}-1,block,confirmed,police,DE89370400440532013000,a-{tag}.example|b-{tag}.example,,\n"
        f"{tag}-2,hold,suspected,hotline,,,email,x@{tag}.example\n"
        f"{tag}-2,hold,suspected,hotline,,,phone,+46 8 123 456 78\n"
    )
    collector = Collector(settings, [topics.WATCHLIST])
    collector.poll(1.0)
    already = len(collector.records)
    for file in (SAMPLE, csv_file):
        result = screening("watchlist", "load", str(file), bootstrap=settings.bootstrap_servers)
        assert result.returncode == 0, result.stderr
    sample_count = len(SAMPLE.read_text().splitlines())
    assert collector.until(lambda r: len(r) >= already + sample_count + 2, 30)
    records = {r["key"]: orjson.loads(r["value"]) for r in collector.records[already:]}  # type: ignore[arg-type]
    collector.close()
    assert records[f"{tag}-1".encode()]["identifiers"] == [
        {"type": "iban", "value": "DE89370400440532013000"},
        {"type": "domain", "value": f"a-{tag}.example"},
        {"type": "domain", "value": f"b-{tag}.example"},
    ]
    assert [i["type"] for i in records[f"{tag}-2".encode()]["identifiers"]] == ["email", "phone"]
    assert b"wl-0001" in records


def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    """Partition -> end offset (high watermark) of one topic."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": settings.bootstrap_servers, "group.id": "offsets"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {
            p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in partitions
        }
    finally:
        consumer.close()


def test_watchlist_load_refuses_a_bad_line_and_publishes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    prepare_members(settings, [])  # the watchlist topic exists before the load
    bad = tmp_path / "bad.jsonl"
    # The sample's first entry under an id of this test's own, so finding it on the topic
    # can only mean this load published it.
    good_id = unique("refused")
    good = orjson.loads(SAMPLE.read_text().splitlines()[0]) | {"entry_id": good_id}
    good_line = orjson.dumps(good).decode()
    bad.write_text(good_line + "\n" + '{"entry_id": "z", "identifiers": [{"type": "iban"}]}\n')
    before = end_offsets(settings, topics.WATCHLIST)
    result = screening("watchlist", "load", str(bad), bootstrap=settings.bootstrap_servers)
    assert result.returncode == 1
    last = result.stderr.decode().strip().splitlines()[-1]
    assert last.startswith(f"Error: {bad}:2:")
    assert end_offsets(settings, topics.WATCHLIST) == before, "the load published records"
    keys = {record.key for record in read_range(settings, topics.WATCHLIST)}
    assert good_id.encode() not in keys


@pytest.mark.smoke
def test_produce_then_tail(settings: Settings) -> None:
    member = unique("gen")
    result = screening(
        "produce",
        "--members",
        member,
        "--count",
        "50",
        "--rate",
        "0",
        "--watchlist",
        str(SAMPLE),
        bootstrap=settings.bootstrap_servers,
    )
    assert result.returncode == 0, result.stderr
    tail = screening(
        "tail", topics.payments_topic(member), "--max", "50", bootstrap=settings.bootstrap_servers
    )
    assert tail.returncode == 0, tail.stderr
    lines = [orjson.loads(line) for line in tail.stdout.splitlines()]
    assert len(lines) == 50
    assert {line["value"]["member_id"] for line in lines} == {member}
    assert len({line["value"]["txn_id"] for line in lines}) == 50
