"""Property-based fuzzing of everything that reads untrusted input: the payment decoder may
only raise PaymentError, the canonicalisers (all of them, found by enumerating
streams.model.canonical, so a new one is covered) only what they document (nothing: an invalid
value gives None), and canonical_payee nothing on any dict."""

from __future__ import annotations

import inspect
import os
import sys
from collections.abc import Callable
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from streams.model import canonical
from streams.model.payee import PAYEE_IDENTIFIER_FIELDS, CanonicalPayee, canonical_payee
from streams.model.payment import MAX_PAYMENT_BYTES, Payment, PaymentError, decode_payment
from tests.factories import payment_doc

# FUZZ_EXAMPLES=20000 runs a deeper search than the suite's bounded one.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# What each canonicaliser documents raising on a bad value; absent means nothing (the
# module's contract: "None when the value cannot be a valid identifier of that kind").
DOCUMENTED_RAISES: dict[str, tuple[type[BaseException], ...]] = {}


def canonicalisers() -> dict[str, Callable[..., Any]]:
    """Every public function of streams.model.canonical (plain or lru_cache-wrapped)."""
    found = {}
    for name, obj in vars(canonical).items():
        if name.startswith("_") or isinstance(obj, type) or not callable(obj):
            continue
        if getattr(obj, "__module__", None) == canonical.__name__:
            found[name] = obj
    return found


CANONICALISERS = canonicalisers()

# ---------------------------------------------------------------------------- strategies

# Text that reaches identifier code paths: separators, dots and @ (hosts, emails), digits
# and letters (IBANs, phones), IDNA trouble (joiners, ß, Greek final sigma, dotless i,
# full-width dots, combining marks, bidi), and anything else Unicode has.
TRICKY = (
    "0123456789 +-._/:@#?&%()[]\\'\"\t\n"
    "AZaz xn-- www. http:// mailto: IBAN 0x bc1q"
    "\u00df\u03c2\u0131\u0130\u200c\u200d\u3002\uff0e\ufe52\u0301\u202e\u00a0\ufeff\u2024"
)
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet=st.sampled_from(TRICKY), max_size=60),
    st.lists(
        st.sampled_from(
            ["www", "xn--", "xn--ls8h", "example", "com", "co.uk", "github.io", "-", "a" * 63,
             "\u00e9", "1", "0x", "DE89", "3704", "+44", "(0)", "@", ".", ":", "//", "IBAN"]
        ),
        max_size=12,
    ).map("".join),
)  # fmt: skip
SURROGATE_TEXT = st.text(alphabet=st.characters(categories=["Cs", "Lu", "Nd", "Po"]), max_size=20)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=25,
)
# Field values: mostly scalars, sometimes a small container (generation stays quick).
SMALL_JSON = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=4,
)
PAYMENT_KEYS = ("txn_id", "member_id", "ts", "amount", "currency", "method", "payer", "payee")
PAYEE_KEYS = (*PAYEE_IDENTIFIER_FIELDS, "acquirer_id", "country", "mcc")


# A payment with every field, so a mutation can hit each of them.
EVERY_FIELD: dict[str, Any] = {
    "method": "card",
    "payer_id": "payer-1",
    "payee": {
        "merchant_id": "MID-1",
        "acquirer_id": "ACQ",
        "name": "Dark Pix Ltd",
        "iban": "DE89 3704 0044 0532 0130 00",
        "domain": "darkpix.example",
        "url": "https://www.darkpix.example/shop",
        "email": "sales@darkpix.example",
        "phone": "+44 20 7946 0958",
        "wallet_address": "0x52908400098527886E0F7030069857D2E4169EE7",
        "account": "12-34-56 87654321",
        "card_acceptor_id": "CAID 0001",
        "country": "GB",
        "mcc": "5967",
    },
}


# Every place of a near-valid payment a mutation can hit: top-level fields, payee fields,
# the payer id, and the payee and payer objects themselves.
FIELD_PATHS: list[tuple[str, ...]] = [
    *((k,) for k in PAYMENT_KEYS),
    *(("payee", k) for k in PAYEE_KEYS),
    ("payer", "id"),
]
# One value of each JSON type, and awkward members of each.
EVERY_JSON_TYPE = st.one_of(
    st.sampled_from(
        [None, True, False, 0, -1, 2**63, 2**64 - 1, 1.5, -0.0, 1e300, 0.1234567890123456789,
         "", " ", "\x00", "9.99", "1e5", "NaN", "-", "2026-13-45T99:99:99Z", [], {}, [None],
         {"id": None}, {"merchant_id": ""}, ["MID-1"]]
    ),
    JSON,
)  # fmt: skip


