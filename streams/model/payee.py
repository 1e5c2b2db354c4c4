"""A payment's payee in canonical form: lookup keys, evidence and the payee key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from streams.model import canonical

# Payee fields that identify a seller (country, acquirer_id and mcc only qualify them).
PAYEE_IDENTIFIER_FIELDS: tuple[str, ...] = canonical.IDENTIFIER_KINDS

# The contract's order of strength for the payee key: the identifier kinds' order, a url
# counting as its domain.
PAYEE_KEY_ORDER: tuple[str, ...] = tuple(k for k in canonical.IDENTIFIER_KINDS if k != "url")


@dataclass(frozen=True, slots=True)
class LookupKey:
    """One exact-match probe: index key `kind:value`, and the payee field it came from."""

    key: str
    field: str
    value: str


@dataclass(frozen=True, slots=True)
class CanonicalPayee:
    """Canonical identifiers of a payee (`kind -> value`), probes for the watchlist index,
    the canonical name for fuzzy matching, and the payee key."""

    identifiers: Mapping[str, str]
    lookup_keys: tuple[LookupKey, ...]
    name: str | None
    name_variants: tuple[str, ...]
    key: str | None
    invalid: tuple[str, ...]


# The payee fields canonicalisation reads; a payee is remembered by their values.
_CANONICAL_INPUTS: tuple[str, ...] = (*PAYEE_IDENTIFIER_FIELDS, "acquirer_id", "country")
# Payees repeat (a merchant is paid many times); about 1 KB each remembered.
REMEMBERED_PAYEES = 32_768
# A payee seen for the first time often shares its costliest identifiers (a website, a
# name, a phone) with payees seen before: those are remembered by value too. Each is a
# pure function of its arguments returning an immutable value.
REMEMBERED_VALUES = 65_536
_domain_lookup_keys = lru_cache(maxsize=REMEMBERED_VALUES)(canonical.domain_lookup_keys)
_name_variants = lru_cache(maxsize=REMEMBERED_VALUES)(canonical.name_variants)
_phone = lru_cache(maxsize=REMEMBERED_VALUES)(canonical.phone)


def index_key(kind: str, value: str) -> str:
    """The watchlist index key of a canonical identifier (`url` is indexed as `domain`)."""
    return f"{'domain' if kind == 'url' else kind}:{value}"


def canonical_payee(payee: Mapping[str, object]) -> CanonicalPayee:
    """Canonicalise a decoded payee object; values that are not valid identifiers of their
    kind (a bad IBAN, a malformed email) are listed in `invalid` and never matched."""
    raw: dict[str, str] = {}
    for f in _CANONICAL_INPUTS:
        v = payee.get(f)
        if isinstance(v, str) and (v := v.strip()):
            raw[f] = v
    identifiers: dict[str, str] = {}
    probes: list[LookupKey] = []
    invalid: list[str] = []

    mid = raw.get("merchant_id")
    if mid is not None:
        bare = canonical.merchant_id(mid)
        scoped = canonical.scoped_merchant_id(mid, raw.get("acquirer_id"))
        if bare and scoped:
            identifiers["merchant_id"] = scoped
            probes.append(LookupKey(index_key("merchant_id", bare), "merchant_id", bare))
            if scoped != bare:
                probes.append(LookupKey(index_key("merchant_id", scoped), "merchant_id", scoped))
    for field in ("card_acceptor_id", "iban", "account", "wallet_address", "email"):
        value = raw.get(field)
        if value is None:
            continue
        canon = canonical.SIMPLE_CANONICALISERS[field](value)
        if canon is None:
            invalid.append(field)
            continue
        identifiers[field] = canon
        probes.append(LookupKey(index_key(field, canon), field, canon))
    phone_raw = raw.get("phone")
    if phone_raw is not None:
        e164 = _phone(phone_raw, raw.get("country"))
        if e164 is None:
            invalid.append("phone")
        else:
            identifiers["phone"] = e164
            probes.append(LookupKey(index_key("phone", e164), "phone", e164))
    seen_domains: set[str] = set()
    for field in ("domain", "url"):
        value = raw.get(field)
        if value is None:
            continue
        keys = _domain_lookup_keys(value)
        if not keys:
            invalid.append(field)
            continue
        identifiers[field] = keys[0]
        for key in keys:
            if key not in seen_domains:
                seen_domains.add(key)
                probes.append(LookupKey(index_key("domain", key), field, key))
    name_raw = raw.get("name")
    variants = _name_variants(name_raw) if name_raw is not None else ()
    canon_name = variants[0] if variants else None
    if name_raw is not None and canon_name is None:
        invalid.append("name")
    if canon_name is not None:
        identifiers["name"] = canon_name

    return CanonicalPayee(
        identifiers=identifiers,
        lookup_keys=tuple(probes),
        name=canon_name,
        name_variants=variants,
        key=payee_key(identifiers),
        invalid=tuple(invalid),
    )


def remembered_payee(payee: Mapping[str, str]) -> CanonicalPayee:
    """`canonical_payee(payee)` of a payee the payment schema accepted (every field it
    names a string), remembered for the last `REMEMBERED_PAYEES` payees by the values of
    the fields it reads (canonicalisation is a pure function of them; the result is
    shared, and nothing changes it)."""
    return _canonical_of(tuple(map(payee.get, _CANONICAL_INPUTS)))


@lru_cache(maxsize=REMEMBERED_PAYEES)
def _canonical_of(values: tuple[str | None, ...]) -> CanonicalPayee:
    return canonical_payee(
        {field: v for field, v in zip(_CANONICAL_INPUTS, values, strict=True) if v is not None}
    )


def payee_key(identifiers: Mapping[str, str]) -> str | None:
    """`kind:value` of the strongest identifier; domains by their registrable domain."""
    for kind in PAYEE_KEY_ORDER:
        if kind == "domain":
            host = identifiers.get("domain") or identifiers.get("url")
            if host is not None:
                return f"domain:{canonical.registrable_domain(host) or host}"
            continue
        value = identifiers.get(kind)
        if value is not None:
            return f"{kind}:{value}"
    return None
