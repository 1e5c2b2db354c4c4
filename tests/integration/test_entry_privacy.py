"""Privacy of listed entries against a real broker: a member's decisions and the alerts
name neither a sealed entry (its id, source, reference, listed values) nor the member who
contributed an entry, while the holds and blocks are what they were."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.kafka import topics
from streams.settings import Settings
from tests.factories import identifier, payment_bytes, watchlist_entry
from tests.integration.harness import Collector, WorkerProcess, prepare_members, produce, unique

pytestmark = pytest.mark.integration

SEALED_IBAN = "DE89370400440532013000"


def test_member_records_name_no_sealed_entry_and_no_contributor(
    own_broker: str, tmp_path: Path
) -> None:
    settings = Settings(bootstrap_servers=own_broker)
    contributor, payer = unique("contrib"), unique("payer")
    sealed = watchlist_entry(
        unique("le-embargo"),
        [identifier("iban", "DE89 3704 0044 0532 0130 00"), identifier("name", "Velvet Orchid")],
        source="europol-efc",
        reference="OP-NIGHTJAR-44",
        visibility="sealed",
    )
    contributed = watchlist_entry(
        unique("wl-member"), [identifier("merchant_id", "MID-CONTRIB")], source=contributor
    )
    prepare_members(settings, [contributor, payer], [sealed, contributed])
    payments = {
        "sealed-iban": {"iban": SEALED_IBAN},
        "sealed-name": {"name": "VELVET ORCHIDS"},
        "contributed": {"merchant_id": "MID-CONTRIB", "wallet_address": "bc1qroute0000000"},
        "linked": {"wallet_address": "bc1qroute0000000"},
        "clean": {"merchant_id": "MID-CLEAN"},
    }
    # the members the worker serves come from discovery: both payments topics exist
    worker = WorkerProcess(own_broker, tmp_path, None).start()
    collector = Collector(settings, [topics.decisions_topic(payer), topics.ALERTS])
    try:
        for txn, payee in payments.items():  # in order: the link is made before it is used
            produce(
                settings,
                topics.payments_topic(payer),
                [(txn.encode(), payment_bytes(txn, payer, payee=payee))],
            )
            assert collector.until(
                lambda rs, t=txn: any(  # type: ignore[misc]
                    r["topic"] == topics.decisions_topic(payer) and r["key"] == t.encode()
                    for r in rs
                ),
                120,
            ), worker.log()
        collector.poll(1.0)
    finally:
        worker.stop()
        collector.close()

    decisions = {
        orjson.loads(r["value"])["txn_id"]: orjson.loads(r["value"])  # type: ignore[arg-type]
        for r in collector.records
        if r["topic"] == topics.decisions_topic(payer)
    }
    outcome = {
        txn: (d["decision"], [r["code"] for r in d["reasons"]]) for txn, d in decisions.items()
    }
    assert outcome == {
        "sealed-iban": ("block", ["WATCHLIST_SEALED"]),
        "sealed-name": ("hold", ["WATCHLIST_SEALED"]),
        "contributed": ("block", ["WATCHLIST_MATCH"]),
        "linked": ("hold", ["WATCHLIST_LINK"]),
        "clean": ("allow", []),
    }
    for txn in ("sealed-iban", "sealed-name"):
        (reason,) = decisions[txn]["reasons"]
        assert reason["message"] == "sealed: contact the coalition"
    assert decisions["contributed"]["reasons"][0]["source"] == "coalition"
    assert decisions["linked"]["reasons"][0]["source"] == "coalition"

    ours = [
        r for r in collector.records if r["topic"] != topics.ALERTS or payer.encode() in r["value"]
    ]  # type: ignore[operator]
    kinds = {orjson.loads(r["value"])["kind"] for r in ours if r["topic"] == topics.ALERTS}  # type: ignore[arg-type]
    assert kinds == {"DECISION", "NEW_ROUTE"}
    text = b"\n".join(r["value"] for r in ours).decode()  # type: ignore[misc]
    for secret in (
        sealed["entry_id"],
        "europol-efc",
        "OP-NIGHTJAR-44",
        "Velvet Orchid",
        contributor,
    ):
        assert secret not in text, secret
    reasons = orjson.dumps([orjson.loads(r["value"]).get("reasons") for r in ours]).decode()  # type: ignore[arg-type]
    assert SEALED_IBAN not in reasons
