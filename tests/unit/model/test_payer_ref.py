"""Payer refs: a keyed hash under the member's payer key, derived from the deployment's
SCREENING_PAYER_KEY; what alerts and velocity state hold instead of a payer id."""

from __future__ import annotations

import hashlib
import hmac

import orjson

from streams.model.payer_ref import payer_ref
from streams.model.payment import decode_payment
from tests.factories import payment_bytes

KEY = b"deployment-payer-key-0123456789"


def by_hand(key: bytes, member: str, payer: str) -> str:
    member_key = hmac.new(key, b"screening-payer-key\x1f" + member.encode(), "sha256").digest()
    return hmac.new(member_key, payer.encode(), hashlib.sha256).hexdigest()[:16]


def test_a_keyed_ref_is_hmac_sha256_under_the_members_key() -> None:
    assert payer_ref("acme", "buyer-17", KEY) == by_hand(KEY, "acme", "buyer-17")


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
    assert decode_payment(raw, "acme", KEY).payer_ref == by_hand(KEY, "acme", "buyer-17")
    anonymous = orjson.loads(raw)
    del anonymous["payer"]
    assert decode_payment(orjson.dumps(anonymous), "acme", KEY).payer_ref is None
