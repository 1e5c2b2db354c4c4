"""A worker restarted from its watchlist snapshot decides exactly as a worker that rebuilt
its list from the topic, including entries changed, revoked, deleted and added while it
was down (after the snapshot was taken); a corrupt snapshot is refused and rebuilt."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import Producer

from streams.kafka import topics
from streams.settings import Settings
from tests.factories import identifier, payment_doc, watchlist_entry
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    prepare_members,
    produce,
    publish_entries,
    unique,
    wait_until,
)

SNAPSHOT = Path("state") / "watchlist.snapshot"
# Decisions for the payees below (kept, changed, revoked, deleted, new, name, clean),
# before and after the changes made while the worker was down.
BEFORE = ["block", "hold", "block", "block", "allow", "hold", "allow"]
AFTER = ["block", "block", "allow", "allow", "block", "hold", "allow"]


def entries(tag: str) -> dict[str, dict[str, Any]]:
    """Entries of one payee each, listed before the snapshot."""
    return {
        "kept": watchlist_entry(f"{tag}-kept", [identifier("merchant_id", f"{tag}-KEPT")]),
        "changed": watchlist_entry(
            f"{tag}-changed", [identifier("domain", f"{tag}.example")], status="suspected"
        ),
        "revoked": watchlist_entry(f"{tag}-revoked", [identifier("merchant_id", f"{tag}-REV")]),
        "deleted": watchlist_entry(f"{tag}-deleted", [identifier("merchant_id", f"{tag}-DEL")]),
        "name": watchlist_entry(f"{tag}-name", [identifier("name", f"Zorvex {tag} Media Ltd")]),
    }


def payees(tag: str) -> list[dict[str, str]]:
    return [
        {"merchant_id": f"{tag}-KEPT"},
        # The listed domain as a URL (not a subdomain: a payment to a subdomain links
        # it to the entry, and the next worker would see that link as well).
        {"url": f"https://www.{tag}.example/shop"},
        {"merchant_id": f"{tag}-REV"},
        {"merchant_id": f"{tag}-DEL"},
        {"merchant_id": f"{tag}-NEW"},
        {"name": f"Zorvex {tag} Media"},
        {"merchant_id": f"{tag}-CLEAN"},
    ]


def pay(settings: Settings, member: str, tag: str, round_: str) -> list[str]:
    """One payment per payee; their txn ids."""
    docs = [
        payment_doc(f"{round_}-{i}", member, payee=payee) for i, payee in enumerate(payees(tag))
    ]
    produce(
        settings,
        topics.payments_topic(member),
        [(d["txn_id"].encode(), orjson.dumps(d)) for d in docs],
    )
    return [d["txn_id"] for d in docs]


def decisions(settings: Settings, member: str, txn_ids: list[str]) -> list[dict[str, Any]]:
    """The first decision of each payment, in txn order, without what differs per run."""
    collector = Collector(settings, [topics.decisions_topic(member)])
    try:
        wanted = set(txn_ids)
        assert collector.until(
            lambda records: wanted <= {r["key"].decode() for r in records}, timeout_s=120
        )
        first: dict[str, dict[str, Any]] = {}
        for record in collector.records:
            first.setdefault(record["key"].decode(), orjson.loads(record["value"]))
    finally:
        collector.close()
    return [
        {k: v for k, v in first[t].items() if k not in ("txn_id", "member_id", "decided_at")}
        for t in txn_ids
    ]


def change_while_down(settings: Settings, listed: dict[str, dict[str, Any]], tag: str) -> None:
    publish_entries(
        settings,
        [
            {**listed["changed"], "status": "confirmed", "action": "block"},
            {**listed["revoked"], "status": "revoked"},
            watchlist_entry(f"{tag}-new", [identifier("merchant_id", f"{tag}-NEW")]),
        ],
    )
    producer = Producer({"bootstrap.servers": settings.bootstrap_servers})
    producer.produce(topics.WATCHLIST, key=listed["deleted"]["entry_id"].encode(), value=None)
    assert producer.flush(30) == 0


def test_a_restart_from_the_snapshot_decides_as_a_rebuild(
    restart_broker: str, tmp_path: Path
) -> None:
    settings = Settings(bootstrap_servers=restart_broker)
    tag = unique("snap")
    restarted, rebuilt = unique("snapa"), unique("snapb")
    listed = entries(tag)
    prepare_members(settings, [restarted, rebuilt], list(listed.values()))

    first_dir, other_dir = tmp_path / "restarted", tmp_path / "rebuilt"
    first_dir.mkdir()
    other_dir.mkdir()
    worker = WorkerProcess(restart_broker, first_dir, [restarted]).start()
    try:
        before = decisions(settings, restarted, pay(settings, restarted, tag, "before"))
    finally:
        worker.stop()
    assert (first_dir / SNAPSHOT).exists(), worker.log()
    assert [d["decision"] for d in before] == BEFORE

    change_while_down(settings, listed, tag)

    again = WorkerProcess(
        restart_broker,
        first_dir,
        [restarted],
        **{"SCREENING_APP_ID": worker.env["SCREENING_APP_ID"]},
    ).start()
    fresh = WorkerProcess(restart_broker, other_dir, [rebuilt]).start()
    try:
        after = decisions(settings, restarted, pay(settings, restarted, tag, "after"))
        reference = decisions(settings, rebuilt, pay(settings, rebuilt, tag, "ref"))
        assert "records read in" in again.log_path.read_text(), again.log()
        assert "records read in" not in fresh.log_path.read_text()
    finally:
        again.stop()
        fresh.stop()
    assert after == reference
    assert [d["decision"] for d in after] == AFTER

    # A corrupt snapshot is refused; the list is rebuilt from the topic, same decisions.
    snapshot = first_dir / SNAPSHOT
    data = bytearray(snapshot.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snapshot.write_bytes(bytes(data))
    third = WorkerProcess(restart_broker, first_dir, [restarted]).start()
    try:
        corrupt = decisions(settings, restarted, pay(settings, restarted, tag, "corrupt"))
        log = third.log_path.read_text()
        assert "checksum mismatch" in log and "records read in" not in log, third.log()
    finally:
        third.stop()
    assert corrupt == reference
    assert wait_until(lambda: snapshot.exists(), 5)
