"""Velocity rules on payments (streams/velocity/evaluate.py): keys, one stage against its
state, and acceptance sequences in event time where each kind of rule fires exactly where
its threshold is reached inside the window and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import orjson
import pytest

from streams.model.payer_ref import payer_ref
from streams.model.payment import Payment
from streams.velocity.evaluate import (
    VelocityHit,
    evaluate_all,
    evaluate_stage,
    velocity_key,
)
from streams.velocity.rule import VelocityRule
from streams.velocity.rule_set import RuleSet
from streams.velocity.state import decode_state
from tests.factories import decoded_payment, velocity_rule

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
SELLER = "M-SELLER"
OTHER = "M-OTHER"


def pay(
    txn_id: str,
    minutes: float,
    *,
    payer: str | None = None,
    amount: str = "9.99",
    member: str = "acme-bank",
    payee: str = SELLER,
) -> Payment:
    """The payment `minutes` after T0 in these sequences: decoded from its bytes, as the
    worker receives it."""
    return decoded_payment(
        txn_id,
        member,
        ts=T0 + timedelta(minutes=minutes),
        amount=amount,
        payer_id=payer,
        payee={"merchant_id": payee, "name": "Some Shop"},
    )


def run(rules: Iterable[VelocityRule], payments: Iterable[Payment]) -> dict[str, list[VelocityHit]]:
    """Offline mode: every payment through every stage against one state dict."""
    rule_set = RuleSet.from_rules(rules)
    state: dict[str, bytes] = {}
    return {p.txn_id: evaluate_all(p, rule_set, state) for p in payments}


def fired(results: dict[str, list[VelocityHit]], rule_id: str) -> set[str]:
    return {txn for txn, hits in results.items() if any(h.rule.rule_id == rule_id for h in hits)}


def observed(results: dict[str, list[VelocityHit]], txn_id: str) -> Decimal:
    (hit,) = results[txn_id]
    return hit.observed


# --- keys --------------------------------------------------------------------------------


def test_velocity_keys() -> None:
    payment = pay("t1", 0, payer="buyer-7")
    payee = payment.payee.key
    assert payee is not None and payee.startswith("merchant_id:")
    assert velocity_key("payee", payment) == payee
    assert velocity_key("payee_member", payment) == f"{payee}|acme-bank"
    assert velocity_key("payer", payment) == f"acme-bank|{payer_ref('acme-bank', 'buyer-7')}"
    assert velocity_key("member", payment) == "acme-bank"


def test_the_payer_key_never_holds_the_payer_id() -> None:
    key = velocity_key("payer", pay("t1", 0, payer="4111-buyer-secret"))
    assert key is not None and "secret" not in key and "4111" not in key


def test_keys_absent_from_a_payment_are_none() -> None:
    assert velocity_key("payer", pay("t1", 0)) is None
    with pytest.raises(ValueError, match="unknown velocity key kind"):
        velocity_key("seller", pay("t1", 0))


# --- acceptance sequences ----------------------------------------------------------------


def test_distinct_payer_rule_fires_exactly_where_the_window_holds_enough_buyers() -> None:
    buyers = velocity_rule("buyers", measure="distinct_payers", window="1h", threshold=3)
    results = run(
        [buyers],
        [
            pay("p1", 0, payer="A"),
            pay("p2", 10, payer="B"),
            pay("p3", 20, payer="A"),  # A again: still two buyers
            pay("x1", 25, payer="C", payee=OTHER),  # another seller's buyers do not count
            pay("x2", 26, payer="D", payee=OTHER),
            pay("p4", 30),  # no payer: adds no buyer
            pay("p5", 40, payer="C"),  # A, B, C within the hour
            pay("p6", 70, payer="D"),  # B at 10 is exactly one hour back: still inside
            pay("p7", 130, payer="E"),  # only D (70) and E
            pay("p8", 95, payer="A"),  # late: C (40), D (70) and A within [35, 95]
            # late: D (70), A (95) and D again; E at 130 is after 125 and does not count
            pay("p9", 125, payer="D"),
        ],
    )
    assert fired(results, "buyers") == {"p5", "p6", "p8"}
    assert observed(results, "p5") == 3
    assert observed(results, "p6") == 4
    assert observed(results, "p8") == 3


def test_sum_of_amount_rule_fires_exactly_at_the_threshold_in_decimal() -> None:
    total = velocity_rule("total", measure="sum_amount", window="24h", threshold="100.00")
    results = run(
        [total],
        [
            pay("s1", 0, amount="40.00"),
            pay("s2", 60, amount="30.00"),
            pay("s3", 120, amount="29.99"),  # 99.99
            pay("s4", 180, amount="-20.00"),  # a refund does not undo payments
            pay("s5", 240, amount="0.01"),  # 100.00: at least the threshold
            pay("s6", 24 * 60, amount="0.01"),  # s1 exactly 24h back still counts: 100.01
            pay("s7", 24 * 60 + 1 / 60, amount="0.01"),  # one second later s1 has left
        ],
    )
    assert fired(results, "total") == {"s5", "s6"}
    assert observed(results, "s5") == Decimal("100.00")
    assert observed(results, "s6") == Decimal("100.01")
    (hit,) = results["s6"]
    assert hit.result().evidence["observed"] == "100.01"


def test_price_point_rule_counts_only_payments_at_its_price_points() -> None:
    price_points = velocity_rule(
        "price-points", measure="count", window="1h", threshold=3, amounts=["9.99", "19.99"]
    )
    results = run(
        [price_points],
        [
            pay("q1", 0, amount="9.99"),
            pay("q2", 5, amount="15.00"),  # not a price point: neither counted nor held
            pay("q3", 10, amount="19.990"),  # the same price point written another way
            pay("q4", 20, amount="9.99", payee=OTHER),
            pay("q5", 30, amount="9.99"),  # third price-point payment within the hour
            pay("q6", 35, amount="15.00"),
            pay("q7", 61, amount="19.99"),  # q3 (10), q5 (30), q7: q1 has left
            pay("q8", 95, amount="9.99"),  # q7 and q8 only
        ],
    )
    assert fired(results, "price-points") == {"q5", "q7"}


def test_shadow_rule_reports_but_never_enforces() -> None:
    shadow = velocity_rule(
        "member-burst", key="payee_member", window="15m", threshold=2, mode="shadow"
    )
    results = run(
        [shadow],
        [
            pay("w1", 0),
            pay("w2", 10),  # two from acme-bank within 15 minutes
            pay("w3", 12, member="northpay"),  # northpay's own count for this seller: 1
            pay("w4", 26),  # w2 at 10 is outside [11, 26]
        ],
    )
    assert fired(results, "member-burst") == {"w2"}
    (hit,) = results["w2"]
    assert not hit.enforced
    result = hit.result()
    assert result.evidence["mode"] == "shadow"
    assert result.effect == "hold"  # what the rule would do; only enforced hits decide


def test_rules_of_every_stage_in_one_run() -> None:
    rules = [
        velocity_rule("buyers", measure="distinct_payers", threshold=2),
        velocity_rule("repeat-buyer", key="payer", threshold=2, action="alert", mode="shadow"),
        velocity_rule("member-volume", key="member", threshold=3, mode="shadow"),
    ]
    results = run(
        rules,
        [
            pay("r1", 0, payer="A"),
            pay("r2", 1, payer="B", payee=OTHER),
            pay("r3", 2, payer="A"),  # A again at SELLER: still one buyer there
            pay("r4", 3, payer="C"),
        ],
    )
    assert fired(results, "repeat-buyer") == {"r3"}
    assert fired(results, "member-volume") == {"r3", "r4"}
    assert fired(results, "buyers") == {"r4"}
    assert [h.rule.rule_id for h in results["r4"]] == ["buyers", "member-volume"]


def test_the_worker_stages_with_their_own_tables_find_the_same_hits() -> None:
    rules = [
        velocity_rule("buyers", measure="distinct_payers", threshold=2),
        velocity_rule("pm", key="payee_member", threshold=2),
        velocity_rule("repeat-buyer", key="payer", threshold=2, action="alert"),
        velocity_rule("member-volume", key="member", threshold=3, mode="shadow"),
    ]
    payments = [
        pay(f"t{i}", i * 7 % 50, payer="ABC"[i % 3], member=("acme-bank", "northpay")[i % 2])
        for i in range(30)
    ]
    offline = run(rules, payments)
    rule_set = RuleSet.from_rules(rules)
    tables: dict[str, dict[str, bytes]] = {"payee": {}, "payer": {}, "member": {}}
    for payment in payments:
        hits = []
        for stage in rule_set.stages_for(payment):
            hits += evaluate_stage(stage, payment, rule_set.for_stage(stage), tables[stage])
        assert hits == offline[payment.txn_id]
    assert all(key.startswith(("payee:", "payee_member:")) for key in tables["payee"])
    assert all(key.startswith("payer:") for key in tables["payer"])
    assert all(key.startswith("member:") for key in tables["member"])


# --- one stage against its state ---------------------------------------------------------


class RecordingState(dict[str, bytes]):
    """A dict that records writes, as a Faust table would send them to its changelog."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def __setitem__(self, key: str, value: bytes) -> None:
        self.writes.append(key)
        super().__setitem__(key, value)


