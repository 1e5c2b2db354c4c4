"""The name evaluation on real organisation names (tests/data/names/SOURCE.md) keeps its
targets: variants of listed names found overall and in every class, unlisted real names
seldom held, the right entry named first. Run with `pytest -s` to see the table.

Aliases (the list's own other names for an organisation: translations, acronyms, former
names) are found 27.9 % of the time; the target is 30 %, not yet met: this test keeps
the measured floor so that it cannot silently fall. Most misses left are another name
altogether, or one name with a word more or less, as the list's sister companies and
branches are too (its unlisted names, held at most 0.3 %).
"""

from __future__ import annotations

import pytest

from tests.unit.watchlist.name_eval import (
    ALIAS,
    CLASS_FOUND,
    RIGHT_FIRST,
    UNLISTED,
    UNLISTED_HELD,
    VARIANTS_FOUND,
    evaluation,
    misses,
    share,
    table,
)
from tests.unit.watchlist.name_variants import CLASSES

ALIASES_FLOOR = 0.279


def _report(kind: str) -> str:
    outcomes = evaluation()
    wrong = misses(outcomes, kind)
    return table(outcomes) + f"\n{kind}: {len(wrong)} wrong\n" + "\n".join(wrong[:40])


@pytest.mark.parametrize("kind", list(CLASSES))
def test_every_class_of_variants_is_found(kind: str) -> None:
    rate, count = share(o for o in evaluation() if o.case.kind == kind)
    assert count >= 500, kind
    assert rate >= CLASS_FOUND, _report(kind)


def test_variants_are_found_overall() -> None:
    rate, count = share(o for o in evaluation() if o.case.kind in CLASSES)
    print("\n" + table(evaluation()))
    assert count >= 6000
    assert rate >= VARIANTS_FOUND, table(evaluation())


def test_unlisted_real_names_are_seldom_held() -> None:
    rate, count = share(o for o in evaluation() if o.case.kind == UNLISTED)
    assert count >= 6000
    assert rate <= UNLISTED_HELD, _report(UNLISTED)


def test_a_match_names_the_right_entry_first() -> None:
    found = [o for o in evaluation() if o.case.expected and o.found]
    rate, _ = share(found, "first_right")
    assert rate >= RIGHT_FIRST, table(evaluation())


def test_aliases_do_not_fall_below_what_is_measured() -> None:
    rate, count = share(o for o in evaluation() if o.case.kind == ALIAS)
    assert count >= 1800
    assert rate >= ALIASES_FLOOR, _report(ALIAS)
