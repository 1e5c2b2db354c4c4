"""Masking card numbers (PCI DSS 3.5.1) in anything screening writes: decisions, alerts,
dead letters, internal topics, changelogs and logs.

A card number is 13 to 19 ASCII digits passing the Luhn check, written with no separator
or with single spaces, dashes or dots between digits (`4111 1111-1111.1111`). It is found
anywhere: inside longer strings, JSON strings and JSON numbers alike.

Which windows are checked: a *run* is a maximal stretch of digits joined by single
separators. Every window of 13 to 19 consecutive digits of every run of 13 or more digits is
Luhn-checked, at every offset, not only the run as a whole: a card number followed by its
security code (`4111 1111 1111 1111 123`) or buried in a longer number (20+ digits) is one
run whose whole fails Luhn while the card number inside it passes. Every window that passes
has its digits between its first six and last four replaced by `*` (overlapping windows can
mask more: six and four are the most ever shown). Masking only replaces digits, never joins
runs, so every window left in the output is a window of the input that was checked: no
Luhn-valid 13-19 digit window survives, in one pass.

One exemption: windows lying wholly inside a valid IBAN (country code, the registry length
of that country, ISO 13616 mod-97 check, paper or electronic format). An IBAN's 14 to 30
digits hold a Luhn-valid window nearly always by chance, and IBANs are payee evidence that
alerts and decisions must show intact. A card number passes for part of an IBAN only when
a country code, that country's exact length and a 1-in-97 checksum all line up around it.

The price of the guarantee elsewhere: any other digit string holding a Luhn-valid window
(one in ten per window, so about two in three 16-digit numbers that are not cards, and one
in ten 13-digit epoch-millisecond timestamps) is partly masked too. Runs shorter than 13
digits (RFC 3339 timestamps, amounts, phone numbers, postcodes) are never touched. Separators
and every other character stay in place, so lengths are preserved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MIN_DIGITS = 13
MAX_DIGITS = 19
KEEP_FIRST = 6
KEEP_LAST = 4
MASK = "*"

# At least MIN_DIGITS digits with single separators between them, greedy so a match is a
# whole run (12 = MIN_DIGITS - 1).
_RUN = re.compile(r"[0-9](?:[ .\-]?[0-9]){12,}")
# The cheap pre-check, run on every payment: 13+ characters of digits and separators,
# a superset of _RUN that a plain character class finds four times faster.
_MAYBE_RUN = re.compile(r"[0-9][0-9 .\-]{11,}[0-9]")
_MAYBE_RUN_BYTES = re.compile(rb"[0-9][0-9 .\-]{11,}[0-9]")
# Cheaper still, and a superset of that: 13 characters in a row that are digits or
# separators, found with a byte translation and a substring search (a fifth of the regex's
# time on a payment, which nearly never holds such a run).
_RUN_CHARACTERS = bytes(ord("0") if chr(b) in "0123456789 .-" else ord("x") for b in range(256))
_SHORTEST_RUN = b"0" * MIN_DIGITS

# Luhn's doubled digit: 2d, less 9 when that has two digits.
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)

# Country code and check digits of an IBAN, not inside a longer word.
_IBAN_HEAD = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2})[0-9]{2}")
_NO_SEPARATORS = str.maketrans("", "", " .-")
# ISO 13616 reads letters as numbers for the mod-97 check: A = 10 ... Z = 35.
_IBAN_LETTER_DIGITS = str.maketrans({chr(65 + i): str(10 + i) for i in range(26)})
# IBAN length per country (SWIFT IBAN registry). A country missing here only loses the
# exemption: its IBANs are checked like any other digits (fail safe).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
    "BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
    "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
    "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
    "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
    "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
    "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip
# The rest of an IBAN after its head (n characters, separators allowed between them), not
# followed by a letter or digit: one compiled pattern per registry length.
_IBAN_BODIES = {
    n - 4: re.compile(r"(?:[ .\-]?[A-Za-z0-9]){" + str(n - 4) + r"}(?![A-Za-z0-9])")
    for n in set(IBAN_LENGTHS.values())
}


def mask_card_numbers(text: str) -> str:
    """Text with the middle digits of every card number replaced by `*` (see the module
    docstring for which digits); `text` itself when it holds none."""
    pieces: list[str] = []
    done = 0
    for stretch in _MAYBE_RUN.finditer(text):
        for run in _RUN.finditer(text, stretch.start(), stretch.end()):
            masked = _mask_match(text, run)
            if masked is not None:
                pieces += (text[done : run.start()], masked)
                done = run.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def mask_card_bytes(raw: bytes) -> bytes:
    """`mask_card_numbers` on bytes, valid UTF-8 or not: only ASCII digits, separators and
    letters are read and only ASCII digits replaced, so every other byte stays as it was.
    Returns `raw` itself when it holds no card number."""
    if _SHORTEST_RUN not in raw.translate(_RUN_CHARACTERS):
        return raw
    if _MAYBE_RUN_BYTES.search(raw) is None:
        return raw
    # Latin-1 maps every byte to one character and back, whatever the encoding was.
    text = raw.decode("latin-1")
    masked = mask_card_numbers(text)
    return raw if masked is text else masked.encode("latin-1")


def contains_card_number(text: str) -> bool:
    """Whether the text holds a card number, that is whether `mask_card_numbers` would
    change it."""
    return mask_card_numbers(text) is not text


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check of a string of ASCII digits, its last digit the check digit."""
    total = 0
    for offset, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        total += _DOUBLED[digit] if offset % 2 else digit
    return total % 10 == 0


