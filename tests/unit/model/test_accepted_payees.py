"""A payee the fast check accepted is not checked again: payments with it decode (or are
refused) exactly as they were before it was remembered."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.model import payment as payment_module
from streams.model.payee import canonical_payee
from streams.model.payment import PaymentError, decode_payment

GOOD: dict[str, Any] = {
    "txn_id": "t-1",
    "member_id": "bank-a",
    "ts": "2026-01-01T00:00:00Z",
    "amount": "12.50",
    "currency": "EUR",
    "payee": {"merchant_id": "MID-1", "name": " Acme Shop ", "mcc": "5411", "note": 7},
}


def decoded(document: dict[str, Any]) -> Any:
    return decode_payment(orjson.dumps(document))


def refusal(document: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(PaymentError) as caught:
        decoded(document)
    return caught.value.code, str(caught.value)


def test_a_payee_paid_again_decodes_as_the_first_time() -> None:
    payment_module._ACCEPTED_PAYEES.clear()
    first = decoded(GOOD)
    assert len(payment_module._ACCEPTED_PAYEES) == 1
    again = decoded({**GOOD, "txn_id": "t-2"})
    assert again.payee == first.payee == canonical_payee(GOOD["payee"])
    strings = {"merchant_id": "MID-1", "name": " Acme Shop ", "mcc": "5411"}
    assert again.payee_raw == first.payee_raw == strings


def test_a_remembered_payee_in_a_bad_payment_is_refused_as_before() -> None:
    bad = {**GOOD, "currency": "EURO"}
    payment_module._ACCEPTED_PAYEES.clear()
    before = refusal(bad)
    decoded(GOOD)
    assert refusal(bad) == before
    assert before[0] == "SCHEMA"


def test_payees_that_are_not_remembered() -> None:
    payment_module._ACCEPTED_PAYEES.clear()
    nested = {**GOOD, "payee": {**GOOD["payee"], "tags": ["a"]}}  # not hashable
    decoded(nested)
    blank = {**GOOD, "payee": {"merchant_id": "  ", "name": ""}}
    assert refusal(blank)[0] == "NO_PAYEE_IDENTIFIER"
    assert payment_module._ACCEPTED_PAYEES == {}


def test_the_memory_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(payment_module, "REMEMBERED_ACCEPTED_PAYEES", 3)
    payment_module._ACCEPTED_PAYEES.clear()
    for i in range(7):
        decoded({**GOOD, "payee": {"merchant_id": f"MID-{i}"}})
        assert len(payment_module._ACCEPTED_PAYEES) <= 3
