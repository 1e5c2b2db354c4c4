"""Variants of a listed organisation name as payment data writes them, one generator per
class of the name evaluation (tests/data/names/SOURCE.md). Each consumes the listed name
and a seeded random generator and produces the variant, or None when the class does not
apply to that name (no punctuation to change, one word to reorder, nothing to transliterate).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

# Legal forms as the generator writes them: abbreviation and spelled out, in the languages
# of the list's names. (Test data only: the matcher recognises forms through rigour.)
FORMS: tuple[tuple[str, str], ...] = (
    ("LLC", "LIMITED LIABILITY COMPANY"),
    ("LTD", "LIMITED"),
    ("CO. LTD.", "COMPANY LIMITED"),
    ("INC.", "INCORPORATED"),
    ("CORP.", "CORPORATION"),
    ("GMBH", "GESELLSCHAFT MIT BESCHRÄNKTER HAFTUNG"),
    ("AG", "AKTIENGESELLSCHAFT"),
    ("S.A.", "SOCIEDAD ANONIMA"),
    ("S.A. DE C.V.", "SOCIEDAD ANONIMA DE CAPITAL VARIABLE"),
    ("S.R.L.", "SOCIETA A RESPONSABILITA LIMITATA"),
    ("S.P.A.", "SOCIETA PER AZIONI"),
    ("JSC", "JOINT STOCK COMPANY"),
    ("PJSC", "PUBLIC JOINT STOCK COMPANY"),
    ("CJSC", "CLOSED JOINT STOCK COMPANY"),
    ("PLC", "PUBLIC LIMITED COMPANY"),
    ("PVT. LTD.", "PRIVATE LIMITED"),
    ("SDN. BHD.", "SENDIRIAN BERHAD"),
    ("FZE", "FREE ZONE ESTABLISHMENT"),
    ("OOO", "OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU"),
    ("B.V.", "BESLOTEN VENNOOTSCHAP"),
)
# Forms the list's names end with that the generator recognises but does not write.
_OTHER_FORMS = (
    "LTDA.",
    "LTDA",
    "CIA. LTDA.",
    "S.A.C.",
    "S.C.S.",
    "S.A.S.",
    "SARL",
    "S.A.R.L.",
    "D.O.O.",
    "C.A.",
    "E.U.",
    "S. DE R.L. DE C.V.",
    "S.A.DE C.V.",
    "CO., LTD.",
    "CO.",
    "CO",
    "LTD.",
    "S.A",
    "SA",
    "LLC",
    "L.L.C.",
    "GMBH",
    "INC",
    "CORP",
)
_ALL_FORMS = sorted({f for pair in FORMS for f in pair} | set(_OTHER_FORMS), key=len, reverse=True)
_FORM_AT_END = re.compile(
    r"[\s,]+(" + "|".join(re.escape(f) for f in _ALL_FORMS) + r")\s*$", re.IGNORECASE
)
_PUNCTUATION = re.compile(r"[^\w\s]")

# Keys next to each other on a QWERTY keyboard: a slip of the finger.
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEAR: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _i, _key in enumerate(_row):
        near = _row[max(0, _i - 1) : _i] + _row[_i + 1 : _i + 2]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                near += _ROWS[_other][max(0, _i - 1) : _i + 1]
        _NEAR[_key] = near

# Romanisation variants of Arabic, Persian, Cyrillic and Chinese names: each rule rewrites
# one spelling into another seen for the same sound.
TRANSLITERATIONS: tuple[tuple[str, str], ...] = (
    (r"EE", "I"),
    (r"(?<=[BDFHJKLMNRSTZ])I(?=[BDFHJKLMNRSTZ])", "EE"),
    (r"OU", "U"),
    (r"(?<=[BDFHJKLMNRSTZ])U(?=[BDFHJKLMNRSTZ])", "OO"),
    (r"KH", "H"),
    (r"Q", "K"),
    (r"\bAL\b", "EL"),
    (r"\bAL-", "EL-"),
    (r"SH", "SCH"),
    (r"(?<=[AEIOU])Y(?=[AEIOU])", "I"),
    (r"IYA\b", "IA"),
    (r"IY\b", "Y"),
    (r"YY\b", "IY"),
    (r"(?<=[A-Z]{3})V\b", "FF"),
    (r"TS", "TZ"),
    (r"DJ", "J"),
    (r"ZH", "J"),
    (r"PH", "F"),
    (r"OU", "OO"),
    (r"(?<=[BDFHJKLMNRSTZ])E(?=[DRN]\b)", "A"),
)


def case(name: str, rng: random.Random) -> str | None:
    """Lower case or title case."""
    return name.lower() if rng.random() < 0.5 else name.title()


def punctuation_spaces(name: str, rng: random.Random) -> str | None:
    """Every punctuation mark written as a space (S.A. as S A)."""
    if not _PUNCTUATION.search(name):
        return None
    return " ".join(_PUNCTUATION.sub(" ", name).split())


def punctuation_removed(name: str, rng: random.Random) -> str | None:
    """Every punctuation mark left out (S.A. as SA)."""
    if not _PUNCTUATION.search(name):
        return None
    return " ".join(_PUNCTUATION.sub("", name).split())


def legal_form(name: str, rng: random.Random) -> str | None:
    """A legal form at the end spelled out or abbreviated, changed to another, or dropped;
    a name without one gets one."""
    found = _FORM_AT_END.search(name)
    if found is None:
        return f"{name} {rng.choice(FORMS)[rng.randrange(2)]}"
    stem, form = name[: found.start()], found.group(1).upper()
    choice = rng.randrange(3)
    if choice == 0:
        return stem
    if choice == 1:
        for short, spelled in FORMS:
            if form in (short, spelled):
                return f"{stem} {spelled if form == short else short}"
    return f"{stem} {rng.choice([f for f in FORMS if form not in f])[rng.randrange(2)]}"


def word_order(name: str, rng: random.Random) -> str | None:
    """The words in another order; a legal form at the end stays there, whole."""
    found = _FORM_AT_END.search(name)
    stem, form = (name[: found.start()], found.group(0)) if found else (name, "")
    words = stem.split()
    if len(words) < 2:
        return None
    shuffled = words[:]
    while shuffled == words:
        rng.shuffle(shuffled)
    return " ".join(shuffled) + form


def typo(name: str, rng: random.Random) -> str | None:
    """One slip in a word of at least four letters, never its first letter (first letters
    are rarely mistyped): a letter left out, doubled, swapped with the next, or a key
    next to it struck instead of or as well as it."""
    words = name.split()
    candidates = [i for i, w in enumerate(words) if sum(c.isalpha() for c in w) >= 4]
    if not candidates:
        return None
    i = rng.choice(candidates)
    word = words[i]
    spots = [p for p in range(1, len(word)) if word[p].isalpha()]
    p = rng.choice(spots)
    kind = rng.randrange(4)
    near = _NEAR.get(word[p].lower(), word[p].lower()).upper()
    if kind == 0:
        word = word[:p] + word[p + 1 :]
    elif kind == 1 and p + 1 < len(word) and word[p + 1].isalpha() and word[p + 1] != word[p]:
        word = word[:p] + word[p + 1] + word[p] + word[p + 2 :]
    elif kind == 2:
        word = word[:p] + rng.choice(near) + word[p + 1 :]
    else:
        word = word[:p] + rng.choice(near + word[p]) + word[p:]
    words[i] = word
    return " ".join(words)


# Words in at least this many listed names are vocabulary (LIMITED, INMOBILIARIA, TRADING),
# written as their language spells them: a transliteration variant changes the others.
VOCABULARY_NAMES = 5
vocabulary: set[str] = set()


def transliteration(name: str, rng: random.Random) -> str | None:
    """One sound written another way a romanisation writes it (RASHEED as RASHID), in a
    word that is not vocabulary (or in the article AL)."""
    upper = name.upper()
    spans = [
        (m.start(), m.end())
        for m in re.finditer(r"[A-Z]+", upper)
        if m.group(0) == "AL" or m.group(0) not in vocabulary
    ]
    spots = [
        (m, spelling)
        for pattern, spelling in TRANSLITERATIONS
        for m in re.finditer(pattern, upper)
        if any(a <= m.start() and m.end() <= b + 1 for a, b in spans)
    ]
    if not spots:
        return None
    spot, spelling = rng.choice(spots)
    return upper[: spot.start()] + spelling + upper[spot.end() :]


CLASSES: dict[str, Callable[[str, random.Random], str | None]] = {
    "case": case,
    "punctuation as spaces": punctuation_spaces,
    "punctuation removed": punctuation_removed,
    "legal form": legal_form,
    "word order": word_order,
    "typo": typo,
    "transliteration": transliteration,
}