def test_each_state_key_is_written_once_per_payment() -> None:
    rules = [
        velocity_rule("a"),
        velocity_rule("b", measure="sum_amount", threshold="50"),
        velocity_rule("c", key="payee_member"),
    ]
    state = RecordingState()
    payment = pay("t1", 0)
    evaluate_stage("payee", payment, rules, state)
    payee = payment.payee.key
    assert sorted(state.writes) == [f"payee:{payee}", f"payee_member:{payee}|acme-bank"]
    assert set(decode_state(state[f"payee:{payee}"])) == {"a", "b"}


def test_a_redelivered_payment_writes_nothing_and_gets_the_same_hits() -> None:
    rules = [
        velocity_rule("a", threshold=2),
        velocity_rule("b", measure="distinct_payers", threshold=2),
    ]
    state = RecordingState()
    evaluate_stage("payee", pay("t1", 0, payer="A"), rules, state)
    first = evaluate_stage("payee", pay("t2", 1, payer="B"), rules, state)
    state.writes.clear()
    again = evaluate_stage("payee", pay("t2", 1, payer="B"), rules, state)
    assert state.writes == []
    assert again == first
    assert [h.rule.rule_id for h in first] == ["a", "b"]


def test_a_stage_without_applicable_rules_leaves_state_untouched() -> None:
    state = RecordingState()
    hits = evaluate_stage("payee", pay("t1", 0), [velocity_rule("a", members=["northpay"])], state)
    assert hits == [] and state == {} and state.writes == []


