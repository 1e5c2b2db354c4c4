"""Card numbers (PCI DSS 3.5.1) are masked wherever they are written: known test PANs in every
spacing, inside JSON and longer digit runs; other numbers left alone; and, by property, no
Luhn-valid 13-19 digit run survives, checked by a scanner written independently here."""

from __future__ import annotations

import time

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.model.card_masking import (
    contains_card_number,
    iban_spans,
    luhn_valid,
    mask_card_bytes,
    mask_card_numbers,
)

VISA = "4111111111111111"
MASTERCARD = "5555555555554444"
AMEX = "378282246310005"
VISA_13 = "4222222222222"
MAESTRO_19 = "6799990100000000019"
TEST_PANS = [
    VISA,
    "4012888888881881",
    MASTERCARD,
    "5105105105105100",
    "2223003122003222",  # Mastercard 2-series
    AMEX,
    "371449635398431",
    "6011111111111117",  # Discover
    "3530111333300000",  # JCB
    "30569309025904",  # Diners, 14 digits
    VISA_13,
    MAESTRO_19,
    "6221260000000000001",  # UnionPay, 19 digits
]
SEPARATORS = " -."


# --- an independent scanner: every window of 13-19 digits of every run ---------------


def naive_luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


def runs(text: str) -> list[list[int]]:
    """Character positions of each maximal run of ASCII digits joined by single separators."""
    digits = "0123456789"
    found: list[list[int]] = []
    current: list[int] = []
    for i, char in enumerate(text):
        if char in digits:
            current.append(i)
            continue
        between_digits = 0 < i < len(text) - 1 and text[i - 1] in digits and text[i + 1] in digits
        if char in SEPARATORS and between_digits:
            continue
        if current:
            found.append(current)
        current = []
    if current:
        found.append(current)
    return found


def luhn_windows(text: str) -> list[str]:
    """Every Luhn-valid window of 13-19 digits, except those wholly inside a valid IBAN (the
    module's one documented exemption)."""
    ibans = iban_spans(text)
    hits = []
    for run in runs(text):
        for length in range(13, 20):
            for start in range(len(run) - length + 1):
                window = run[start : start + length]
                digits = "".join(text[i] for i in window)
                inside_iban = any(lo <= window[0] and window[-1] < hi for lo, hi in ibans)
                if naive_luhn(digits) and not inside_iban:
                    hits.append(digits)
    return hits


def masked_form(pan: str) -> str:
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def test_the_scanner_and_the_module_agree_on_luhn() -> None:
    for pan in TEST_PANS:
        assert naive_luhn(pan) and luhn_valid(pan), pan
    assert not naive_luhn("4111111111111112") and not luhn_valid("4111111111111112")
    assert luhn_windows(f"x {VISA} y") == [VISA]
    assert runs("12 34--56  7") == [[0, 1, 3, 4], [7, 8], [11]]


# --- known PANs ------------------------------------------------------------------------


@pytest.mark.parametrize("pan", TEST_PANS)
def test_known_test_pans_keep_first_six_and_last_four(pan: str) -> None:
    assert mask_card_numbers(pan) == masked_form(pan)
    assert contains_card_number(pan)
    assert luhn_windows(mask_card_numbers(pan)) == []


def grouped(pan: str, separators: list[str], groups: tuple[int, ...]) -> str:
    out, at = [], 0
    for index, size in enumerate(groups):
        out.append(pan[at : at + size])
        at += size
        if index < len(groups) - 1:
            out.append(separators[index % len(separators)])
    return "".join(out)


@pytest.mark.parametrize(
    "separators",
    [[" "], ["-"], ["."], [""], [" ", "-", "."], ["-", "", " "], [".", ".", "-"]],
    ids=["spaces", "dashes", "dots", "none", "mixed", "mixed-with-none", "dots-dash"],
)
@pytest.mark.parametrize(
    ("pan", "groups"),
    [
        (VISA, (4, 4, 4, 4)),
        (MASTERCARD, (4, 4, 4, 4)),
        (AMEX, (4, 6, 5)),
        (VISA_13, (4, 3, 3, 3)),
        (MAESTRO_19, (4, 4, 4, 4, 3)),
        (VISA, (1,) * 16),  # a separator between every digit
    ],
)
def test_every_spacing_is_masked_and_separators_kept(
    pan: str, groups: tuple[int, ...], separators: list[str]
) -> None:
    written = grouped(pan, separators, groups)
    masked = mask_card_numbers(written)
    assert len(masked) == len(written)
    assert [c for c in masked if c not in "0123456789*"] == [
        c for c in written if c not in "0123456789"
    ]
    assert "".join(c for c in masked if c in "0123456789*") == masked_form(pan)
    assert luhn_windows(masked) == []