def mutated(document: dict[str, Any], path: tuple[str, ...], value: Any, delete: bool) -> bytes:
    target = document
    for key in path[:-1]:
        child = target.get(key)
        if not isinstance(child, dict):
            child = target[key] = {}
        target = child
    if delete:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return orjson.dumps(document)


def decodes_or_payment_error(raw: bytes, member: str | None = None) -> None:
    """The decoder's contract: a Payment, or a PaymentError with a code and a message."""
    try:
        payment = decode_payment(raw, member)
    except PaymentError as exc:
        assert exc.code and str(exc)
        return
    assert isinstance(payment, Payment)
    assert isinstance(payment.payee, CanonicalPayee)


# ------------------------------------------------------------------------ the decoder


@FUZZ
@given(raw=st.binary(max_size=1024))
@example(raw=b"")
@example(raw=b"\xef\xbb\xbf{}")
@example(raw=b'{"amount": 1e400}')
@example(raw=b'"\\ud800"')
def test_decoder_on_arbitrary_bytes(raw: bytes) -> None:
    decodes_or_payment_error(raw)


@FUZZ
@given(document=JSON)
def test_decoder_on_arbitrary_json_documents(document: Any) -> None:
    decodes_or_payment_error(orjson.dumps(document))


@FUZZ
@given(
    document=st.dictionaries(st.sampled_from(PAYMENT_KEYS), SMALL_JSON, max_size=8),
    payee=st.dictionaries(st.sampled_from(PAYEE_KEYS), SMALL_JSON, max_size=6),
)
def test_decoder_on_payment_shaped_documents(document: dict[str, Any], payee: Any) -> None:
    document.setdefault("payee", payee)
    decodes_or_payment_error(orjson.dumps(document))


@FUZZ
@given(
    path=st.sampled_from(FIELD_PATHS),
    value=EVERY_JSON_TYPE,
    delete=st.booleans(),
    member=st.one_of(st.none(), st.sampled_from(["acme", "other"])),
)
def test_decoder_on_near_valid_payments(
    path: tuple[str, ...], value: Any, delete: bool, member: str | None
) -> None:
    decodes_or_payment_error(mutated(payment_doc(**EVERY_FIELD), path, value, delete), member)


@FUZZ
@given(field=st.sampled_from(PAYEE_KEYS), value=TEXT)
def test_decoder_on_valid_payments_with_arbitrary_payee_text(field: str, value: str) -> None:
    document = payment_doc(**EVERY_FIELD)
    document["payee"][field] = value
    decodes_or_payment_error(orjson.dumps(document))


@FUZZ
@given(
    data=st.data(),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.binary(max_size=3)), max_size=4),
)
def test_decoder_on_byte_level_mutations(data: st.DataObject, edits: list[Any]) -> None:
    raw = bytearray(orjson.dumps(payment_doc(**EVERY_FIELD)))
    for position, replacement in edits:
        at = position % (len(raw) + 1)
        cut = data.draw(st.integers(0, 3))
        raw[at : at + cut] = replacement
    decodes_or_payment_error(bytes(raw))


def test_decoder_on_deep_nesting_with_an_exact_amount() -> None:
    """A long-digit amount makes the decoder re-read the document with the standard
    library's parser, whose recursion limit is lower than orjson's depth limit."""
    limit = sys.getrecursionlimit()
    for depth in (10, 500, limit - 1, limit, 1023, 1024, 5000):
        nested = b"[" * depth + b"]" * depth
        for amount in (b"0.12345678901234567891", b"9.99"):
            raw = b'{"amount": ' + amount + b', "x": ' + nested + b"}"
            decodes_or_payment_error(raw)
            valid = orjson.dumps(payment_doc(**EVERY_FIELD))[:-1] + b', "amount": ' + amount
            decodes_or_payment_error(valid + b', "x": ' + nested + b"}")


