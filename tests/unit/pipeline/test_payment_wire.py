"""A decoded payment through the stage hand-off's fields (JSON and back) is the payment
decoding its bytes gives, for every identifier kind; fields of another shape are refused."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from streams.model.payment import Payment, decode_payment
from streams.model.timestamps import iso
from streams.offline import synthetic
from streams.pipeline.payment_wire import payment_fields, payment_from_fields
from tests.factories import payment_bytes

PAYER_KEY = b"k" * 32

PAYEES: list[dict[str, str]] = [
    {"merchant_id": "MID-0042", "acquirer_id": "ACQ-7", "name": "Corner Shop"},
    {"card_acceptor_id": "CA 991", "mcc": "5815"},
    {"iban": "DE89 3704 0044 0532 0130 00", "name": "Müller & Söhne GmbH"},
    {"account": "12-3456-789", "country": "NZ"},
    {"wallet_address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"},
    {"domain": "Shop.Example.co.uk", "url": "https://www.example.co.uk/path?q=1"},
    {"email": "Seller@Example.COM", "phone": "+44 20 7946 0958"},
    {"phone": "020 7946 0958", "country": "GB"},
    {"name": "  \uff26\uff55\uff4c\uff4c-width  Traders Ltd. "},
    {"iban": "not an iban", "email": "no at sign", "name": "Valid Name"},
]


def through_the_wire(payment: Payment) -> Payment:
    return payment_from_fields(orjson.loads(orjson.dumps(payment_fields(payment))), PAYER_KEY)


@pytest.mark.parametrize("payee", PAYEES)
@pytest.mark.parametrize(
    ("ts", "amount"),
    [
        ("2026-03-14T09:00:00Z", "19.99"),
        ("2026-03-14T10:30:00.123456+01:30", "1000.000"),
        ("2026-03-14T09:00:00.5-05:00", 0.1),
        ("1999-12-31T23:59:59.999999999Z", "12345678901234567890.123456789"),
    ],
)
def test_every_payee_kind_comes_back_as_decoded(
    payee: dict[str, str], ts: str, amount: Any
) -> None:
    i = PAYEES.index(payee)
    raw = payment_bytes(
        f"t-{i}",
        "acme-bank",
        ts=ts,
        amount=amount,
        currency="eur",
        payee=payee,
        # with and without a payer id and a method
        payer={"id": f"buyer-{i}"} if i % 3 else {},
        **({"method": "card"} if i % 2 else {}),
    )
    decoded = decode_payment(raw, None, PAYER_KEY)
    back = through_the_wire(decoded)
    assert back == decoded
    assert (back.ts.tzinfo, str(back.amount)) == (decoded.ts.tzinfo, str(decoded.amount))
    assert back.payer_ref == decoded.payer_ref  # the payer key is the receiver's
    # The time's output text comes with it, read off the fields rather than formatted.
    assert back.ts_written is not None
    assert back.ts_text == decoded.ts_text == iso(decoded.ts)


def test_synthetic_payments_come_back_as_decoded() -> None:
    for document in synthetic.payments(["acme-bank", "beta-pay"], 500, []):
        decoded = decode_payment(orjson.dumps(document), None, PAYER_KEY)
        assert through_the_wire(decoded) == decoded


def good_fields() -> list[Any]:
    raw = payment_bytes(
        "t-1",
        "acme-bank",
        ts="2026-03-14T09:00:00Z",
        currency="eur",
        payer_id="buyer-1",
        payee=PAYEES[0],
        method="card",
    )
    payment = decode_payment(raw, None)
    fields: list[Any] = orjson.loads(orjson.dumps(payment_fields(payment)))
    return fields


@pytest.mark.parametrize(
    ("index", "value"),
    [
        (0, 17),  # txn_id
        (1, None),  # member_id
        (2, "yesterday"),  # ts
        (2, "2026-03-14T09:00:00"),  # ts without a time zone
        (3, "nine"),  # amount
        (3, 9.99),  # amount not as a string
        (4, ["EUR"]),  # currency
        (7, "payee"),  # payee_raw
        (8, []),  # identifiers
        (9, [["merchant_id:x", "merchant_id"]]),  # a probe short of a field
        (9, 5),  # lookup keys
        (11, None),  # name variants
    ],
)
def test_fields_of_another_shape_are_refused(index: int, value: Any) -> None:
    fields = good_fields()
    fields[index] = value
    with pytest.raises(ValueError):
        payment_from_fields(fields, None)


@pytest.mark.parametrize("fields", [None, "payment", [], good_fields()[:-1], {"txn_id": "t"}])
def test_anything_but_the_fields_is_refused(fields: Any) -> None:
    with pytest.raises(ValueError):
        payment_from_fields(fields, None)