def test_inside_longer_strings() -> None:
    text = "card 4111 1111 1111 1111 exp 12/27 name J DOE"
    assert mask_card_numbers(text) == "card 4111 11** **** 1111 exp 12/27 name J DOE"
    assert mask_card_numbers(f"PAN:{VISA};") == f"PAN:{masked_form(VISA)};"
    assert mask_card_numbers(f"ref{MASTERCARD}x") == f"ref{masked_form(MASTERCARD)}x"


def test_every_card_in_a_text_is_masked() -> None:
    text = f"{VISA}, {AMEX} and {grouped(MASTERCARD, ['-'], (4, 4, 4, 4))}"
    masked = mask_card_numbers(text)
    assert masked == (
        f"{masked_form(VISA)}, {masked_form(AMEX)} and "
        f"{grouped(masked_form(MASTERCARD), ['-'], (4, 4, 4, 4))}"
    )


def test_inside_json_strings_and_numbers() -> None:
    document = {"note": f"paid with {VISA}", "amount": int(VISA), "payee": {"name": AMEX}}
    raw = orjson.dumps(document)
    masked = mask_card_bytes(raw)
    assert VISA.encode() not in masked and AMEX.encode() not in masked
    assert b'"amount":411111******1111' in masked, "digits inside a JSON number too"
    assert luhn_windows(masked.decode()) == []
    # Strings stay valid JSON strings.
    only_strings = orjson.dumps({"note": f"paid with {VISA}", "name": AMEX})
    assert orjson.loads(mask_card_bytes(only_strings)) == {
        "note": f"paid with {masked_form(VISA)}",
        "name": masked_form(AMEX),
    }


# --- overlapping windows: a card inside a longer digit run ------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"0000{VISA}000000",  # 26 contiguous digits
        f"9{VISA}",  # 17 digits: the whole run fails Luhn
        f"{VISA}123",  # PAN and security code run together
        "4111 1111 1111 1111 123",  # PAN and security code, spaced
        f"12345678901234567890{AMEX}12345678901234567890",
        f"{VISA}{MASTERCARD}",  # two cards back to back
    ],
)
def test_a_card_inside_a_longer_run_is_masked(text: str) -> None:
    assert luhn_windows(text) != []
    masked = mask_card_numbers(text)
    assert luhn_windows(masked) == []
    assert len(masked) == len(text)
    assert "*" in masked


def test_at_most_the_first_six_and_last_four_of_the_card_are_shown() -> None:
    masked = mask_card_numbers(f"0000{VISA}000000")
    card = masked[4:20]
    assert card[6:12] == "******", "the card's own middle is always masked"


# --- what must not be touched ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T10:00:00.123456+01:00",
        "2026-11-23 10:00:00",
        "20261123T100000Z",
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "0049 30 1234567",  # 13 digits, no Luhn-valid window
        "+49 30 1234567-89",
        "1716900000000",  # epoch milliseconds without a Luhn-valid window
        "123456789012",  # 12 digits: never a card
        "1234567812345678",  # 16 digits, no Luhn-valid window
        "4111 1111 1111  1111",  # a double space ends a run: neither half has 13 digits
        "4111/1111/1111/1111",  # slashes are not card separators
        '{"amount": "129.99", "currency": "EUR", "mcc": "5967"}',
        "",
    ],
)
def test_other_numbers_are_left_alone(text: str) -> None:
    assert luhn_windows(text) == [], "precondition: no Luhn-valid window"
    assert mask_card_numbers(text) is text
    assert not contains_card_number(text)
    assert mask_card_bytes(text.encode()) == text.encode()


VALID_IBANS = [
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91ABNA0417164300",
    "BE68 5390 0754 7034",
    "NO93 8601 1117 947",
    "IT60 X054 2811 1010 0000 0123 456",
    "PL61 1090 1014 0000 0712 1981 2874",
    "CH93 0076 2011 6238 5295 7",
    "AT61 1904 3002 3457 3201",
    "de89 3704 0044 0532 0130 00",
]


@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans_are_not_masked(iban: str) -> None:
    for text in (iban, f"pay to {iban} today", orjson.dumps({"iban": iban}).decode()):
        assert mask_card_numbers(text) is text
        assert iban_spans(text) != []


def test_the_iban_exemption_is_what_keeps_them() -> None:
    # The example German IBAN's 20-digit run holds Luhn-valid windows by chance ...
    assert luhn_windows("89370400440532013000") != []
    # ... so with a wrong check digit (not an IBAN any more) it is masked like any number.
    assert mask_card_numbers("DE89 3704 0044 0532 0130 01") != "DE89 3704 0044 0532 0130 01"
    # Inside a longer word it is not an IBAN either.
    assert mask_card_numbers("XDE89370400440532013000") != "XDE89370400440532013000"


