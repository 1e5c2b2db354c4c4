"""Keyed hashes of canonical identifiers, for privacy-preserving contributions: a member
can list an identifier without revealing it, and exact matching still works."""

from __future__ import annotations

import hashlib
import hmac

HASH_MARK = "#"


def identifier_token(coalition_key: bytes, index_key: str) -> str:
    """HMAC-SHA256 (hex) of an index key `kind:canonical value` under the coalition key;
    the kind is inside the MAC, so equal values of two kinds never collide."""
    return hmac.new(coalition_key, index_key.encode(), hashlib.sha256).hexdigest()


def hashed_index_key(coalition_key: bytes, index_key: str) -> str:
    """The index key under which a hashed contribution of `index_key` is filed."""
    kind = index_key.split(":", 1)[0]
    return f"{kind}:{HASH_MARK}{identifier_token(coalition_key, index_key)}"


def token_index_key(kind: str, token: str) -> str:
    """The index key of a contributed token (`kind` as the payee probes it)."""
    return f"{'domain' if kind == 'url' else kind}:{HASH_MARK}{token.lower()}"
