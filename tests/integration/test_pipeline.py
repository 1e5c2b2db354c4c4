"""The screening pipeline end to end against a real broker: payments of two members,
variant spellings of listed identifiers, malformed input interleaved."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest

from streams.kafka import topics
from streams.settings import Settings
from tests.factories import identifier, payment_bytes, watchlist_entry
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    produce,
    publish_entries,
    start_worker_with_entries,
    txn_tag,
    unique,
)
from tests.integration.live_change import ChangeRun, pay_until_changed

pytestmark = pytest.mark.integration

# What the payments of these tests carry besides their txn_id, member and payee.
CARD: dict[str, Any] = {
    "ts": "2026-11-23T10:00:00Z",
    "amount": "19.99",
    "method": "card",
    "payer_id": "payer-1",
}


@pytest.fixture(scope="module")
def members() -> list[str]:
    return [unique("bank-a"), unique("bank-b")]


@pytest.fixture(scope="module")
def tag() -> str:
    """Makes this module's listed identifiers unique on a shared broker."""
    return txn_tag("t")


@pytest.fixture(scope="module")
def worker(
    bootstrap_servers: str, members: list[str], tag: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    process = start_worker_with_entries(
        bootstrap_servers, members, module_entries(tag), tmp_path_factory.mktemp("worker")
    )
    yield process
    process.stop()


def module_entries(tag: str) -> list[dict[str, object]]:
    return [
        watchlist_entry(f"{tag}-iban", [identifier("iban", "DE89 3704 0044 0532 0130 00")]),
        watchlist_entry(f"{tag}-dom", [identifier("domain", f"seller-{tag}.example")]),
        watchlist_entry(f"{tag}-mail", [identifier("email", f"shop@seller-{tag}.example")]),
        watchlist_entry(
            f"{tag}-wal",
            [identifier("wallet_address", "0x52908400098527886E0F7030069857D2E4169EE7")],
        ),
        watchlist_entry(
            f"{tag}-mid", [identifier("merchant_id", f"MID-{tag}")], status="suspected"
        ),
        watchlist_entry(
            f"{tag}-rev", [identifier("card_acceptor_id", f"CA-{tag}")], status="revoked"
        ),
        watchlist_entry(f"{tag}-name", [identifier("name", f"Zorblax Qimono {tag} Media Ltd")]),
    ]


def decisions_by_txn(records: list[dict[str, object]], member: str) -> Counter[str]:
    return Counter(
        orjson.loads(r["value"])["txn_id"]  # type: ignore[arg-type]
        for r in records
        if r["topic"] == topics.decisions_topic(member)
    )


@pytest.mark.smoke
def test_interleaved_members_variants_and_malformed_input(
    settings: Settings, worker: WorkerProcess, members: list[str], tag: str
) -> None:
    a, b = members
    expected = {
        (a, f"{a}-1"): ("block", {"iban": "de89370400440532013000"}),
        (b, f"{b}-1"): ("block", {"url": f"https://WWW.Seller-{tag}.example:443/vip?x=1"}),
        (a, f"{a}-2"): ("block", {"domain": f"cdn.seller-{tag}.example."}),
        (b, f"{b}-2"): ("block", {"email": f"  SHOP@Seller-{tag}.EXAMPLE "}),
        (a, f"{a}-3"): ("block", {"wallet_address": "0x52908400098527886e0f7030069857d2e4169ee7"}),
        (b, f"{b}-3"): ("hold", {"merchant_id": f" mid-{tag} "}),
        (a, f"{a}-4"): ("allow", {"card_acceptor_id": f"CA-{tag}"}),
        (b, f"{b}-4"): ("hold", {"name": f"ZORBLAX QIMONO {tag} MEDIA LIMITED"}),
        (a, f"{a}-5"): ("allow", {"domain": f"seller-{tag}.example.org"}),
        (b, f"{b}-5"): ("allow", {"iban": "DE89 3704 0044 0532 0130 01"}),
    }
    malformed = [
        b'{"txn_id": "broken"',
        payment_bytes(
            "", a, ts="2026-11-23T10:00:00Z", amount="1", payee={"iban": "x"}, omit=("txn_id",)
        ),
        payment_bytes(
            f"{a}-nan", a, payee={"merchant_id": "M1"}, **(CARD | {"amount": "ten euros"})
        ),
        payment_bytes(f"{a}-nopayee", a, payee={"country": "SE", "mcc": "5999"}, **CARD),
        b'{"txn_id": "\xff\xfe", "member_id": "x"}',
    ]
    source_offsets: dict[bytes, int] = {}
    for member in (a, b):
        mine = [
            (b"same-key", payment_bytes(txn, m, payee=payee, **CARD))
            for (m, txn), (_, payee) in expected.items()
            if m == member
        ]
        if member == a:
            # bad input in the middle of member a's stream, then one more good payment
            mine = mine[:2] + [(b"same-key", raw) for raw in malformed] + mine[2:]
        offsets = produce(settings, topics.payments_topic(member), mine)
        for (_, raw), offset in zip(mine, offsets, strict=True):
            if raw in malformed:
                source_offsets[raw] = offset

    collector = Collector(
        settings, [topics.decisions_topic(a), topics.decisions_topic(b), topics.DLQ_PAYMENTS]
    )
    try:

        def complete(records: list[dict[str, object]]) -> bool:
            got = decisions_by_txn(records, a) + decisions_by_txn(records, b)
            dead = [
                r
                for r in records
                if r["topic"] == topics.DLQ_PAYMENTS
                and orjson.loads(r["value"])["source_topic"] == topics.payments_topic(a)
            ]  # type: ignore[arg-type]
            return len(got) >= len(expected) and len(dead) >= len(malformed)

        assert collector.until(complete, timeout_s=90), worker.log()
        collector.poll(2.0)  # anything extra (a duplicate) would arrive now
    finally:
        collector.close()
    records = collector.records

    for member in (a, b):
        counts = decisions_by_txn(records, member)
        mine = {txn for (m, txn) in expected if m == member}
        assert set(counts) == mine, f"decisions on {member}'s topic: {counts}"
        assert all(n == 1 for n in counts.values()), counts
    for r in records:
        if r["topic"] in (topics.decisions_topic(a), topics.decisions_topic(b)):
            decision = orjson.loads(r["value"])  # type: ignore[arg-type]
            want, _ = expected[(decision["member_id"], decision["txn_id"])]
            assert decision["decision"] == want, decision
            assert r["key"] == decision["txn_id"].encode()
            assert decision["watchlist_version"]
            if want == "block":
                # Other tests on a shared broker list some of the same identifiers.
                assert any(
                    reason["code"] == "WATCHLIST_MATCH"
                    and reason["entry_id"].startswith(tag)
                    and reason["source"] == "ncmec"
                    for reason in decision["reasons"]
                ), decision
            if decision["txn_id"] == f"{b}-4":
                assert decision["reasons"][0]["code"] == "WATCHLIST_NAME_MATCH"

    dead = [orjson.loads(r["value"]) for r in records if r["topic"] == topics.DLQ_PAYMENTS]  # type: ignore[arg-type]
    dead_here = {
        base64.b64decode(d["original_base64"]): d
        for d in dead
        if d["source_topic"] == topics.payments_topic(a)
    }
    assert set(dead_here) == set(malformed)
    for raw, letter in dead_here.items():
        assert letter["source_offset"] == source_offsets[raw]
        assert letter["error"]
    codes = {raw: d["error_code"] for raw, d in dead_here.items()}
    assert codes[malformed[0]] == "INVALID_JSON"
    assert codes[malformed[1]] == "SCHEMA"
    assert codes[malformed[2]] == "SCHEMA"
    assert codes[malformed[3]] == "NO_PAYEE_IDENTIFIER"
    assert codes[malformed[4]] == "INVALID_UTF8"
    headers = next(
        r["headers"]
        for r in records
        if r["topic"] == topics.DLQ_PAYMENTS
        and r["headers"].get("dlq.source.topic") == topics.payments_topic(a).encode()  # type: ignore[attr-defined]
        and base64.b64decode(orjson.loads(r["value"])["original_base64"]) == malformed[0]  # type: ignore[arg-type]
    )
    assert headers["dlq.source.offset"] == str(source_offsets[malformed[0]]).encode()  # type: ignore[index]


def test_watchlist_changes_reach_a_running_worker(
    settings: Settings, worker: WorkerProcess, members: list[str], tag: str
) -> None:
    """A new entry starts blocking and a revoked one stops blocking: once a decision shows
    the change, every payment sent afterwards follows it."""
    a = members[0]
    listed = f"live-{tag}.example"
    collector = Collector(settings, [topics.decisions_topic(a)])

    def pay(shows_change: Callable[[dict[str, Any]], bool], prefix: str) -> ChangeRun:
        return pay_until_changed(
            settings,
            worker,
            collector,
            topics.payments_topic(a),
            lambda txn: payment_bytes(txn, a, payee={"domain": listed}, **CARD),
            f"{a}-{prefix}",
            shows_change,
        )

    try:
        baseline = pay(lambda d: d["decision"] == "allow", "live-0")
        assert {d["decision"] for d in baseline.decisions()} == {"allow"}

        publish_entries(settings, [watchlist_entry(f"{tag}-live", [identifier("domain", listed)])])
        listed_run = pay(lambda d: d["decision"] == "block", "live-1")
        assert {d["decision"] for d in listed_run.decisions()} <= {"allow", "block"}
        late = listed_run.after_change()
        assert late and {d["decision"] for d in late} == {"block"}, listed_run.decisions()
        assert late[0]["watchlist_version"] != baseline.decisions()[0]["watchlist_version"]

        publish_entries(
            settings,
            [watchlist_entry(f"{tag}-live", [identifier("domain", listed)], status="revoked")],
        )
        revoked_run = pay(lambda d: d["decision"] == "allow", "live-2")
        assert {d["decision"] for d in revoked_run.decisions()} <= {"allow", "block"}
        late = revoked_run.after_change()
        assert late and {d["decision"] for d in late} == {"allow"}, revoked_run.decisions()
        produce(settings, topics.WATCHLIST, [(f"{tag}-live".encode(), None)])
    finally:
        collector.close()
