"""Readiness of a restarting worker: the payment sent to a listed payee, the decision
that must name the entry, and the seconds between the spawn and that decision."""

from __future__ import annotations

import orjson
import pytest

from streams.benchmarks.worker_ready import check_decision, listed_payment, ready_figures

ENTRY = {
    "entry_id": "bench-00000042",
    "identifiers": [{"type": "merchant_id", "value": "MID-000000042"}],
    "action": "block",
    "status": "confirmed",
    "source": "bench",
}


def test_ready_spans_the_spawn_to_the_decision_record_timestamp() -> None:
    figures = ready_figures(spawned_at=1_000.25, decided_ms=1_087_750, seen_at=1_088.0)
    assert figures == {"ready_s": pytest.approx(87.5), "decision_read_s": pytest.approx(87.75)}


def test_the_payment_goes_to_the_listed_payee_of_the_member() -> None:
    payment = listed_payment("bench-wl", ENTRY, seed=2)
    assert payment["member_id"] == "bench-wl"
    assert payment["txn_id"] != listed_payment("bench-wl", ENTRY, seed=1)["txn_id"]
    assert list(payment["payee"]) == ["merchant_id"]
    assert payment["payee"]["merchant_id"].strip().upper() == "MID-000000042"


def test_a_decision_naming_the_entry_is_accepted() -> None:
    decision = {
        "decision": "block",
        "reasons": [{"code": "WATCHLIST_MATCH", "entry_id": ENTRY["entry_id"]}],
    }
    assert check_decision(orjson.dumps(decision), ENTRY["entry_id"]) == "block"


def test_a_decision_without_the_entry_was_not_made_against_the_full_list() -> None:
    with pytest.raises(ValueError, match="bench-00000042"):
        check_decision(orjson.dumps({"decision": "allow", "reasons": []}), ENTRY["entry_id"])
