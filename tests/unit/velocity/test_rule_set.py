"""The velocity rules in force (streams/velocity/rule_set.py): immutable updates, versions, and
which stages a payment must visit."""

from __future__ import annotations

import pytest

from streams.velocity.rule_set import RuleSet
from tests.factories import decoded_payment, velocity_rule


def test_empty_set() -> None:
    assert RuleSet.EMPTY.version == "rs-0"
    assert RuleSet.EMPTY.enabled() == []
    assert len(RuleSet.EMPTY) == 0
    assert RuleSet.EMPTY.stages_for(decoded_payment(payer_id="buyer-1")) == ()
    assert RuleSet.EMPTY.for_stage("payee") == ()


def test_updates_return_new_sets_and_leave_the_old_one_alone() -> None:
    one = RuleSet.EMPTY.with_rule(velocity_rule("a"))
    two = one.with_rule(velocity_rule("b"))
    assert list(RuleSet.EMPTY.rules) == []
    assert sorted(one.rules) == ["a"]
    assert sorted(two.rules) == ["a", "b"]
    assert sorted(two.without("a").rules) == ["b"]
    assert sorted(two.rules) == ["a", "b"]
    assert two.without("absent") is two


def test_the_rules_mapping_cannot_be_changed_in_place() -> None:
    rules = {"a": velocity_rule("a")}
    rule_set = RuleSet(rules)
    rules["b"] = velocity_rule("b")  # the caller's dict is copied
    assert list(rule_set.rules) == ["a"]
    with pytest.raises(TypeError):
        rule_set.rules["c"] = velocity_rule("c")  # type: ignore[index]


def test_a_rule_must_be_filed_under_its_own_id() -> None:
    with pytest.raises(ValueError, match="filed under"):
        RuleSet({"x": velocity_rule("a")})


def test_from_rules_refuses_duplicates() -> None:
    assert sorted(RuleSet.from_rules([velocity_rule("a"), velocity_rule("b")]).rules) == ["a", "b"]
    with pytest.raises(ValueError, match="given twice"):
        RuleSet.from_rules([velocity_rule("a"), velocity_rule("a", threshold=9)])


def test_with_rule_replaces_a_rule_of_the_same_id() -> None:
    rule_set = RuleSet.EMPTY.with_rule(velocity_rule("a")).with_rule(
        velocity_rule("a", threshold=9)
    )
    assert rule_set.rules["a"].threshold == 9


def test_version_follows_the_content_not_the_order_of_updates() -> None:
    a, b = velocity_rule("a"), velocity_rule("b")
    first = RuleSet.EMPTY.with_rule(a).with_rule(b)
    second = RuleSet.EMPTY.with_rule(b).with_rule(a)
    assert first.version == second.version
    assert first.version.startswith("rs-") and len(first.version) == 15
    assert first.with_rule(velocity_rule("a", threshold=6)).version != first.version
    assert first.with_rule(velocity_rule("a", enabled=False)).version != first.version
    assert first.without("b").version != first.version
    assert first.without("b").without("a").version == "rs-0"


def test_enabled_rules_sorted_by_id() -> None:
    rule_set = RuleSet.from_rules(
        [velocity_rule("c"), velocity_rule("a"), velocity_rule("b", enabled=False)]
    )
    assert [r.rule_id for r in rule_set.enabled()] == ["a", "c"]


def test_for_stage_holds_enabled_rules_of_the_stage() -> None:
    rule_set = RuleSet.from_rules(
        [
            velocity_rule("payee-1"),
            velocity_rule("pm-1", key="payee_member"),
            velocity_rule("payer-1", key="payer"),
            velocity_rule("member-1", key="member"),
            velocity_rule("payee-off", enabled=False),
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
            velocity_rule("member-1", key="member"),
            velocity_rule("payer-at-price", key="payer", amounts=["9.99"]),
            velocity_rule("payee-northpay", members=["northpay"]),
        ]
    )
    assert rule_set.stages_for(decoded_payment(payer_id="buyer-1")) == ("payer", "member")
    assert rule_set.stages_for(decoded_payment(payer_id="buyer-1", amount="5.00")) == ("member",)
    assert rule_set.stages_for(decoded_payment()) == ("member",)
    assert rule_set.stages_for(decoded_payment("t-1", "northpay", payer_id="buyer-1")) == (
        "payee",
        "payer",
        "member",
    )


def test_a_disabled_rule_sends_no_payment_to_its_stage() -> None:
    rule_set = RuleSet.from_rules([velocity_rule("payer-1", key="payer", enabled=False)])
    assert rule_set.stages_for(decoded_payment(payer_id="buyer-1")) == ()
