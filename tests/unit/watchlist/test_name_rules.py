"""The scoring rules added for aliases (issue 22): function words, word forms, folded
transliterations, initials and containment; each also guarded against what it must not
match."""

from __future__ import annotations

import pytest

from streams.model import canonical
from streams.settings import Settings
from streams.watchlist.name_contained import CONTAINED, CONTAINED_WHOLE, contained_score
from streams.watchlist.name_index import NameIndex
from streams.watchlist.name_initials import INITIALS, initials
from streams.watchlist.name_score import PreparedName, similarity

THRESHOLD = Settings().name_match_threshold


def score(one: str, other: str) -> float:
    left, right = canonical.name(one), canonical.name(other)
    assert left is not None and right is not None
    return similarity(left, right)


def contained(payee: str, listed: str) -> float:
    left, right = canonical.name(payee), canonical.name(listed)
    assert left is not None and right is not None
    return contained_score(PreparedName(left), PreparedName(right))


def index_of(*listed: str) -> NameIndex:
    index = NameIndex()
    for number, name in enumerate(listed):
        for variant in canonical.name_variants(name):
            index.add(f"e{number}", variant, name)
    return index


def found(index: NameIndex, payee: str, threshold: float = THRESHOLD) -> dict[str, float]:
    hits: dict[str, float] = {}
    for variant in canonical.name_variants(payee):
        for hit in index.search(variant, threshold):
            hits[hit.entry_id] = max(hits.get(hit.entry_id, 0.0), hit.score)
    return hits


@pytest.mark.parametrize(
    ("listed", "written"),
    [
        ("Al-Shabaab", "Shabaab"),  # a function word weighs as a word of kind
        ("Banco de Venezuela", "Banco Venezuela"),
        ("Ammunition Industries Group", "Ammunition Industry Group"),  # another form
        ("Belarusian Oil Trade House", "Belarusian Oil Trading House"),
        ("Qarchak Prison", "Gharchak Prison"),  # ghain/qaf written gh or q
        ("Al-Dunia Television", "Al Dounia Television"),  # ou for u
    ],
)
def test_function_words_forms_and_transliterations_match(listed: str, written: str) -> None:
    assert score(listed, written) >= THRESHOLD


@pytest.mark.parametrize(
    ("listed", "written"),
    [
        ("Army of Islam", "Islamic Army"),  # an adjective is another word
        ("Al-Jihad", "Jihad Al-Bina"),  # a word more, not contained whole at the default
        ("Grupo W S.A.", "GR Arquitectos"),
        ("W&G Arquitectos", "GR Arquitectos"),  # letters alone run together: no edit
    ],
)
def test_what_the_new_rules_do_not_match(listed: str, written: str) -> None:
    assert found(index_of(listed), written) == {}


def test_a_payee_containing_a_whole_listed_name_of_three_words_and_one_more_is_held() -> None:
    index = index_of("Mahab Ghodss Consulting Engineering Company")
    assert found(index, "Mahab Ghodss Consulting Engineers SSK Tehran") == {}
    assert found(index, "Mahab Ghodss Consulting Engineering Tehran") == {"e0": CONTAINED_WHOLE}


def test_other_containment_scores_as_a_sister_company_below_the_default_threshold() -> None:
    assert CONTAINED < THRESHOLD
    assert contained("Bank Refah", "Bank Refah Kargaran") == CONTAINED
    assert contained("Ramak Duty Free", "Ramak") == CONTAINED - 1.0  # two words more
    assert contained("Bank Mellat Yerevan", "Bank Mellat") == CONTAINED  # two words only
    # a single short word contained, or three words more, is no containment
    assert contained("Alfa Trading House", "Alfa") == 0.0
    assert contained("Ramak Duty Free Shops", "Ramak") == 0.0
    index = index_of("Bank Refah Kargaran")
    assert found(index, "Bank Refah") == {}
    assert found(index, "Bank Refah", threshold=85.0) == {"e0": CONTAINED}


def test_initials_of_four_letters_or_more_match() -> None:
    assert "nitc" in initials("NATIONAL IRANIAN TANKER COMPANY")
    assert "amig" in initials("AMMUNITION AND METALLURGY INDUSTRIES GROUP")
    assert "gbae" in initials("GENERAL BUREAU OF ATOMIC ENERGY")
    assert "irsa" not in initials("INMOBILIARIA ROFI S A")  # letters alone are no initials
    assert initials("Iran Air Corp") == frozenset()  # three letters: too many real names
    index = index_of("National Iranian Tanker Company")
    assert found(index, "N.I.T.C.") == {"e0": INITIALS}
    assert found(index, "NITC Shipping") == {}


def test_import_export_abbreviated_is_spelled_out() -> None:
    assert "dalian export golden import sun" in canonical.name_variants(
        "GOLDEN SUN I/E DALIAN CO., LTD."
    )
