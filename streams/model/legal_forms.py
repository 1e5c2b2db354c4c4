"""Legal forms in organisation names: recognised by rigour (OpenSanctions' database of
organisation types in many languages, spelled out and abbreviated), with the few forms it
lacks. Consumes a name's lower-case words; produces them without legal forms.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA
from rigour.names import remove_org_types

# Two or more one-letter words in a row after the first word: initials of a legal form
# written with spaces ("s a de c v"; a name's own initials come first: "Z S Studio"); then
# such a run after a one-letter word ("grupo w s a").
_SPLIT_INITIALS = (
    re.compile(r"(?<=\w )[a-z](?: [a-z])+\b"),
    re.compile(r"(?<=\b[a-z] )[a-z](?: [a-z])+\b"),
)

# Legal forms are recognised by rigour (rigour.names.remove_org_types). These are
# the words it does not remove that the project treats as legal forms too: the English
# company words, and forms seen on real lists that rigour 2.6.1 lacks.
LEGAL_FORMS = frozenset(
    [
        *("co", "company", "corp", "corporation", "the"),
        *("asa", "doo", "epe", "ike", "kk", "ou", "pte", "pty", "pvt", "sab", "sac", "sal"),
        *("sl", "zrt", "eu", "sca", "psc", "eood", "ead"),
        # Belarusian, Ukrainian and Russian forms in Latin letters (TAA, ZAT, PRAT, TDV; the
        # unitary enterprises FGUP, GUP, MUP, RUP, UE; the non-profits ANO, NKO), and
        # Francophone, Macedonian and Gulf ones (SARLU, DOOEL, FZC, WLL, BSC, KSCC, SPC)
        *("taa", "zat", "prat", "tdv", "fgup", "gup", "mup", "rup", "ue", "ano", "nko"),
        *("sarlu", "dooel", "fzc", "wll", "bsc", "kscc", "spc"),
    ]
)

# Multi-word legal forms rigour does not remove whole, removed as sequences before it
# runs. None is in ascending order, so sorting a name's words can never create one
# (canonical names stay fixed points).
LEGAL_FORM_SEQUENCES: tuple[tuple[str, ...], ...] = (
    ("sp", "z", "oo"),  # Polish Sp. z o.o.
    ("sp", "k"),  # Polish Sp. k.
    ("sp", "j"),  # Polish Sp. j.
    ("spol", "s", "ro"),  # Czech spol. s r.o.
    ("sa", "rl"),  # S.à r.l.
    ("private", "limited"),
    ("spr", "de", "rl"),  # Mexican S.P.R. de R.L.
    ("s", "de", "pr", "de", "rl", "de", "cv"),  # and S. de P.R. de R.L. de C.V.
    ("sc", "de", "rl"),  # Mexican S.C. de R.L.
    ("s", "en", "cs"),  # Colombian S. en C.S.
    # forms rigour knows with their accents only, as payment data writes them without
    ("societa", "per", "azioni"),
    ("societa", "a", "responsabilita", "limitata"),
    ("gesellschaft", "mit", "beschrankter", "haftung"),
)

# Each sequence as it appears in a name's words joined by spaces, padded with one.
_SEQUENCE_NEEDLES = tuple(f" {' '.join(form)} " for form in LEGAL_FORM_SEQUENCES)

# Legal forms misspelt ("Limted", "GmbX") are still legal forms, when no ordinary word
# lies one edit away (as core from corp, ink from inc, lid from ltd, earl from sarl);
# rigour recognises forms as written only.
_MISSPELT_FORMS = (
    "company",
    "corporation",
    "incorporated",
    "limited",
    "bvba",
    "cjsc",
    "dmcc",
    "fzco",
    "gmbh",
    "ojsc",
    "pjsc",
    "kgaa",
    "ltda",
    "sprl",
)


def without_org_types(words: list[str]) -> list[str]:
    """`words` less the legal forms rigour recognises; initials written apart ("s a de c v")
    are tried run together ("sa de cv"; "w sa" for "w s a") first, and kept apart unless
    that removes a form."""
    if not words:
        return words
    text = " ".join(words)
    for initials in _SPLIT_INITIALS:
        runs: dict[str, str] = {}  # initials run together -> as written

        def join(found: re.Match[str], runs: dict[str, str] = runs) -> str:
            runs[found.group(0).replace(" ", "")] = found.group(0)
            return found.group(0).replace(" ", "")

        joined = initials.sub(join, text)
        if joined == text:
            continue
        removed = remove_org_types(" ".join(without_sequences(joined.split()))).split()
        if removed != joined.split() or any(w in LEGAL_FORMS for w in removed):
            # initials that were not a legal form stay apart, as in a name without one
            return " ".join(w if w in LEGAL_FORMS else runs.get(w, w) for w in removed).split()
    return remove_org_types(text).split()


@lru_cache(maxsize=65536)
def misspelt_legal_form(word: str) -> bool:
    """Whether `word` is one edit from a legal form that no ordinary word is near."""
    return 3 <= len(word) <= 13 and any(
        OSA.distance(word, form, score_cutoff=1) <= 1 for form in _MISSPELT_FORMS
    )


def without_sequences(words: list[str]) -> list[str]:
    """`words` less any multi-word legal form (Sp. z o.o. as sp z oo)."""
    if len(words) < 2:
        return words
    text = f" {' '.join(words)} "
    for needle in _SEQUENCE_NEEDLES:
        while needle in text:
            text = text.replace(needle, " ")
    return text.split()