def test_decoder_on_oversized_and_long_inputs() -> None:
    for raw in (
        b" " * (MAX_PAYMENT_BYTES + 1),
        b"[" * MAX_PAYMENT_BYTES,
        b'{"txn_id": "' + b"x" * (MAX_PAYMENT_BYTES - 20) + b'"}',
        orjson.dumps({**payment_doc(**EVERY_FIELD), "amount": "9" * 5000}),
        orjson.dumps({**payment_doc(**EVERY_FIELD), "note": "9" * 5000}),
    ):
        decodes_or_payment_error(raw)


# -------------------------------------------------------------------- canonicalisers


def test_every_identifier_kind_has_an_enumerated_canonicaliser() -> None:
    for kind in canonical.IDENTIFIER_KINDS:
        assert kind in CANONICALISERS, f"no canonical.{kind}"
    for kind, fn in canonical.SIMPLE_CANONICALISERS.items():
        assert CANONICALISERS[kind] is fn
    assert len(CANONICALISERS) >= len(canonical.IDENTIFIER_KINDS)


def call_with(fn: Callable[..., Any], value: str, extras: list[str | None]) -> Any:
    """Call a canonicaliser with `value` first and the extras for its other parameters."""
    parameters = list(inspect.signature(fn).parameters.values())[1:]
    return fn(value, *extras[: len(parameters)])


def check_canonicalisers(value: str, extras: list[str | None]) -> None:
    for name, fn in CANONICALISERS.items():
        try:
            result = call_with(fn, value, extras)
        except DOCUMENTED_RAISES.get(name, ()):
            continue
        except Exception as exc:  # pragma: no cover - the failure message is the point
            raise AssertionError(f"canonical.{name}({value!r}, ...) raised {exc!r}") from exc
        assert result is None or isinstance(result, str | tuple), (name, result)
        if isinstance(result, tuple):
            assert all(isinstance(item, str) for item in result), (name, result)


@FUZZ
@given(value=TEXT, extras=st.lists(st.one_of(st.none(), TEXT), min_size=2, max_size=2))
@example(value="xn--", extras=[None, None])
@example(value="a.xn--a", extras=["\u00df", "\u0131"])
@example(value="\u3002", extras=["", " "])
@example(value="+" + "9" * 300, extras=[None, "GB"])
@example(value="." * 300 + "a.b", extras=[None, None])
@example(value="IBAN", extras=[None, None])
def test_canonicalisers_on_arbitrary_text(value: str, extras: list[str | None]) -> None:
    check_canonicalisers(value, extras)


@FUZZ
@given(value=SURROGATE_TEXT, extras=st.lists(st.one_of(st.none(), SURROGATE_TEXT), min_size=2))
def test_canonicalisers_on_text_with_lone_surrogates(value: str, extras: list[str | None]) -> None:
    # JSON decoding never produces lone surrogates (orjson rejects them), but the watchlist
    # and command-line paths are not all JSON.
    check_canonicalisers(value, extras)


def test_canonicalisers_on_long_text() -> None:
    for value in ("a" * 10_000, "1" * 10_000, "a." * 5_000, "@" * 5_000, "x" * 63 + ".com"):
        check_canonicalisers(value, [None, "DE"])


# ------------------------------------------------------------------- canonical_payee


@FUZZ
@given(
    payee=st.dictionaries(
        st.one_of(st.sampled_from(PAYEE_KEYS), st.text(max_size=8)),
        st.one_of(TEXT, SMALL_JSON),
        max_size=10,
    )
)
def test_canonical_payee_on_arbitrary_dicts(payee: dict[str, Any]) -> None:
    result = canonical_payee(payee)
    assert isinstance(result, CanonicalPayee)
    assert set(result.identifiers) <= set(PAYEE_IDENTIFIER_FIELDS)
    assert set(result.invalid) <= set(PAYEE_IDENTIFIER_FIELDS)
    assert result.key is None or ":" in result.key


@FUZZ
@given(payee=st.fixed_dictionaries({}, optional={k: TEXT for k in PAYEE_KEYS}))
def test_canonical_payee_on_every_identifier_field(payee: dict[str, str]) -> None:
    result = canonical_payee(payee)
    for probe in result.lookup_keys:
        assert probe.key.endswith(probe.value)