def test_a_card_right_after_an_iban_is_still_masked() -> None:
    text = f"DE89 3704 0044 0532 0130 00 {grouped(VISA, [' '], (4, 4, 4, 4))}"
    masked = mask_card_numbers(text)
    assert luhn_windows(masked) == []
    assert masked.endswith("1111") and "4111 1111 1111 1111" not in masked


# --- bytes -------------------------------------------------------------------------------


def test_bytes_invalid_utf8_is_masked_and_other_bytes_kept() -> None:
    raw = b"\xff\xfe garbage \x80" + VISA.encode() + b"\xc3("
    masked = mask_card_bytes(raw)
    assert masked == b"\xff\xfe garbage \x80" + masked_form(VISA).encode() + b"\xc3("


def test_bytes_and_text_are_returned_as_they_are_when_nothing_changes() -> None:
    raw = b'{"ts": "2026-11-23T10:00:00Z", "iban": "DE89370400440532013000"}'
    assert mask_card_bytes(raw) is raw
    text = raw.decode()
    assert mask_card_numbers(text) is text
    assert mask_card_bytes(b"") == b""


def test_utf8_around_the_card_is_kept() -> None:
    text = f"Zahlung für Käufer {VISA} \u2013 danke"
    assert mask_card_bytes(text.encode()) == mask_card_numbers(text).encode()
    assert mask_card_numbers(text) == f"Zahlung für Käufer {masked_form(VISA)} \u2013 danke"


# A pattern that backtracks on long digit runs would take minutes on these inputs; 30 s
# leaves any honest machine room. How fast masking is, is measured by the benchmark.
HUGE_INPUT_BOUND_S = 30.0


def test_huge_inputs_are_masked_in_full_in_bounded_time() -> None:
    no_card = b"7" * 65536  # one long run without a Luhn-valid window
    spaced_cards = (VISA.encode() + b" ") * 3855  # one 65535-character spaced digit run
    card_at_the_end = b"AB12 " * 13000 + VISA.encode()
    masked = {}
    for raw in (no_card, spaced_cards, card_at_the_end):
        started = time.perf_counter()
        masked[raw] = mask_card_bytes(raw)
        assert time.perf_counter() - started < HUGE_INPUT_BOUND_S
        assert len(masked[raw]) == len(raw)
    assert masked[no_card] is no_card
    for raw in (spaced_cards, card_at_the_end):
        assert luhn_windows(masked[raw].decode()) == []
        for before, after in zip(raw, masked[raw], strict=True):
            assert after == before or (chr(before).isdigit() and after == ord("*"))
    # The whole run is one number: only its first six and last four digits are kept.
    assert bytes(c for c in masked[spaced_cards] if chr(c).isdigit()) == b"4111111111"
    # The last "12 " joins the card's run (a space separates groups): 18 digits, of which
    # the first six and last four stay.
    assert masked[card_at_the_end] == b"AB12 " * 12999 + b"AB12 4111********1111"


# --- properties --------------------------------------------------------------------------


@st.composite
def luhn_numbers(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet="0123456789", min_size=12, max_size=18))
    return next(body + c for c in "0123456789" if naive_luhn(body + c))


@st.composite
def spaced(draw: st.DrawFn, digits: str) -> str:
    gaps = draw(
        st.lists(
            st.sampled_from(["", "", "", " ", "-", "."]),
            min_size=len(digits) - 1,
            max_size=len(digits) - 1,
        )
    )
    return digits[0] + "".join(g + d for g, d in zip(gaps, digits[1:], strict=True))


TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('0123456789 -.:/,"{}[]ABCDEZabcxyz'),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


@st.composite
def text_with_a_card(draw: st.DrawFn) -> tuple[str, int, int]:
    pan = draw(luhn_numbers())
    written = draw(spaced(pan))
    before, after = draw(TEXT), draw(TEXT)
    return before + written + after, len(before), len(before) + len(written)


@settings(max_examples=300, deadline=None)
@given(case=text_with_a_card())
def test_property_no_luhn_valid_run_survives(case: tuple[str, int, int]) -> None:
    text, start, end = case
    masked = mask_card_numbers(text)
    assert luhn_windows(masked) == []
    assert len(masked) == len(text)
    for before, after in zip(text, masked, strict=True):
        assert after == before or (before in "0123456789" and after == "*")
    inside_iban = any(lo <= start and end <= hi for lo, hi in iban_spans(text))
    assert inside_iban or "*" in masked[start:end], "the embedded card itself is masked"
    assert mask_card_bytes(text.encode()) == masked.encode()
    assert mask_card_numbers(masked) == masked, "masking is idempotent"


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_property_text_without_cards_is_returned_unchanged(text: str) -> None:
    masked = mask_card_numbers(text)
    if luhn_windows(text) == []:
        assert masked is text
        assert not contains_card_number(text)
    else:
        assert luhn_windows(masked) == [] and contains_card_number(text)
