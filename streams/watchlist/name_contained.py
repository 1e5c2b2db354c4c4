"""Containment: one name is the other with a distinctive word or two more (BANK REFAH,
BANK REFAH KARGARAN; MYANMAR RUBY ENTERPRISE, the same with GEMS JEWELLERY). Lists write an
organisation's name short and long, and a payee writes it with its branch, trade or town;
but a distinctive word more is as often a sister company or a branch listed apart (BANK
MELLAT, BANK MELLAT YEREVAN; REVOLUTIONARY STRUGGLE, POPULAR REVOLUTIONARY STRUGGLE).

A name is contained in another when each of its distinctive words is in the other (as
written or folded alike), the other has one or two distinctive words more, and what it
contains carries a name: two distinctive words, or one of SOLE_CONTAINED_LETTERS letters
(a single short common word contained is no evidence). Generic and function words of the
shorter name the longer lacks cost what they cost word by word. Scores:
- a payee containing a listed name of CONTAINED_WHOLE_WORDS distinctive words or more,
  with one more (MAHAB GHODSS CONSULTING ENGINEERING and a town): CONTAINED_WHOLE, held at
  the default threshold: the payee names that organisation in full and says more;
- any other containment (the payee the shorter, a listed name of fewer words, two words
  more): CONTAINED, as a sister company scores (a word of activity more, 87): below the
  default threshold, held by a deployment screening at a lower one.

Consumes two prepared names (streams.watchlist.name_score), the payee's first; produces a
0-100 score, and for the explanation the longer name's words beyond the shorter one.
"""

from __future__ import annotations

from streams.watchlist.name_score import (
    FOLDED_EQUAL,
    GENERIC_MISSING,
    GENERIC_REPLACED,
    PreparedName,
    Word,
    _word_score,
)
from streams.watchlist.name_words import is_kind

# A contained name scores CONTAINED, less CONTAINED_PER_WORD for a second word more (at
# most CONTAINED_EXTRA), less what its generic words the other lacks cost; CONTAINED_WHOLE
# for a payee containing a whole listed name of CONTAINED_WHOLE_WORDS distinctive words
# with one more. Measured on the name evaluation (tests/data/names, whose unlisted names
# are the same list's other organisations, many of them branches and sister companies of
# listed ones): holding every containment (at 90) found 36.5 % of aliases rather than 23.6 %
# and held 4 % of unlisted names; listed names of two words or more inside the payee's,
# 26.3 % and 0.43 %; of three words or more, 24.5 % and 0.27 % (the 0.3 % target).
CONTAINED = 87.0
CONTAINED_WHOLE = 89.0
CONTAINED_WHOLE_WORDS = 3
CONTAINED_PER_WORD = 1.0
CONTAINED_EXTRA = 2
# The fewest letters of a name's only distinctive word for it to be contained (RAMAK in
# RAMAK DUTY FREE; not ALFA in ALFA TRADING HOUSE).
SOLE_CONTAINED_LETTERS = 5


# Words this long score FOLDED_EQUAL with a typo (a tolerance of two edits).
LONG_WORD = 9


def _folded_kinds(name: PreparedName) -> zip[tuple[str, bool]]:
    """Each folded word of a name with whether it is generic."""
    return zip(name.folded, name.generic, strict=True)


def may_contain(payee: PreparedName, listed: PreparedName, threshold: float) -> bool:
    """Whether, by their counts of distinctive words alone, a containment could score
    `threshold` (a cheap test before contained_score)."""
    if threshold <= CONTAINED:
        return payee.distinct != listed.distinct
    return (
        threshold <= CONTAINED_WHOLE
        and listed.distinct >= CONTAINED_WHOLE_WORDS
        and payee.distinct == listed.distinct + 1
    )


def contained_score(payee: PreparedName, listed: PreparedName) -> float:
    """When one name is contained in the other: CONTAINED_WHOLE for a listed name of
    CONTAINED_WHOLE_WORDS distinctive words or more inside the payee's with one word more,
    else CONTAINED less CONTAINED_PER_WORD per word more beyond one; less what the shorter
    name's generic words the longer lacks cost. 0 when neither is contained."""
    found = contained_words(payee, listed)
    if found is None:
        return 0.0
    cost, extra = found
    if listed.distinct >= CONTAINED_WHOLE_WORDS and payee.distinct == listed.distinct + 1:
        return CONTAINED_WHOLE - cost
    return CONTAINED - CONTAINED_PER_WORD * (len(extra) - 1) - cost


def contained_words(q: PreparedName, c: PreparedName) -> tuple[float, list[Word]] | None:
    """What the shorter name's generic words without a counterpart cost, and the longer
    name's distinctive words beyond the shorter; None unless one is contained in the
    other."""
    extra_words = c.distinct - q.distinct
    if not extra_words or not q.distinct or not c.distinct:
        return None
    small, big = (q, c) if extra_words > 0 else (c, q)
    if abs(extra_words) > CONTAINED_EXTRA:
        return None
    if small.distinct == 1 and (
        max(len(w) for w, g in zip(small.words, small.generic, strict=True) if not g)
        < SOLE_CONTAINED_LETTERS
    ):
        return None
    # (cheaply first: most candidates lack one of the shorter name's words altogether)
    folded = set(big.folded)
    if any(f not in folded and len(f) < LONG_WORD for f, g in _folded_kinds(small) if not g):
        return None
    rest = list(big.pairs())
    cost = 0.0
    for word in small.pairs():
        a, fa, generic = word
        if word in rest:
            rest.remove(word)
        elif generic:
            cost += GENERIC_MISSING if is_kind(a) else GENERIC_REPLACED
        else:
            # (reach 0: a word contained is the same word, as written or folded alike, or
            # a long word with a typo: 95)
            at = next(
                (
                    i
                    for i, (b, fb, _) in enumerate(rest)
                    if _word_score(a, fa, b, fb, False, 0.0) >= FOLDED_EQUAL
                ),
                None,
            )
            if at is None:
                return None
            del rest[at]
    extra = [w for w in rest if not w[2]]
    if not 1 <= len(extra) <= CONTAINED_EXTRA:
        return None
    return cost, extra
