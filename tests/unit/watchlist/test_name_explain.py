"""The words evidence of a name match: which payee word matched which listed word, how."""

from __future__ import annotations

import pytest

from streams.model import canonical
from streams.watchlist.name_explain import explain


def words(payee: str, listed: str) -> list[dict[str, str]]:
    left, right = canonical.name(payee), canonical.name(listed)
    assert left is not None and right is not None
    return explain(left, right, 88.0)


def test_each_word_says_how_it_matched() -> None:
    assert words("El Rasheed Trading", "Al-Rashid Trading Co") == [
        {"payee": "trading", "listed": "trading", "match": "same"},
        {"payee": "el", "listed": "al", "match": "spelling"},
        {"payee": "rasheed", "listed": "rashid", "match": "sound"},
    ]


@pytest.mark.parametrize(
    ("payee", "listed", "expected"),
    [
        (
            "Darkpx Media",
            "Darkpix Media",
            {"payee": "darkpx", "listed": "darkpix", "match": "typo"},
        ),
        ("Iran Broadcasting Org.", "Iran Broadcasting", {"payee": "org", "match": "generic"}),
        ("Iran Broadcasting", "Iran Broadcasting Org.", {"listed": "org", "match": "generic"}),
    ],
)
def test_typos_and_generic_words(payee: str, listed: str, expected: dict[str, str]) -> None:
    assert expected in words(payee, listed)


def test_names_matched_run_together_are_one_record() -> None:
    assert words("Snapshot Studios", "Snap Shot Studio") == [
        {"payee": "snapshot studios", "listed": "shot snap studio", "match": "joined"}
    ]


def test_words_in_another_form_and_function_words() -> None:
    assert words("Ammunition Industry Group", "Ammunition Industries Group") == [
        {"payee": "ammunition", "listed": "ammunition", "match": "same"},
        {"payee": "group", "listed": "group", "match": "same"},
        {"payee": "industry", "listed": "industries", "match": "form"},
    ]
    assert {"listed": "al", "match": "generic"} in words("Shabaab", "Al-Shabaab")


def test_a_listed_name_contained_in_the_payees_says_which_words_are_more() -> None:
    assert words("Mahab Ghodss Consulting Tehran", "Mahab Ghodss Consulting Company") == [
        {"payee": "consulting", "listed": "consulting", "match": "same"},
        {"payee": "ghodss", "listed": "ghodss", "match": "same"},
        {"payee": "mahab", "listed": "mahab", "match": "same"},
        {"payee": "tehran", "match": "contained"},
    ]


def test_initials_are_one_record_with_the_listed_words_in_order() -> None:
    listed = "National Iranian Tanker Company"
    canonical_listed = canonical.name(listed)
    assert canonical_listed is not None
    assert explain("nitc", canonical_listed, 88.0, listed) == [
        {"payee": "nitc", "listed": "national iranian tanker company", "match": "initials"}
    ]
