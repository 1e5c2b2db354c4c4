"""What a word of a canonical name tells: whether it is generic (a word many unrelated
organisations share: company, trading, shipping, group, international...), its sound
(a phonetic key and its consonants, so that transliterations of one word, RASHEED and
RASHID, TAIBA and TAYYIBA, sound alike) and its stem (INDUSTRY, INDUSTRIES; IRAN, IRANIAN).
"""

from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz.distance import OSA
from rigour.text import is_stopword, metaphone

# Words that describe what an organisation is or does rather than which one it is, in the
# languages of the lists screened (English, Spanish, Portuguese, French, Italian, German,
# Russian and Persian/Arabic romanised): a name's distinctive words carry it, these weigh
# less (streams.watchlist.name_score). Chosen from the OFAC SDN organisations' most
# frequent words; legal forms themselves are removed before scoring (rigour).
#
# KIND_WORDS say what sort of body it is (IRAN BROADCASTING ORG. is IRAN BROADCASTING);
# ACTIVITY_WORDS what it does or how far it reaches, which is what tells sister companies
# apart (KORYO BANK, KORYO COMMERCIAL BANK; STROYTRANSGAZ, STROYTRANSGAZ GROUP).
KIND_WORDS = frozenset(
    [
        *("agency", "association", "authority", "bureau", "center", "centre", "committee"),
        *("corporacion", "council", "department", "enterprise", "enterprises"),
        *("establishment", "foundation", "institute", "institution", "ministry", "office"),
        *("org", "organisation", "organization", "partnership", "proprietary", "society"),
        *("union", "liability", "joint", "stock", "closed", "open", "public", "private"),
        *("state", "federal"),
        # Spanish, Portuguese, French, Italian
        *("asociacion", "cia", "compania", "companhia", "empresa", "organizacion"),
        *("sociedad", "societe", "societa", "anonima", "anonyme", "limitada"),
        # Russian, Persian and Arabic romanised
        *("obshchestvo", "aktsionernoe", "otvetstvennostyu", "ogranichennoy"),
        *("ogranichennoi", "sherkat", "sherkate", "muassasat", "sharikat", "sharika"),
        *("jamiat",),
        # bodies of state, and associations and foundations in the list's other languages
        *("directorate", "command", "division"),
        *("stichting", "forening", "foreningen", "stiftung", "stiftelse", "verein"),
        *("fundacion", "fundacao", "fondation", "fondazione", "institut", "instituto"),
        *("sazman", "bonyad"),
    ]
)
ACTIVITY_WORDS = frozenset(
    [
        *("commercial", "development", "export", "exports", "general", "global", "group"),
        *("holding", "holdings", "import", "imports", "industrial", "industries"),
        *("industry", "international", "intl", "investment", "investments", "logistics"),
        *("management", "marine", "maritime", "national", "project", "projects"),
        *("resources", "service", "services", "ship", "shipping", "solutions", "systems"),
        *("technology", "technologies", "trade", "trading", "transport", "ventures"),
        *("works", "line", "lines", "airline", "airlines", "managing"),
        # GROUP in Turkish, Romanian, Catalan, Polish, German and Russian romanised
        *("grup", "grupa", "gruppe", "gruppa"),
        *("comercial", "comercializadora", "constructora", "grupo", "industria"),
        *("industrias", "inmobiliaria", "internacional", "inversiones", "servicios"),
        *("comercio", "gesellschaft", "handel", "zavod", "tejarat"),
    ]
)
GENERIC_WORDS = KIND_WORDS | ACTIVITY_WORDS
# Function words (articles, prepositions: AL, EL, DE, DEL, OF, THE, FOR) weigh as words of
# kind: they join a name's words and carry none of it (AL-SHABAAB is SHABAAB, BANCO DE
# VENEZUELA is BANCO VENEZUELA). rigour's list of them (rigour.text.is_stopword), in the
# languages of the lists screened.


# Function words rigour's list lacks: E, the Persian and Urdu izafat (LASHKAR E-TAYYIBA,
# TOSE-E MELLI) and the Italian and Portuguese for AND.
FUNCTION_WORDS = frozenset(["e"])


def is_function_word(word: str) -> bool:
    """Whether a canonical word is a function word (an article, a preposition, AND)."""
    return word in FUNCTION_WORDS or is_stopword(word)


