"""The pure parts of the updates phase and the masking micro-benchmark: which decision a
velocity rule's figure waits for, a change's figure and spans, and masking rates."""

from __future__ import annotations

from confluent_kafka import TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME

from streams.benchmarks.masking_speed import card_heavy, rates
from streams.benchmarks.stamps import Stamp
from streams.benchmarks.updates import figure, held_by
from streams.model.payment_masking import mask_payment


def test_the_rule_figure_waits_for_a_hold_by_that_rule() -> None:
    check = held_by("r-1")
    velocity = {"code": "VELOCITY", "rule_id": "r-1"}
    assert check({"decision": "hold", "reasons": [velocity]})
    assert not check({"decision": "allow", "reasons": []})
    assert not check({"decision": "hold", "reasons": [{**velocity, "rule_id": "r-2"}]})
    assert not check({"decision": "hold", "reasons": [{"code": "WATCHLIST"}]})


def test_a_change_figure_on_the_bench_clock_and_on_the_broker_clock() -> None:
    created = figure(
        Stamp(TIMESTAMP_CREATE_TIME, 10, 1_000.0),
        Stamp(TIMESTAMP_CREATE_TIME, 99, 1_080.0),
        "watchlist entry",
        "watchlist",
        "blocking the payee",
    )
    assert created["ms"] == 80.0
    assert created["spans"]["from"].startswith("watchlist entry handed to the bench's producer")
    assert created["spans"]["to"].startswith("the first decision blocking the payee")
    appended = figure(
        Stamp(TIMESTAMP_LOG_APPEND_TIME, 10, 1_000.0),
        Stamp(TIMESTAMP_LOG_APPEND_TIME, 70, 1_080.0),
        "velocity rule",
        "rules",
        "held by the rule",
    )
    assert appended["ms"] == 60.0
    assert "(broker LogAppendTime)" in appended["spans"]["from"]


def test_a_change_never_seen_has_no_figure() -> None:
    seen = figure(Stamp(TIMESTAMP_CREATE_TIME, 1, 1.0), None, "rule", "rules", "held")
    assert seen["ms"] is None
    assert "handed to the bench's producer" in seen["spans"]["from"]


def test_masking_rates() -> None:
    assert rates(4_000_000, 10_000, 2.0) == {
        "mb_per_s": 2.0,
        "payments_per_s": 5_000.0,
        "bytes_per_payment": 400.0,
    }


def test_card_heavy_payments_hold_cards_that_masking_finds() -> None:
    payment = {"txn_id": "t", "payer": {"id": "p"}, "payee": {"merchant_id": "M"}}
    heavy = card_heavy(payment, 0)
    assert heavy["payer"] == {"id": "p", "card": "5555555555554444"}
    raw = b'{"txn_id":"t","payer":{"id":"p","card":"5555555555554444"}}'
    assert b"5555555555554444" not in mask_payment(raw)
