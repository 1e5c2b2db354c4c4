"""Velocity rules in a running worker against a real broker: a rule applied with
`screening rules apply` changes decisions of a running worker and disabling it stops it;
window state survives SIGKILL of the worker, and the state of a payee never paid again
is deleted once no window can see it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from streams.kafka import topics
from streams.kafka.client import read
from streams.settings import Settings
from tests.factories import payment_bytes, rule_doc, timestamp
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    produce,
    start_worker_with_entries,
    unique,
)
from tests.integration.live_change import ChangeRun, pay_until_changed

pytestmark = pytest.mark.integration


def apply_rules(bootstrap: str, path: Path, rules: list[dict[str, Any]]) -> str:
    """`screening rules apply FILE` as a user runs it; returns its stdout."""
    path.write_text(yaml.safe_dump(rules))
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli.main", "rules", "apply", str(path)],
        env={"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def decisions(collector: Collector, member: str) -> dict[str, dict[str, Any]]:
    return {
        (d := orjson.loads(r["value"]))["txn_id"]: d  # type: ignore[arg-type]
        for r in collector.records
        if r["topic"] == topics.decisions_topic(member)
    }


def velocity_reasons(decision: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in decision["reasons"] if r["code"] == "VELOCITY"]


@pytest.fixture()
def member() -> str:
    return unique("vel")


@pytest.fixture()
def worker(bootstrap_servers: str, member: str, tmp_path: Path) -> Iterator[WorkerProcess]:
    process = start_worker_with_entries(bootstrap_servers, [member], [], tmp_path)
    yield process
    process.stop()


def test_applied_rule_changes_decisions_and_disabling_stops_it(
    settings: Settings, worker: WorkerProcess, member: str, tmp_path: Path
) -> None:
    """Once a decision shows the rule applied (or disabled), every payment sent afterwards
    follows it."""
    collector = Collector(settings, [topics.decisions_topic(member)])
    payments = topics.payments_topic(member)
    warm = payment_bytes("warm", member, ts="2026-11-23T10:00:00Z", payee={"merchant_id": "M-live"})
    produce(settings, payments, [(None, warm)])
    assert collector.until(lambda _: "warm" in decisions(collector, member), 90), worker.log()

    def pay(ts: str, prefix: str, shows_change: Callable[[dict[str, Any]], bool]) -> ChangeRun:
        """Payments to M-live, each stamped `ts`, until a decision shows the change."""
        return pay_until_changed(
            settings,
            worker,
            collector,
            payments,
            lambda txn: payment_bytes(txn, member, ts=ts, payee={"merchant_id": "M-live"}),
            prefix,
            shows_change,
        )

    rule_id = unique("live")
    printed = apply_rules(
        settings.bootstrap_servers,
        tmp_path / "on.yaml",
        [rule_doc(rule_id, threshold=1, members=[member])],
    )
    version = printed.split()[1]
    run = pay("2026-11-23T10:01:00Z", "on", lambda d: d["decision"] == "hold")
    late = run.after_change()
    assert late and all(d["decision"] == "hold" for d in late), [
        (d["txn_id"], d["decision"]) for d in late
    ]
    for decision in late:
        reason = velocity_reasons(decision)[0]
        assert reason["rule_id"] == rule_id and reason["rule_version"] == version
        assert reason["threshold"] == "1" and int(reason["observed"]) >= 1

    apply_rules(
        settings.bootstrap_servers,
        tmp_path / "off.yaml",
        [rule_doc(rule_id, threshold=1, members=[member], enabled=False)],
    )
    run = pay("2026-11-23T10:02:00Z", "off", lambda d: d["decision"] == "allow")
    late = run.after_change()
    assert late and all(d["decision"] == "allow" for d in late)
    assert all(not velocity_reasons(d) for d in late)
    collector.close()


def test_window_state_survives_sigkill_of_the_worker(
    restart_broker: str, member: str, tmp_path: Path
) -> None:
    # restart_broker: on the embedded broker, a group restarted after other tests' groups
    # came and went was seen not to fetch again (Apache Kafka has no such state).
    bootstrap_servers, settings = restart_broker, Settings(bootstrap_servers=restart_broker)
    k = 5
    rule_id = unique("crash")
    apply_rules(
        bootstrap_servers,
        tmp_path / "rules.yaml",
        [rule_doc(rule_id, threshold=k, members=[member])],
    )
    worker = start_worker_with_entries(bootstrap_servers, [member], [], tmp_path)
    collector = Collector(settings, [topics.decisions_topic(member)])
    payments = topics.payments_topic(member)
    try:
        first = [
            (
                None,
                payment_bytes(
                    f"c-{i}",
                    member,
                    ts=f"2026-11-23T11:0{i}:00Z",
                    payer_id=f"p{i}",
                    payee={"merchant_id": "M-crash"},
                ),
            )
            for i in range(k - 1)
        ]
        produce(settings, payments, first)
        assert collector.until(
            lambda _: {f"c-{i}" for i in range(k - 1)} <= set(decisions(collector, member)), 90
        ), worker.log()
        assert all(d["decision"] == "allow" for d in decisions(collector, member).values())

        assert worker.process is not None
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
        worker.start()

        produce(
            settings,
            payments,
            [
                (
                    None,
                    payment_bytes(
                        "c-last",
                        member,
                        ts="2026-11-23T11:30:00Z",
                        payer_id="p9",
                        payee={"merchant_id": "M-crash"},
                    ),
                )
            ],
        )
        assert collector.until(lambda _: "c-last" in decisions(collector, member), 120), (
            worker.log()
        )
        last = decisions(collector, member)["c-last"]
        assert last["decision"] == "hold", last
        (reason,) = velocity_reasons(last)
        assert reason["rule_id"] == rule_id and reason["observed"] == str(k)
    finally:
        worker.stop()
        collector.close()


def test_state_of_a_payee_never_paid_again_is_deleted_after_a_restart_too(
    restart_broker: str, member: str, tmp_path: Path
) -> None:
    # restart_broker: see the test above. The payee's key comes back from the changelog
    # after the SIGKILL; once the stream is past the rule's window plus grace, a sweep
    # deletes it: a tombstone on the changelog, and the live payees' keys stay.
    bootstrap_servers, settings = restart_broker, Settings(bootstrap_servers=restart_broker)
    rule = rule_doc(unique("expiry"), window="1m", threshold=2, members=[member])  # horizon 61 min
    apply_rules(bootstrap_servers, tmp_path / "rules.yaml", [rule])
    worker = start_worker_with_entries(bootstrap_servers, [member], [], tmp_path)
    collector = Collector(settings, [topics.decisions_topic(member)])
    payments = topics.payments_topic(member)
    now = datetime.now(UTC)
    then, later = (
        timestamp(now - timedelta(hours=3), "milliseconds"),
        timestamp(now - timedelta(minutes=30), "milliseconds"),
    )
    try:
        produce(
            settings,
            payments,
            [(None, payment_bytes("gone", member, ts=then, payee={"merchant_id": "M-GONE"}))],
        )
        assert collector.until(lambda _: "gone" in decisions(collector, member), 90), worker.log()
        assert worker.process is not None
        worker.process.send_signal(signal.SIGKILL)
        worker.process.wait(timeout=10)
        worker.start()
        live = [f"M-LIVE-{i}" for i in range(40)]
        produce(
            settings,
            payments,
            [
                (
                    None,
                    payment_bytes(f"l-{i}", member, ts=later, payee={"merchant_id": live[i % 40]}),
                )
                for i in range(400)
            ],
        )
        assert collector.until(lambda _: len(decisions(collector, member)) >= 401, 120), (
            worker.log()
        )
        changelog = f"{worker.env['SCREENING_APP_ID']}-{topics.velocity_table('payee')}-changelog"
        latest: dict[bytes, bytes | None] = {}
        for record in read(settings, [changelog], idle_timeout_s=3.0, total_timeout_s=30):
            assert record.key is not None
            latest[record.key] = record.value
    finally:
        worker.stop()
        collector.close()
    [gone] = [key for key in latest if b"M-GONE" in key]
    assert latest[gone] is None, "the payee never paid again still has window state"
    assert sum(1 for key, value in latest.items() if b"M-LIVE" in key and value) == 40