def _deletions(word: str) -> set[str]:
    """The word and each of it with one letter left out."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


# Generic words long enough (five letters) that one edit from one is that word misspelt,
# found through their one-letter deletions: two words one edit apart share one.
_MISSPELLABLE: dict[str, set[str]] = {}
for _word in GENERIC_WORDS:
    if len(_word) >= 5:
        for _key in _deletions(_word):
            _MISSPELLABLE.setdefault(_key, set()).add(_word)


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """The phonetic key (metaphone) of a word; empty for words with digits."""
    return metaphone(word) if word.isalpha() else ""


# A word's consonants as transliterations write them alike: c as k (s before e, i, y), q
# as k, letters doubled once, a final h after a vowel dropped (RAHMA, RAHMAH).
_SOFT_C = re.compile(r"c(?=[eiy])")
_DOUBLED = re.compile(r"(.)\1+")
_VOWELS = re.compile(r"[aeiouy]+")


def undoubled(word: str) -> str:
    """A word with each run of one letter written once (MEDIAAA: media)."""
    return _DOUBLED.sub(r"\1", word)


def consonant_lead(word: str) -> str:
    """The first letter of a word's consonant skeleton (`consonants`), cheaply: a test that
    rules most pairs of words out before their skeletons are made."""
    first = word[0]
    if first in "aeiouy":
        return "a"
    if first == "c":
        return "s" if word[1:2] in ("e", "i", "y") else "k"
    return "k" if first == "q" else first


@lru_cache(maxsize=65536)
def consonants(word: str) -> str:
    """A word's consonant skeleton: its first letter (a for any vowel) then its consonants
    once c, q and doubled letters are folded (TAIBA, TAYYIBA: tb; TOBAKKO, TOBACCO: tbk;
    IMANNET, EMENNET: amnt; KALSIMIN, CALCIMIN: klsmn)."""
    folded = _SOFT_C.sub("s", word).replace("c", "k").replace("q", "k")
    folded = undoubled(folded)
    if len(folded) > 2 and folded[-1] == "h" and folded[-2] in "aeiouy":
        folded = folded[:-1]
    first = "a" if folded[0] in "aeiouy" else folded[0]
    return first + _VOWELS.sub("", folded[1:])


_GENERIC_SOUNDS: dict[str, list[str]] = {}
for _word in GENERIC_WORDS:
    if len(_word) >= 5:
        _GENERIC_SOUNDS.setdefault(sound(_word), []).append(_word)


@lru_cache(maxsize=65536)
def is_generic(word: str) -> bool:
    """Whether a canonical word is a generic word or a function word, or a generic word
    misspelt (of five letters or more, within one edit: GRUPO written GTUPO)."""
    if word in GENERIC_WORDS or is_function_word(word):
        return True
    if len(word) < 5:
        return False
    near = {g for key in _deletions(word) for g in _MISSPELLABLE.get(key, ())}
    if any(OSA.distance(word, generic, score_cutoff=1) <= 1 for generic in near):
        return True
    # or spelt as it sounds (MARITEEME, VENTOORES): the same first letter and metaphone,
    # within two edits
    return any(
        g[0] == word[0] and abs(len(g) - len(word)) <= 1 and OSA.distance(word, g) <= 2
        for g in _GENERIC_SOUNDS.get(sound(word), ())
    )


@lru_cache(maxsize=65536)
def is_kind(word: str) -> bool:
    """Whether a generic word says what sort of body an organisation is (or is one such
    word misspelt) or is a function word, not what it does."""
    if word in KIND_WORDS or is_function_word(word):
        return True
    return word not in ACTIVITY_WORDS and any(
        OSA.distance(word, kind, score_cutoff=1) <= 1 for kind in KIND_WORDS if len(kind) >= 7
    )


# Endings of English word forms (plurals, -ing, -ment, -ation...), longest first; not the
# endings that make another word of a name (ISLAMIC ARMY is not ARMY OF ISLAM).
_FORM_ENDINGS = tuple(
    sorted(
        [
            *("ations", "ation", "ements", "ement", "ments", "ment", "ities", "ity", "ies"),
            *("ing", "es", "s", "e", "y"),
        ],
        key=len,
        reverse=True,
    )
)
STEM_LETTERS = 4
# Endings that make an adjective or a demonym of a word (IRANIAN, EASTERN, COASTAL).
DERIVED_ENDINGS = frozenset(["n", "an", "ian", "ern", "al", "ary"])


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word less its longest form ending that leaves four letters or more."""
    for ending in _FORM_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= STEM_LETTERS:
            return word[: -len(ending)]
    return word


def same_stem(a: str, b: str) -> bool:
    """Whether two words are one word in two forms: of five letters or more, the same stem
    once an ending is taken off (INDUSTRY, INDUSTRIES; MANAGEMENT, MANAGING; TRADE,
    TRADING), or one the other with an ending that makes an adjective or a demonym of it,
    from four letters (IRAN, IRANIAN; EAST, EASTERN; COAST, COASTAL; REVOLUTION,
    REVOLUTIONARY; not ISLAM, ISLAMIC: ARMY OF ISLAM is not ISLAMIC ARMY)."""
    # (a stem keeps four letters: words that differ in those never share one)
    if a[:STEM_LETTERS] != b[:STEM_LETTERS]:
        return False
    if min(len(a), len(b)) >= 5 and stem(a) == stem(b):
        return True
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return long.startswith(short) and long[len(short) :] in DERIVED_ENDINGS