def iban_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the valid IBANs in the text: a country code with its
    registry length, single spaces, dots or dashes allowed between characters, the mod-97
    check passing, and no letter or digit right before or after."""
    spans = []
    for head in _IBAN_HEAD.finditer(text):
        end = _iban_end(text, head)
        if end is not None:
            spans.append((head.start(), end))
    return spans


def _iban_end(text: str, head: re.Match[str]) -> int | None:
    """Where the valid IBAN starting with `head` ends in the text, or None."""
    length = IBAN_LENGTHS.get(head.group(1).upper())
    if length is None:
        return None
    body = _IBAN_BODIES[length - 4].match(text, head.end())
    if body is None:
        return None
    iban = (head.group() + body.group().translate(_NO_SEPARATORS)).upper()
    digits = (iban[4:] + iban[:4]).translate(_IBAN_LETTER_DIGITS)
    return body.end() if int(digits) % 97 == 1 else None


def _iban_around(text: str, start: int) -> tuple[int, int] | None:
    """The valid IBAN holding the character at `start` (a run's first digit), if any: its
    head is at most one IBAN and its separators before it."""
    lowest = max(0, start - 2 * max(IBAN_LENGTHS.values()))
    for head in _IBAN_HEAD.finditer(text, lowest, start + 2):
        end = _iban_end(text, head)
        if end is not None and end > start:
            return head.start(), end
    return None


def _mask_match(text: str, run: re.Match[str]) -> str | None:
    """A run found in the text, masked, or None when nothing in it is to be masked."""
    start, end = run.span()
    iban = _iban_around(text, start)
    if iban is not None and end <= iban[1]:
        return None  # the common case: the run is an IBAN's digits
    return _mask_run(run.group(), start, () if iban is None else (iban,))


def _valid_windows(digits: Sequence[int]) -> list[tuple[int, int]]:
    """(start, end) digit indices, end exclusive, of every Luhn-valid window of 13-19
    digits. Prefix sums make each window O(1), so a 64 KiB run of digits stays cheap."""
    n = len(digits)
    # plain[p][i]: sum of digits[j] for j < i with j % 2 == p; doubled[p] likewise.
    plain = ([0] * (n + 1), [0] * (n + 1))
    doubled = ([0] * (n + 1), [0] * (n + 1))
    for i, digit in enumerate(digits):
        p, q = i % 2, 1 - i % 2
        plain[p][i + 1] = plain[p][i] + digit
        doubled[p][i + 1] = doubled[p][i] + _DOUBLED[digit]
        plain[q][i + 1] = plain[q][i]
        doubled[q][i + 1] = doubled[q][i]
    found = []
    for end in range(MIN_DIGITS, n + 1):
        # Digits with the check digit's parity count once, the others doubled.
        check = (end - 1) % 2
        other = 1 - check
        for length in range(MIN_DIGITS, min(MAX_DIGITS, end) + 1):
            start = end - length
            total = (
                plain[check][end]
                - plain[check][start]
                + doubled[other][end]
                - doubled[other][start]
            )
            if total % 10 == 0:
                found.append((start, end))
    return found


def _mask_run(run: str, offset: int, ibans: Sequence[tuple[int, int]]) -> str | None:
    """The run (found at `offset` in its text) with the middle of each Luhn-valid window
    outside the IBAN spans masked, or None when there is nothing to mask."""
    positions = [i for i, c in enumerate(run) if "0" <= c <= "9"]
    chars: list[str] | None = None
    for start, end in _valid_windows([ord(run[i]) - 48 for i in positions]):
        first, last = offset + positions[start], offset + positions[end - 1]
        if any(low <= first and last < high for low, high in ibans):
            continue
        if chars is None:
            chars = list(run)
        for index in range(start + KEEP_FIRST, end - KEEP_LAST):
            chars[positions[index]] = MASK
    return None if chars is None else "".join(chars)
