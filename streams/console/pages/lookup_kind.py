"""The kind of identifier a person typed into the lookup's one field, when they leave the
kind to the console: a pure guess from its shape (the desk then canonicalises it as the
engine does, and says so when the value is not valid for the kind)."""

from __future__ import annotations

import re

DETECT = "detect"
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")
_WALLET = re.compile(
    r"^(0x[0-9a-fA-F]{40}|(bc1|[13])[a-zA-HJ-NP-Z0-9]{25,62}|T[1-9A-HJ-NP-Za-km-z]{33})$"
)
_DOMAIN = re.compile(r"^[\w.-]+\.[\w-]{2,}\.?(:\d+)?(/\S*)?$")


def guess_kind(value: str) -> str:
    """`email`, `url`, `iban`, `phone`, `wallet_address`, `domain` or else `name`."""
    text = value.strip()
    if "@" in text and " " not in text:
        return "email"
    if _URL.match(text):
        return "url"
    if _IBAN.match(re.sub(r"[\s-]", "", text).upper()):
        return "iban"
    if _PHONE.match(text) and sum(c.isdigit() for c in text) >= 7:
        return "phone"
    if _WALLET.match(text):
        return "wallet_address"
    if _DOMAIN.match(text):
        return "domain"
    return "name"
