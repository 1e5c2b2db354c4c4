"""The hand-written payment check never accepts what the payment schema rejects."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.model.payment_check import IDENTIFIER_KEYS, surely_valid
from streams.model.schemas import SchemaError, load, validator

GOOD: dict[str, Any] = {
    "txn_id": "t-1",
    "member_id": "bank-a",
    "ts": "2026-01-01T00:00:00Z",
    "amount": "12.50",
    "currency": "EUR",
    "method": "card",
    "payer": {"id": "p-1"},
    "payee": {"merchant_id": "MID-1", "country": "SE", "mcc": "5411", "extra": [1]},
}


def schema_accepts(document: Any) -> bool:
    try:
        validator("payment")(document)
    except SchemaError:
        return False
    return True


def test_a_good_payment_is_accepted_without_the_validator() -> None:
    assert surely_valid(GOOD)
    assert surely_valid({**GOOD, "amount": 12})
    assert surely_valid({**GOOD, "amount": 12.5})


def test_each_kind_of_bad_field_goes_to_the_validator() -> None:
    bad: list[dict[str, Any]] = [
        {k: v for k, v in GOOD.items() if k != "currency"},
        {**GOOD, "txn_id": ""},
        {**GOOD, "txn_id": "x" * 129},
        {**GOOD, "member_id": "Bank"},
        {**GOOD, "member_id": "bank\n"},
        {**GOOD, "ts": "2026"},
        {**GOOD, "amount": True},
        {**GOOD, "amount": "1e5"},
        {**GOOD, "amount": "1" * 41},
        {**GOOD, "currency": "EURO"},
        {**GOOD, "method": "cash"},
        {**GOOD, "method": ["card"]},
        {**GOOD, "payer": None},
        {**GOOD, "payer": {"id": 7}},
        {**GOOD, "payee": {"mcc": "5411"}},
        {**GOOD, "payee": {"merchant_id": 1}},
        {**GOOD, "payee": {"name": "n" * 513}},
        {**GOOD, "payee": {"name": "n", "country": "SWE"}},
        {**GOOD, "payee": []},
    ]
    for document in bad:
        assert not surely_valid(document), document
        assert not schema_accepts(document), document


def test_a_payee_with_only_blank_identifiers_goes_to_the_slow_checks() -> None:
    # The schema accepts it; the payment's own check says NO_PAYEE_IDENTIFIER.
    blank = {**GOOD, "payee": {"merchant_id": "  ", "name": "", "country": "SE"}}
    assert schema_accepts(blank)
    assert not surely_valid(blank)
    assert surely_valid({**GOOD, "payee": {"merchant_id": "  ", "name": "n"}})


def test_the_identifiers_it_looks_for_are_the_schemas_any_of() -> None:
    payee = load("payment")["properties"]["payee"]
    assert {key for option in payee["anyOf"] for key in option["required"]} == IDENTIFIER_KEYS


values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.sampled_from(["EUR", "bank-a", "se", "5411", "-1.5", "card", "x" * 130]),
    st.lists(st.integers(), max_size=2),
)
payees = st.dictionaries(
    st.sampled_from(["merchant_id", "name", "country", "mcc", "phone", "other"]),
    values,
    max_size=4,
)


@settings(max_examples=400, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "txn_id": values,
            "member_id": values,
            "ts": st.one_of(values, st.just("2026-01-01T00:00:00Z")),
            "amount": values,
            "currency": values,
            "method": values,
            "payer": st.one_of(values, st.dictionaries(st.just("id"), values)),
            "payee": st.one_of(values, payees),
        },
    )
)
def test_accepted_only_what_the_schema_accepts(document: dict[str, Any]) -> None:
    if surely_valid(document):
        assert schema_accepts(document)


@given(st.sampled_from(list(GOOD)), values)
def test_one_field_changed_is_accepted_only_if_the_schema_accepts_it(key: str, value: Any) -> None:
    document = {**GOOD, key: value}
    if surely_valid(document):
        assert schema_accepts(document)
