"""A running worker's /metrics against a real broker: per-member decision counts equal what
was sent, the latency histogram holds one observation per decision, watchlist hits and
dead letters are counted, consumer lag drains to zero; and `screening status` prints the
same counts."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from streams.kafka import topics
from streams.ops.metrics_scrape import Scrape, parse
from streams.rules import RULES
from streams.settings import Settings
from tests.factories import identifier, payment_bytes, timestamp, watchlist_entry
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    produce,
    start_worker_with_entries,
    txn_tag,
    unique,
    wait_until,
)

pytestmark = pytest.mark.integration

PAYMENTS_PER_MEMBER = 40
LISTED_PAYMENTS = 5  # of member a's, paid to a listed merchant: blocked
MALFORMED = [b'{"txn_id": "broken"', b"[1, 2, 3]"]  # member a's, dead-lettered


@pytest.fixture(scope="module")
def members() -> list[str]:
    return [unique("ops-a"), unique("ops-b")]


@pytest.fixture(scope="module")
def tag() -> str:
    return txn_tag("m")


@pytest.fixture(scope="module")
def worker(
    bootstrap_servers: str, members: list[str], tag: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    listed = watchlist_entry(
        f"{tag}-mid", [identifier("merchant_id", f"MID-{tag}")], source=f"src-{tag}"
    )
    process = start_worker_with_entries(
        bootstrap_servers, members, [listed], tmp_path_factory.mktemp("worker")
    )
    yield process
    process.stop()


def scrape(worker: WorkerProcess) -> Scrape:
    url = f"http://127.0.0.1:{worker.web_port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        return parse(url, response.read().decode(), 0.0)


def test_metrics_count_what_was_sent_and_status_prints_it(
    settings: Settings, worker: WorkerProcess, members: list[str], tag: str
) -> None:
    a, b = members
    sent = {a: [], b: []}  # type: dict[str, list[tuple[bytes | None, bytes | None]]]
    for member in (a, b):
        for i in range(PAYMENTS_PER_MEMBER):
            listed = member == a and i < LISTED_PAYMENTS
            merchant = f"MID-{tag}" if listed else f"SHOP-{tag}-{i}"
            # Stamped now, so its decision latency is a real, positive number.
            raw = payment_bytes(
                f"{member}-{i}",
                member,
                ts=timestamp(datetime.now(UTC), "milliseconds"),
                payee={"merchant_id": merchant},
            )
            sent[member].append((f"k{i}".encode(), raw))
    sent[a][10:10] = [(b"bad", raw) for raw in MALFORMED]
    for member in (a, b):
        produce(settings, topics.payments_topic(member), sent[member])

    collector = Collector(settings, [topics.decisions_topic(a), topics.decisions_topic(b)])
    try:
        assert collector.until(
            lambda records: len(records) >= 2 * PAYMENTS_PER_MEMBER, timeout_s=120
        ), worker.log()
    finally:
        collector.close()

    # Counters move before the records are produced; the lag timer runs every 5 s and the
    # group commits every second, so wait for lag to drain as well.
    def drained() -> bool:
        s = scrape(worker)
        lags = s.values("screening_consumer_lag_messages")
        return len(lags) == 6 and all(v == 0 for _, v in lags)

    assert wait_until(drained, timeout_s=30, interval_s=0.5), scrape(worker).samples.get(
        "screening_consumer_lag_messages"
    )
    s = scrape(worker)

    for member in (a, b):
        decided = {
            d: s.value("screening_decisions_total", member=member, decision=d)
            for d in ("allow", "hold", "block")
        }
        blocked = LISTED_PAYMENTS if member == a else 0
        assert decided == {"allow": PAYMENTS_PER_MEMBER - blocked, "hold": 0, "block": blocked}
        malformed = len(MALFORMED) if member == a else 0
        assert s.value("screening_payments_consumed_total", member=member) == (
            PAYMENTS_PER_MEMBER + malformed
        )
        assert s.value("screening_dead_letters_total", member=member) == malformed
    assert s.value("screening_dead_letters_total", member=a, reason="INVALID_JSON") == 1
    assert s.value("screening_dead_letters_total", member=a, reason="NOT_AN_OBJECT") == 1

    # One latency observation per decision, each positive and under the histogram's last
    # finite bucket (30 s): the event time was read right (a ts misread by a time zone or
    # a unit would land in +Inf or count as future). Not a small bound: the payments are
    # produced while the worker starts, so their latency includes its start-up; how fast
    # a running worker decides is measured by the benchmark.
    count = s.value("screening_decision_latency_seconds_count")
    assert count == 2 * PAYMENTS_PER_MEMBER
    assert s.value("screening_decision_latency_seconds_bucket", le="+Inf") == count
    assert s.value("screening_decision_latency_seconds_bucket", le="30.0") == count
    assert 0 < s.value("screening_decision_latency_seconds_sum") < 30.0 * count
    assert s.value("screening_future_event_time_total") == 0
    assert s.value("screening_processing_seconds_count") == 2 * PAYMENTS_PER_MEMBER + len(MALFORMED)

    assert (
        s.value(
            "screening_reasons_total",
            code="WATCHLIST_MATCH",
            rule="watchlist_match",
            type="merchant_id",
        )
        == LISTED_PAYMENTS
    )
    assert s.value("screening_watchlist_hits_total", source=f"src-{tag}") == LISTED_PAYMENTS
    assert s.value("screening_watchlist_ready") == 1
    assert s.value("screening_watchlist_entries") >= 1
    assert s.label("screening_watchlist_version_info", "version").startswith("wl-")
    assert s.value("screening_watchlist_last_record_timestamp_seconds") > 0
    assert s.value("screening_rules_loaded", kind="builtin") == len(RULES)
    assert s.value("screening_members_served") == 2
    assert s.value("screening_consumer_assigned_partitions") == 6
    assert s.value("screening_rebalances_total") >= 1
    assert s.value("screening_internal_errors_total") == 0

    url = f"http://127.0.0.1:{worker.web_port}/metrics"
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "status", "--url", url, "--interval", "0.5"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines() if line}
    # member  consumed  decided  allow  hold  block  dead  decided/s
    n = PAYMENTS_PER_MEMBER
    assert rows[a][:6] == [str(n + 2), str(n), str(n - LISTED_PAYMENTS), "0", "5", "2"]
    assert rows[b][:6] == [str(n), str(n), str(n), "0", "0", "0"]
    assert rows[topics.payments_topic(a)] == ["3", "0"]
    assert f"rules: {len(RULES)} builtin, 0 velocity" in result.stdout
    assert "dead letters: INVALID_JSON 1, NOT_AN_OBJECT 1" in result.stdout
    assert f"({2 * n} decisions)" in result.stdout
