"""Readiness of a restarting worker: the payment sent to a listed payee, the decision
that must name the entry, and the seconds between the spawn and that decision."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from streams.benchmarks.worker_ready import (
    check_decision,
    listed_payment,
    log_milestones,
    ready_figures,
)

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


def test_the_worker_log_splits_the_start_into_group_joined_and_list_caught_up() -> None:
    spawned_at = datetime(2026, 12, 7, 15, 0, 54, 136_000).timestamp()
    log = "\n".join(
        [
            "SCREENING_PAYER_KEY is not set",
            "[2026-12-07 15:00:54,799] [9794] [INFO] [^Worker]: Starting... ",
            "[2026-12-07 15:01:13,978] [9794] [INFO] [^Worker]: Ready ",
            "[2026-12-07 15:01:14,002] [9794] [INFO] replica of rules caught up (empty topic) ",
            "[2026-12-07 15:01:14,452] [9794] [INFO] replica of watchlist caught up ",
        ]
    )
    assert log_milestones(log, spawned_at) == {
        "group_ready_s": pytest.approx(19.842),
        "watchlist_caught_up_s": pytest.approx(20.316),
    }


def test_milestones_missing_from_the_log_are_left_out() -> None:
    assert log_milestones("[2026-12-07 15:00:54,799] [1] [INFO] [^Worker]: Starting...", 0.0) == {}
