"""Payer references: what the engine shows and keeps of a buyer instead of the payer id.

A payer ref is 16 hex digits, HMAC-SHA256 of the payer id under the member's payer key,
itself HMAC-SHA256 of `screening-payer-key`, the byte 0x1f and the member id under the
deployment's `SCREENING_PAYER_KEY`. The same buyer at one member always gets the same
ref (velocity counts distinct payers, a fraud desk sees that two alerts share a buyer);
the same buyer at two members gets two unrelated refs, and nobody without the key can
test a guessed payer id against a ref.
Without a key (development, the demo) the ref is an unkeyed digest scoped by member,
which a guessed id can be tested against: production sets the key."""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

_MEMBER_KEY_LABEL = b"screening-payer-key\x1f"


@lru_cache(maxsize=4096)
def member_payer_key(key: bytes, member_id: str) -> bytes:
    """The member's payer key, derived from the deployment key."""
    return hmac.new(key, _MEMBER_KEY_LABEL + member_id.encode(), hashlib.sha256).digest()


def payer_ref(member_id: str, payer_id: str, key: bytes | None = None) -> str:
    """A member's payer id as a ref: keyed when the deployment has a payer key."""
    if key is None:
        data = f"{member_id}\x1f{payer_id}".encode()
        return hashlib.blake2b(data, digest_size=8, person=b"velocity-payer").hexdigest()
    member_key = member_payer_key(key, member_id)
    return hmac.new(member_key, payer_id.encode(), hashlib.sha256).hexdigest()[:16]
