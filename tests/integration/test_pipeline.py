"""The screening pipeline end to end against a real broker: payments of two members,
variant spellings of listed identifiers, malformed input interleaved."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator

import orjson
import pytest

from streams import admin, topics
from streams.settings import Settings
from streams.watchlist_entry import encode_entry
from tests.integration.conftest import Collector, WorkerProcess, produce, unique

pytestmark = pytest.mark.integration


def payment(txn: str, member: str, payee: dict[str, str], amount: str = "19.99") -> bytes:
    return orjson.dumps(
        {
            "txn_id": txn,
            "member_id": member,
            "ts": "2026-11-23T10:00:00Z",
            "amount": amount,
            "currency": "EUR",
            "method": "card",
            "payer": {"id": "payer-1"},
            "payee": payee,
        }
    )


@pytest.fixture(scope="module")
def members() -> list[str]:
    return [unique("bank-a"), unique("bank-b")]


@pytest.fixture(scope="module")
def tag() -> str:
    """Makes this module's listed identifiers unique on a shared broker."""
    return unique("t").split("-")[1]


@pytest.fixture(scope="module")
def worker(
    bootstrap_servers: str, members: list[str], tag: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    settings = Settings(bootstrap_servers=bootstrap_servers)
    client = admin.wait_for_broker(settings, timeout_s=15)
    admin.ensure_core_topics(client, settings)
    admin.ensure_member_topics(client, settings, members)
    # Listed before the worker starts: a worker screens only once its replica caught up.
    publish_entries(settings, module_entries(tag))
    process = WorkerProcess(bootstrap_servers, tmp_path_factory.mktemp("worker"), members).start()
    yield process
    process.stop()


def publish_entries(settings: Settings, entries: list[dict[str, object]]) -> None:
    produce(
        settings,
        topics.WATCHLIST,
        [(str(e["entry_id"]).encode(), encode_entry(e)) for e in entries],
    )


def entry(entry_id: str, kind: str, value: str, **extra: object) -> dict[str, object]:
    return {
        "entry_id": entry_id,
        "identifiers": [{"type": kind, "value": value}],
        "action": "block",
        "status": "confirmed",
        "source": "ncmec",
        **extra,
    }


def module_entries(tag: str) -> list[dict[str, object]]:
    return [
        entry(f"{tag}-iban", "iban", "DE89 3704 0044 0532 0130 00"),
        entry(f"{tag}-dom", "domain", f"seller-{tag}.example"),
        entry(f"{tag}-mail", "email", f"shop@seller-{tag}.example"),
        entry(f"{tag}-wal", "wallet_address", "0x52908400098527886E0F7030069857D2E4169EE7"),
        entry(f"{tag}-mid", "merchant_id", f"MID-{tag}", status="suspected"),
        entry(f"{tag}-rev", "card_acceptor_id", f"CA-{tag}", status="revoked"),
        entry(f"{tag}-name", "name", f"Zorblax Qimono {tag} Media Ltd"),
    ]


def decisions_by_txn(records: list[dict[str, object]], member: str) -> Counter[str]:
    return Counter(
        orjson.loads(r["value"])["txn_id"]  # type: ignore[arg-type]
        for r in records
        if r["topic"] == topics.decisions_topic(member)
    )


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
        orjson.dumps(
            {
                "member_id": a,
                "ts": "2026-11-23T10:00:00Z",
                "amount": "1",
                "currency": "EUR",
                "payee": {"iban": "x"},
            }
        ),
        payment(f"{a}-nan", a, {"merchant_id": "M1"}, amount="ten euros"),
        payment(f"{a}-nopayee", a, {"country": "SE", "mcc": "5999"}),
        b'{"txn_id": "\xff\xfe", "member_id": "x"}',
    ]
    source_offsets: dict[bytes, int] = {}
    for member in (a, b):
        mine = [
            (b"same-key", payment(txn, m, payee))
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
                reason = decision["reasons"][0]
                assert reason["code"] == "WATCHLIST_MATCH"
                assert reason["entry_id"].startswith(tag) and reason["source"] == "ncmec"
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
        and r["value"]
        and base64.b64decode(orjson.loads(r["value"])["original_base64"]) == malformed[0]
    )  # type: ignore[arg-type]
    assert headers["dlq.source.offset"] == str(source_offsets[malformed[0]]).encode()  # type: ignore[index]


def test_watchlist_changes_reach_a_running_worker(
    settings: Settings, worker: WorkerProcess, members: list[str], tag: str
) -> None:
    a = members[0]
    listed = f"live-{tag}.example"
    collector = Collector(settings, [topics.decisions_topic(a)])

    def decision_of(txn: str) -> dict[str, object] | None:
        for r in collector.records:
            document = orjson.loads(r["value"])  # type: ignore[arg-type]
            if document["txn_id"] == txn:
                return document  # type: ignore[no-any-return]
        return None

    def screen(txn: str) -> dict[str, object]:
        produce(settings, topics.payments_topic(a), [(None, payment(txn, a, {"domain": listed}))])
        assert collector.until(lambda _: decision_of(txn) is not None, 60), worker.log()
        result = decision_of(txn)
        assert result is not None
        return result

    try:
        before = screen(f"{a}-live-0")
        assert before["decision"] == "allow"
        publish_entries(settings, [entry(f"{tag}-live", "domain", listed)])
        after = None
        for attempt in range(20):
            after = screen(f"{a}-live-1-{attempt}")
            if after["decision"] == "block":
                break
        assert after is not None and after["decision"] == "block"
        assert after["watchlist_version"] != before["watchlist_version"]
        publish_entries(settings, [entry(f"{tag}-live", "domain", listed, status="revoked")])
        revoked = None
        for attempt in range(20):
            revoked = screen(f"{a}-live-2-{attempt}")
            if revoked["decision"] == "allow":
                break
        assert revoked is not None and revoked["decision"] == "allow"
        produce(settings, topics.WATCHLIST, [(f"{tag}-live".encode(), None)])
    finally:
        collector.close()
