"""The velocity rules in force (streams/velocity/rule_set.py): immutable updates, versions, and
which stages a payment must visit."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.model.payment import Payment, decode_payment
from streams.velocity.rule import VelocityRule, parse_rule
from streams.velocity.rule_set import RuleSet


def rule(rule_id: str, key: str = "payee", **fields: Any) -> VelocityRule:
    return parse_rule(
        {
            "rule_id": rule_id,
            "key": key,
            "window": "1h",
            "measure": "count",
            "threshold": 5,
            "action": "hold",
            **fields,
        }
    )


def payment(**fields: Any) -> Payment:
    document: dict[str, Any] = {
        "txn_id": "t-1",
        "member_id": "acme-bank",
        "ts": "2026-03-14T09:00:00Z",
        "amount": "9.99",
        "currency": "EUR",
        "payer": {"id": "buyer-1"},
        "payee": {"merchant_id": "M-1"},
        **fields,
    }
    return decode_payment(orjson.dumps({k: v for k, v in document.items() if v is not None}))


def test_empty_set() -> None:
    assert RuleSet.EMPTY.version == "rs-0"
    assert RuleSet.EMPTY.enabled() == []
    assert len(RuleSet.EMPTY) == 0
    assert RuleSet.EMPTY.stages_for(payment()) == ()
    assert RuleSet.EMPTY.for_stage("payee") == ()


def test_updates_return_new_sets_and_leave_the_old_one_alone() -> None:
    one = RuleSet.EMPTY.with_rule(rule("a"))
    two = one.with_rule(rule("b"))
    assert list(RuleSet.EMPTY.rules) == []
    assert sorted(one.rules) == ["a"]
    assert sorted(two.rules) == ["a", "b"]
    assert sorted(two.without("a").rules) == ["b"]
    assert sorted(two.rules) == ["a", "b"]
    assert two.without("absent") is two


def test_the_rules_mapping_cannot_be_changed_in_place() -> None:
    rules = {"a": rule("a")}
    rule_set = RuleSet(rules)
    rules["b"] = rule("b")  # the caller's dict is copied
    assert list(rule_set.rules) == ["a"]
    with pytest.raises(TypeError):
        rule_set.rules["c"] = rule("c")  # type: ignore[index]


def test_a_rule_must_be_filed_under_its_own_id() -> None:
    with pytest.raises(ValueError, match="filed under"):
        RuleSet({"x": rule("a")})


def test_from_rules_refuses_duplicates() -> None:
    assert sorted(RuleSet.from_rules([rule("a"), rule("b")]).rules) == ["a", "b"]
    with pytest.raises(ValueError, match="given twice"):
        RuleSet.from_rules([rule("a"), rule("a", threshold=9)])


def test_with_rule_replaces_a_rule_of_the_same_id() -> None:
    rule_set = RuleSet.EMPTY.with_rule(rule("a")).with_rule(rule("a", threshold=9))
    assert rule_set.rules["a"].threshold == 9


def test_version_follows_the_content_not_the_order_of_updates() -> None:
    a, b = rule("a"), rule("b")
    first = RuleSet.EMPTY.with_rule(a).with_rule(b)
    second = RuleSet.EMPTY.with_rule(b).with_rule(a)
    assert first.version == second.version
    assert first.version.startswith("rs-") and len(first.version) == 15
    assert first.with_rule(rule("a", threshold=6)).version != first.version
    assert first.with_rule(rule("a", enabled=False)).version != first.version
    assert first.without("b").version != first.version
    assert first.without("b").without("a").version == "rs-0"


def test_enabled_rules_sorted_by_id() -> None:
    rule_set = RuleSet.from_rules([rule("c"), rule("a"), rule("b", enabled=False)])
    assert [r.rule_id for r in rule_set.enabled()] == ["a", "c"]


def test_for_stage_holds_enabled_rules_of_the_stage() -> None:
    rule_set = RuleSet.from_rules(
        [
            rule("payee-1"),
            rule("pm-1", key="payee_member"),
            rule("payer-1", key="payer"),
            rule("member-1", key="member"),
            rule("payee-off", enabled=False),
        ]
    )
    assert [r.rule_id for r in rule_set.for_stage("payee")] == ["payee-1", "pm-1"]
    assert [r.rule_id for r in rule_set.for_stage("payer")] == ["payer-1"]
    assert [r.rule_id for r in rule_set.for_stage("member")] == ["member-1"]
    with pytest.raises(ValueError, match="unknown velocity stage"):
        rule_set.for_stage("payee_member")


def test_stages_for_lists_the_stages_with_an_applying_rule_in_fixed_order() -> None:
    rule_set = RuleSet.from_rules(
        [
            rule("member-1", key="member"),
            rule("payer-at-price", key="payer", amounts=["9.99"]),
            rule("payee-northpay", members=["northpay"]),
        ]
    )
    assert rule_set.stages_for(payment()) == ("payer", "member")
    assert rule_set.stages_for(payment(amount="5.00")) == ("member",)
    assert rule_set.stages_for(payment(payer=None)) == ("member",)
    assert rule_set.stages_for(payment(member_id="northpay")) == ("payee", "payer", "member")


def test_a_disabled_rule_sends_no_payment_to_its_stage() -> None:
    rule_set = RuleSet.from_rules([rule("payer-1", key="payer", enabled=False)])
    assert rule_set.stages_for(payment()) == ()
