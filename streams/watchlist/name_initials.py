"""Initials: a payee written as the initials of a listed name (NITC for NATIONAL IRANIAN
TANKER COMPANY, AMIG for AMMUNITION AND METALLURGY INDUSTRIES GROUP), as lists give an
organisation's acronym among its names and payment data writes it alone.

Consumes a listed name as written; produces the initials it may be written as: of its
words of two letters or more in order, with and without its legal forms, with and without
its function words (AND, OF, THE), each of INITIALS_MIN_LETTERS letters or more
(three-letter initials are too many real names' own: NLA, DIO, ICI).
"""

from __future__ import annotations

from functools import lru_cache

from rigour.text import is_stopword

from streams.model.canonical import CONNECTORS, ordered_name_words
from streams.model.legal_forms import without_org_types

# A payee that is a listed name's initials scores INITIALS: held at the default threshold,
# below a match word by word. On the name evaluation (tests/data/names) initials of four
# letters or more found ten aliases and held no unlisted name; of three, eleven and three.
INITIALS = 89.0
INITIALS_MIN_LETTERS = 4


@lru_cache(maxsize=65536)
def initials(listed: str) -> frozenset[str]:
    """The initials a listed name (as written) may be written as."""
    # (letters alone are initials already, or a legal form written apart: S A)
    written = [w for w in ordered_name_words(listed) if w not in CONNECTORS and len(w) > 1]
    if len(written) < INITIALS_MIN_LETTERS:
        return frozenset()
    formless = without_org_types(written) or written
    found = set()
    for words in (written, formless):
        for kept in (words, [w for w in words if not is_stopword(w)]):
            if len(kept) >= INITIALS_MIN_LETTERS and all(w[0].isalpha() for w in kept):
                found.add("".join(w[0] for w in kept))
    return frozenset(found)


def is_initials(word: str) -> bool:
    """Whether a payee's canonical name could be initials: one word of letters only, of
    INITIALS_MIN_LETTERS or more."""
    return len(word) >= INITIALS_MIN_LETTERS and word.isalpha()
