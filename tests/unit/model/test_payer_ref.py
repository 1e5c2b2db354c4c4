"""Payer refs: a keyed hash under the member's payer key, derived from the deployment's
SCREENING_PAYER_KEY; what alerts and velocity state hold instead of a payer id."""

from __future__ import annotations

import orjson
import pytest

from streams.model import payer_ref as payer_ref_module
from streams.model.payer_ref import member_payer_key, payer_ref
from streams.model.payment import decode_payment
from tests.factories import payment_bytes

KEY = b"deployment-payer-key-0123456789"

# Computed once with Python's hmac from the construction payer_ref.py documents:
# member key = HMAC-SHA256(KEY, b"screening-payer-key\x1f" + member id),
# ref = HMAC-SHA256(member key, payer id) as hex, first 16 digits.
MEMBER_KEYS = {
    "acme": "8f1c203dc676e25ae20c71716054c0a8c49845e993c5037918c9791f014bf8f7",
    "globex": "0c7baedf8f4f4cd13a713823c7ea3cdc28fe5ae546471f1a9756cdf1154ce5c9",
}
REFS = {
    ("acme", "buyer-17"): "9065386ee165ca84",
    ("acme", "buyer-18"): "5afcc000b14f86ee",
    ("globex", "buyer-17"): "b5795c0d04345886",
    ("globex", "buyer-18"): "d8e1a3e605cff7cd",
}
# Without a key: BLAKE2b, 8 bytes, personalised b"velocity-payer", of b"acme\x1fbuyer-17".
UNKEYED_ACME_BUYER_17 = "d8561c3a3500d415"


@pytest.mark.parametrize(("member", "expected"), MEMBER_KEYS.items())
def test_the_member_key_is_derived_from_the_deployment_key(member: str, expected: str) -> None:
    assert member_payer_key(KEY, member).hex() == expected


@pytest.mark.parametrize(("member_and_payer", "expected"), REFS.items())
def test_a_keyed_ref_is_hmac_sha256_under_the_members_key(
    member_and_payer: tuple[str, str], expected: str
) -> None:
    assert payer_ref(*member_and_payer, KEY) == expected


def test_the_ref_is_plain_hmac_sha256_truncated_rfc_4231_case_2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """RFC 4231 test case 2 (key "Jefe") with the member key set to that key: HMAC-SHA256
    is 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843."""
    monkeypatch.setattr(payer_ref_module, "member_payer_key", lambda key, member: b"Jefe")
    assert payer_ref("acme", "what do ya want for nothing?", KEY) == "5bdcc146bf60754e"


def test_the_unkeyed_development_digest_is_stable() -> None:
    assert payer_ref("acme", "buyer-17") == UNKEYED_ACME_BUYER_17


def test_one_buyer_is_one_ref_at_a_member_and_unrelated_refs_across_members() -> None:
    assert payer_ref("acme", "buyer-17", KEY) == payer_ref("acme", "buyer-17", KEY)
    assert payer_ref("acme", "buyer-17", KEY) != payer_ref("globex", "buyer-17", KEY)
    assert payer_ref("acme", "buyer-17", KEY) != payer_ref("acme", "buyer-18", KEY)


def test_without_the_key_a_guessed_payer_id_cannot_be_tested() -> None:
    keyed = payer_ref("acme", "buyer-17", KEY)
    assert keyed != payer_ref("acme", "buyer-17")  # the unkeyed development digest
    assert keyed != payer_ref("acme", "buyer-17", b"another-key-of-enough-length")


def test_decoding_a_payment_computes_its_payer_ref_under_the_key() -> None:
    raw = payment_bytes(
        "t1", "acme", ts="2026-11-23T10:00:00Z", payer_id="buyer-17", payee={"merchant_id": "M-1"}
    )
    assert decode_payment(raw, "acme", KEY).payer_ref == REFS["acme", "buyer-17"]
    anonymous = orjson.loads(raw)
    del anonymous["payer"]
    assert decode_payment(orjson.dumps(anonymous), "acme", KEY).payer_ref is None
