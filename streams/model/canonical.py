"""Canonical forms of payee identifiers: one function per identifier kind.

Each function takes what a payment or a watchlist entry wrote and returns the
form used for matching, or None when the value cannot be a valid identifier of
that kind (an invalid identifier never matches anything).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import lru_cache

import idna
import phonenumbers
import tldextract
from anyascii import anyascii

from streams.model.legal_forms import LEGAL_FORM_SEQUENCES as LEGAL_FORM_SEQUENCES
from streams.model.legal_forms import (
    LEGAL_FORMS,
    misspelt_legal_form,
    without_org_types,
    without_sequences,
)

# The bundled Public Suffix List snapshot only: screening must never fetch at run time.
# Private suffixes (github.io, blogspot.com) too: each seller there is its own payee.
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)

_SPACES = re.compile(r"[\s\-_.]+")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
# The label printed before an IBAN in its paper format ("IBAN DE89 ...", "IBAN: DE89..."):
# no IBAN begins with "IB", so stripping it never eats a country code.
_IBAN_LABEL = re.compile(r"^\s*IBAN\s*:?", re.IGNORECASE)
_HEX_ADDRESS = re.compile(r"^(0x)?([0-9a-f]{40})$")
_BECH32 = re.compile(r"^[a-z]{1,83}1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{6,}$")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9\-]{0,61}[a-z0-9])?$")
# Two or more such labels joined by dots (see `_ascii_host`).
_LDH_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?"
)
_NAME_PUNCTUATION = str.maketrans(
    {c: " " for c in string.punctuation if c not in ".'"} | {"&": " and ", "+": " and "}
)
# Dotted abbreviations (G.m.b.H., S.A.) collapse to one token before legal forms go.
_DOTTED = re.compile(r"(?<=\b\w)\.(?=\w\b)")
# Slashed legal forms (A/S, Danish and Norwegian) would otherwise split into initials.
_SLASHED_FORM = re.compile(r"\ba/s\b")
# A letter alone after a word and before another (or the end): an apostrophe written as a
# space (PEOPLE S for PEOPLE'S, SHARI A for SHARI'A, BAHA I), read also as part of the word
# before (not Y, E or O: Spanish and Portuguese conjunctions; I only after a vowel, as in
# BAHA'I: after a consonant it is a numeral, RIM GROUP INVESTMENTS I CORP.).
_LONE_LETTER = re.compile(r"(?<=[^\W\d_]{2}) ([AaSs]|(?<=[AaEeIiOoUu] )[Ii])(?= [^\W\d_]{2}|$)")
# One-letter words side by side, which sorting can bring together.
_SORTED_INITIALS = re.compile(r"\b[a-z] [a-z]\b")
# A name's own initials written apart (U K for U.K., T F M C for T.F.M.C.), read also as one.
_INITIALS = re.compile(r"\b[^\W\d_](?: [^\W\d_]\b)+")
# Import and export abbreviated in trade names (GOLDEN SUN I/E DALIAN, IMP/EXP, IMP-EXP).
_IMPORT_EXPORT = re.compile(r"\b(?:i\s*/\s*e|imp\.?\s*[/-]\s*exp\.?)(?=\s|$)", re.IGNORECASE)
# The Arabic article assimilated to the letter after it, written apart (AR-RAHMAH,
# AS-SALAM, ED-DAWA, ASH-SHAM for AL-RAHMAH, AL-SALAM, AL-DAWA, AL-SHAM), read also as AL.
_ARTICLE = re.compile(r"\b[ae](t|d|r|z|n|s|sh|th|dh|ts)[- ](?=\1)", re.IGNORECASE)
# A part of a name in parentheses: a place, a legal form, an acronym or another name for
# it (TEHRIK-E TALIBAN PAKISTAN (TTP), NASCO POLYMERS & CHEMICALS CO SAL (OFF-SHORE)).
_PARENTHESISED = re.compile(r"\s*\([^()]*\)")
# Words joining a name's parts ("Smith & Sons", "Pixel + Paper"): never what tells two
# businesses apart, and written as a symbol or a word at will.
CONNECTORS = frozenset(["and", "und", "et", "och", "og"])


def iban(value: str) -> str | None:
    """IBAN without spaces or a leading "IBAN" label, upper case; None unless it passes
    the ISO 13616 mod-97 check."""
    compact = re.sub(r"[\s\-.]", "", _IBAN_LABEL.sub("", value)).upper()
    if not _IBAN.match(compact):
        return None
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return compact if int(digits) % 97 == 1 else None


def merchant_id(value: str) -> str | None:
    """Merchant id trimmed and upper-cased; scoping by acquirer is `scoped_merchant_id`."""
    compact = value.strip().upper()
    return compact or None


def scoped_merchant_id(value: str, acquirer: str | None) -> str | None:
    """Merchant id qualified by its acquirer id (`ACQ/MID`), or bare when no acquirer."""
    mid = merchant_id(value)
    if mid is None:
        return None
    acq = acquirer.strip().upper() if acquirer else ""
    return f"{acq}/{mid}" if acq else mid


def card_acceptor_id(value: str) -> str | None:
    """Card acceptor id (ISO 8583 field 42): space padding removed, upper case."""
    compact = value.strip().upper()
    return compact or None


def account(value: str) -> str | None:
    """Account number without separators (spaces, dashes, dots, slashes), upper case."""
    compact = re.sub(r"[\s\-./]", "", value).upper()
    return compact or None


_IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


@lru_cache(maxsize=65536)
def host(value: str) -> str | None:
    """Host name of a domain or URL: lower case, ASCII (punycode), no `www.`, port or dot."""
    name = _ascii_host(value)
    while name is not None and name.startswith("www."):
        name = name[4:]
    return name


def host_text(value: str) -> str | None:
    """The host part of a domain or URL as written (lower case, no scheme, path, user,
    port or trailing dot); None for IP literals and empty hosts."""
    text = value.strip().lower()
    text = _SCHEME.sub("", text)
    text = re.split(r"[/?#\\]", text, maxsplit=1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.startswith("[") or text.count(":") > 1:
        return None
    text = text.split(":", 1)[0].strip().rstrip(".")
    return text or None


def _ascii_host(value: str) -> str | None:
    text = host_text(value)
    if text is None:
        return None
    if len(text) <= 253 and "--" not in text and _LDH_HOST.fullmatch(text):
        # Lower-case letters, digits and inner hyphens in labels of 1-63: IDNA returns
        # such a name unchanged (no mapping, no reserved `xx--` label, within its length
        # limits), and the first sight of a payee's website was a tenth of its decoding.
        return text
    try:
        text = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    labels = text.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return text


def domain(value: str) -> str | None:
    """Canonical domain of a domain name or URL (see `host`)."""
    return host(value)


def url(value: str) -> str | None:
    """A URL is matched by its domain."""
    return host(value)


@lru_cache(maxsize=65536)
def registrable_domain(value: str) -> str | None:
    """Registrable domain (eTLD+1 from the Public Suffix List) of a domain or URL; under a
    top-level label the list does not know (`.example`, `.internal`), the last two labels."""
    name = host(value)
    if name is None or _IPV4.match(name):
        return name
    parts = _PSL(name)
    if not parts.suffix:
        return ".".join(name.split(".")[-2:])
    if not parts.domain:
        return None
    return f"{parts.domain}.{parts.suffix}"


def domain_lookup_keys(value: str) -> tuple[str, ...]:
    """The host and each parent up to its registrable domain: a listed domain covers its
    subdomains, never its parents or look-alikes under another suffix."""
    name = host(value)
    if name is None:
        return ()
    top = registrable_domain(name) or name
    keys = [name]
    while name != top and "." in name:
        name = name.split(".", 1)[1]
        keys.append(name)
        if name == top:
            break
    return tuple(keys)


def wallet_address(value: str) -> str | None:
    """Hex (EVM) and bech32 addresses are case-insensitive (lower case); an EVM address
    written without its 0x prefix gets it back; base58 keeps case."""
    text = value.strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    lower = text.lower()
    hex_address = _HEX_ADDRESS.match(lower)
    if hex_address:
        return "0x" + hex_address.group(2)
    if _BECH32.match(lower) and (text == lower or text == text.upper()):
        return lower
    return text


def email(value: str) -> str | None:
    """Email address in lower case with an ASCII domain; None unless `local@domain`."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    local, at, dom = text.rpartition("@")
    if not at or not local or any(ch.isspace() for ch in local):
        return None
    canonical_domain = _ascii_host(dom)
    if canonical_domain is None or "/" in dom or ":" in dom:
        return None
    return f"{local.lower()}@{canonical_domain}"