def test_corrupt_state_is_logged_and_replaced(caplog: pytest.LogCaptureFixture) -> None:
    payment = pay("t1", 0)
    state = {f"payee:{payment.payee.key}": b"garbage"}
    with caplog.at_level(logging.WARNING):
        hits = evaluate_stage("payee", payment, [velocity_rule("a", threshold=1)], state)
    assert [h.observed for h in hits] == [1]
    assert "unreadable" in caplog.text
    assert decode_state(state[f"payee:{payment.payee.key}"])["a"]


def test_state_of_a_long_gone_rule_is_dropped() -> None:
    payment = pay("t1", 0)
    state_key = f"payee:{payment.payee.key}"
    old = int((T0 - timedelta(days=200)).timestamp() * 1000)
    state = {state_key: orjson.dumps({"deleted-rule": [[old], ["x"], [""]]})}
    evaluate_stage("payee", payment, [velocity_rule("a")], state)
    assert set(decode_state(state[state_key])) == {"a"}


def test_unknown_stage_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown velocity stage"):
        evaluate_stage("payee_member", pay("t1", 0), [], {})


# --- the reason --------------------------------------------------------------------------


def test_hit_result_is_a_velocity_reason_with_its_evidence() -> None:
    r = velocity_rule("buyers", measure="distinct_payers", threshold="2", window="90s")
    payment = pay("t2", 0, payer="buyer-secret-2")
    state: dict[str, bytes] = {}
    evaluate_stage("payee", pay("t1", 0, payer="buyer-secret-1"), [r], state)
    (hit,) = evaluate_stage("payee", payment, [r], state)
    result = hit.result()
    assert result.code == "VELOCITY"
    assert result.effect == "hold"
    assert result.evidence == {
        "rule_id": "buyers",
        "rule_version": r.version,
        "mode": "enforce",
        "key_kind": "payee",
        "key": payment.payee.key,
        "window": "90s",
        "measure": "distinct_payers",
        "observed": "2",
        "threshold": "2",
    }
    assert result.as_reason()["action"] == "hold"
    assert "secret" not in orjson.dumps(result.evidence).decode()


@pytest.mark.parametrize(
    ("action", "mode", "enforced"),
    [
        ("hold", "enforce", True),
        ("block", "enforce", True),
        ("alert", "enforce", False),
        ("hold", "shadow", False),
        ("block", "shadow", False),
    ],
)
def test_only_enforced_hold_and_block_hits_are_enforced(
    action: str, mode: str, enforced: bool
) -> None:
    hit = VelocityHit(velocity_rule("a", action=action, mode=mode), "k", Decimal(3))
    assert hit.enforced is enforced
    assert hit.result().effect == action