def phone(value: str, country: str | None = None) -> str | None:
    """Phone number in E.164; a national number needs the payee's country to be read."""
    text = value.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    region = country.strip().upper() if country else None
    result = _e164(text, region)
    # libphonenumber keeps a national trunk prefix written after the country code
    # (+49 0201...) on the first pass and drops it on the second: read until stable.
    for _ in range(3):
        if result is None:
            return None
        again = _e164(result, None)
        if again == result:
            return result
        result = again
    return result


def _e164(text: str, region: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def name(value: str) -> str | None:
    """Name for fuzzy matching: ASCII, lower case, no punctuation, legal forms (some even
    misspelt) or connectors (&, +, and), words sorted (so word order does not
    matter); hyphens split words."""
    variants = name_variants(value)
    return variants[0] if variants else None


@lru_cache(maxsize=65536)
def name_variants(value: str) -> tuple[str, ...]:
    """Canonical forms of a name: hyphens splitting words (`dark pix`) and, when the name
    has hyphens, joining them (`darkpix`), since sellers write both; a letter alone after
    a word read as part of it too (`peoples` for PEOPLE S), initials written apart as one
    word (`uk` for U K), import and export abbreviated (I/E, IMP/EXP) spelled out, and,
    when a legal form of several words went, the name with its words kept (a payee
    writing JOINT VENTURE COMPANY in another order still matches).
    (Words run together or split anywhere else are the name index's concern: it compares
    names with their word boundaries removed.)"""
    first = _canonical_name(value.replace("-", " "))
    forms = [first]
    if first and len(value.split()) - len(first.split()) >= 2:
        kept = _canonical_name(value.replace("-", " "), org_types=False)
        if kept and len(kept.split()) - len(first.split()) >= 2:
            forms.append(kept)
    if "-" in value:
        forms.append(_canonical_name(value.replace("-", "")))
    if _LONE_LETTER.search(value):
        forms.append(_canonical_name(_LONE_LETTER.sub(r"\1", value)))
    if _IMPORT_EXPORT.search(value):
        forms.append(_canonical_name(_IMPORT_EXPORT.sub(" import export ", value)))
    if "(" in value:
        forms.append(_canonical_name(_PARENTHESISED.sub(" ", value).replace("-", " ")))
    if _ARTICLE.search(value):
        forms.append(_canonical_name(_ARTICLE.sub("al ", value).replace("-", " ")))
    if _INITIALS.search(value):
        forms.append(_canonical_name(_INITIALS.sub(lambda m: m.group(0).replace(" ", ""), value)))
    return tuple(dict.fromkeys(f for f in forms if f))


def _canonical_name(value: str, org_types: bool = True) -> str | None:
    """The canonical form of a name, canonicalised again until it stays the same: sorting
    can put initials side by side that read as a legal form once run together. Without
    `org_types`, rigour's legal forms stay."""
    result = _canonical_once(value, org_types)
    for _ in range(3):
        if result is None or not _SORTED_INITIALS.search(result):
            return result
        again = _canonical_once(result, org_types)
        if again == result:
            break
        result = again
    return result


def _canonical_once(value: str, org_types: bool = True) -> str | None:
    # Legal forms go first as written (rigour knows "beschränkter" and Cyrillic forms), then
    # again once transliterated (a form written in Latin letters in another script's name).
    # (rigour takes valid Unicode only: lone surrogates are left out of the first pass)
    written = _words(value.lower().encode("utf-8", "ignore").decode("utf-8"))
    text = " ".join(_without_forms(tuple(written), org_types) or written)
    text = _SLASHED_FORM.sub("as", anyascii(text).lower())
    words = _words(text)
    kept = [
        w
        for w in _without_forms(tuple(words), org_types)
        if w not in LEGAL_FORMS and w not in CONNECTORS and not misspelt_legal_form(w)
    ]
    if kept:
        return " ".join(sorted(kept))
    # A name that is nothing but legal forms and connectors keeps them all: it must not
    # vanish (and, canonicalised again, stays the same).
    everything = _words(_SLASHED_FORM.sub("as", anyascii(" ".join(written)).lower()))
    return " ".join(sorted(everything)) or None


@lru_cache(maxsize=65536)
def _without_forms(words: tuple[str, ...], org_types: bool) -> tuple[str, ...]:
    """`words` less multi-word legal forms and, with `org_types`, rigour's. Remembered: a
    name in ASCII asks the same of its words twice (as written, then transliterated), and
    rigour's pass was a tenth of the time of a screened name."""
    remove = without_org_types if org_types else _same
    return tuple(remove(without_sequences(list(words))))


def ordered_name_words(value: str) -> tuple[str, ...]:
    """A name's words in the order written: ASCII, lower case, punctuation and hyphens
    splitting words, dotted abbreviations one word (what initials are read from)."""
    return tuple(_words(anyascii(value.replace("-", " ")).lower()))


def _same(words: list[str]) -> list[str]:
    return words


def _words(text: str) -> list[str]:
    """Words of a lower-case name: punctuation splits words, dotted abbreviations
    (G.m.b.H., S.A.) collapse to one word, apostrophes vanish."""
    text = _DOTTED.sub("", text.translate(_NAME_PUNCTUATION))
    return text.replace(".", " ").replace("'", "").split()


# Every identifier kind, in the contract's order of strength (the payee key's).
IDENTIFIER_KINDS: tuple[str, ...] = (
    "merchant_id",
    "card_acceptor_id",
    "iban",
    "account",
    "wallet_address",
    "domain",
    "url",
    "email",
    "phone",
    "name",
)

# Kinds that need no context beyond their own value.
SIMPLE_CANONICALISERS: dict[str, Callable[[str], str | None]] = {
    "merchant_id": merchant_id,
    "card_acceptor_id": card_acceptor_id,
    "iban": iban,
    "account": account,
    "wallet_address": wallet_address,
    "domain": domain,
    "url": url,
    "email": email,
    "name": name,
}
