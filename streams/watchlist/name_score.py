"""Word-by-word scoring of two canonical names, built on rapidfuzz.

Two names match when every distinctive word of each has a close counterpart in the other
(so "Moonlit Frames" and "Moonlit Games" do not, however alike the strings), or when their
word counts differ and, run together, they are within one edit ("Snap Shot Studio" and
"Snapshot Studio", a Chinese name and its pinyin spaced by word). Generic words
(streams.watchlist.name_words) weigh less: one without a counterpart costs points, not
the match (GENERIC_MISSING for a word of kind, GENERIC_REPLACED for one of activity or
in place of another). A word that is its name's only distinctive one carries the name
alone and must match closely: one slip that keeps its first letter (and its last, unless
two letters swapped: TAMAS is not HAMAS, RAMAL not RAMAK, PETROPARK not PETROPARS). Words
spelt differently that sound alike (RASHEED, RASHID: the same metaphone key and first
letter, within two edits) match as transliterations of one word.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import permutations

from rapidfuzz.distance import OSA, Indel

from streams.watchlist.name_words import (
    consonant_lead,
    consonants,
    is_generic,
    is_kind,
    same_stem,
    sound,
    undoubled,
)

# Scores. A word within its typo tolerance scores at least TOLERATED, so at the default
# threshold (88) a name matches exactly when every word does; each further tolerance's
# worth of edits costs 10 points more. Words equal once romanisation variants are folded,
# and names equal once run together, score a little below identical.
TOLERATED = 90.0
FOLDED_EQUAL = 95.0
JOINED_EQUAL = 95.0
SOUNDS_EQUAL = TOLERATED  # a transliteration counts as a typo's worth
# Each word of kind (name_words.KIND_WORDS) one name has and the other lacks caps the
# score this many points further below 100 (IRAN BROADCASTING ORG. is IRAN BROADCASTING);
# a word of activity (ACTIVITY_WORDS) one lacks, or a generic word in place of another
# (ELLISSA SHIPPING, ELLISSA HOLDING: sister companies), costs GENERIC_REPLACED.
GENERIC_MISSING = 4.0
GENERIC_REPLACED = 13.0
# A word of kind in place of another (FOUNDATION, INSTITUTE; DEPARTMENT, DIRECTORATE):
# held at the default threshold. Measured on the name evaluation (tests/data/names): six
# more aliases found, no unlisted name more held.
KIND_REPLACED = 12.0
# Names of VOUCHING_WORDS distinctive words or more, all matched, one word of activity
# apart (MIDDLE EAST SAMAN CHEMICAL, the same with TRADING): held at the default threshold.
# Measured: ten more aliases found, no unlisted name more held; from two distinctive words,
# twenty-nine and thirteen (KORYO BANK, KORYO COMMERCIAL BANK: sister companies).
VOUCHING_WORDS = 3
ACTIVITY_VOUCHED = 11.0
# Shortest words (of the shorter of the two) that may match by their sound: a name's only
# distinctive word needs more letters (MCS and MKS sound alike and are two companies).
# Three letters match ZEEM and ZIM, QODS and QUDS, and also PRIME LOANS and PRIME LENS
# (tests/data/match-eval.jsonl's one false match); five lose a tenth of transliterations.
SOUND_MIN_LETTERS = 3
SOLE_SOUND_MIN_LETTERS = 5
# Shortest words that may match by their consonants alone (ZEEM and ZIM sound alike;
# TAMS and TOMS are two words).
CONSONANTS_MIN_LETTERS = 4
# Letters by which two words with the same consonants may differ in length (TAIBA,
# TAYYIBA: vowels written double or as y).
CONSONANTS_LENGTHS = 2
# Letter counts beyond the typo budget a name may differ by in its vowels alone, for words
# that sound alike (name_index's candidate filter).
SOUND_VOWEL_COUNTS = 2
# Names run together are compared in every word order of both, up to this many pairs.
MAX_JOINED_ORDERS = 720

# Romanisation variants of one letter (Cyrillic yo, ye, ya, yu, kha, tse; Greek phi, xi;
# Persian and Arabic ghain/qaf as gh or q, French ou for u: GHARCHAK, QARCHAK; DOUNIA,
# DUNIA) and the English -ight/-ite spelling, folded alike on both sides; a short i written j,
# and Russian and Ukrainian adjective endings written yy, iy, ij, yi or ii, become y first.
_FOLDS = (
    ("yo", "e"),
    ("ye", "e"),
    ("ya", "a"),
    ("yu", "u"),
    ("kh", "h"),
    ("ph", "f"),
    ("ts", "c"),
    ("ks", "x"),
    ("ight", "ite"),
    ("gh", "q"),
    ("ou", "u"),
)
_ENDING = re.compile(r"(?:yy|iy|yi|ii)$")
_NOT_DIGIT = re.compile(r"\D")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A canonical word with common romanisation variants folded to one spelling (the
    Arabic article written el as al)."""
    if word == "el":
        return "al"
    folded = word
    if "y" in word or "j" in word:
        folded = _ENDING.sub("y", word.replace("j", "y"))
    for variant, spelling in _FOLDS:
        if variant in folded:
            folded = folded.replace(variant, spelling)
    return folded


class PreparedName:
    """A canonical name prepared for scoring: its words as written and folded (the same
    tuple when folding changes nothing), which are generic (none when all are: a name of
    generic words only is carried by them), and how many are distinctive."""

    __slots__ = ("distinct", "folded", "generic", "words")

    def __init__(self, canonical_name: str) -> None:
        self.words = tuple(canonical_name.split())
        folded = tuple(fold(w) for w in self.words)
        self.folded = self.words if folded == self.words else folded
        generic = tuple(is_generic(w) for w in self.words)
        self.generic = generic if not all(generic) else (False,) * len(generic)
        self.distinct = self.generic.count(False)

    def letters(self) -> str:
        """The folded distinctive words run together."""
        return "".join(f for f, g in zip(self.folded, self.generic, strict=True) if not g)

    def pairs(self) -> zip[tuple[str, str, bool]]:
        """Each word with its folded spelling and whether it is generic."""
        return zip(self.words, self.folded, self.generic, strict=True)


def _tolerance(a: str, b: str, sole: bool) -> int:
    """Edits a word may differ by: none for words of one or two letters, one up to eight
    letters, two beyond. A name's only distinctive word has no other word to vouch for it:
    one edit that keeps its first letter, and a letter struck for another only from six
    letters with the last letter kept too (`_sole_slip`), else none. Numbers (and words with
    digits) must be equal: -1."""
    if not (a.isalpha() and b.isalpha()):
        return -1
    shorter = min(len(a), len(b))
    if sole:
        return 1 if a != b and _sole_slip(a, b) else 0
    return 0 if shorter <= 2 else 1 if shorter <= 8 else 2


def _sole_slip(a: str, b: str) -> bool:
    """Whether two words of four letters or more are one slip apart that keeps the first
    letter (people rarely mistype it): two letters swapped, or, keeping the last letter
    too, a letter left out or added, or from five letters one struck for another (RAML is
    RAMAL; RAMAL is not RAMAK, TAMAS not HAMAS, PETROPARK not PETROPARS)."""
    if min(len(a), len(b)) < 4 or a[0] != b[0] or OSA.distance(a, b, score_cutoff=1) > 1:
        return False
    if len(a) == len(b) and sorted(a) == sorted(b):
        return True
    return a[-1] == b[-1] and (len(a) != len(b) or len(a) >= 5)


def _edits_score(edits: int, tolerance: int) -> float:
    """100 less 10 points per tolerance's worth of edits (20 an edit with no tolerance)."""
    return max(0.0, 100.0 - edits * (10.0 / tolerance if tolerance else 20.0))


def _edits_allowed(tolerance: int, reach: float) -> float:
    """Edits a word of this tolerance may have at a score of 100 - 10 `reach`."""
    return 0.0 if tolerance < 0 else reach * (tolerance or 0.5)


def _word_score(a: str, fa: str, b: str, fb: str, sole: bool, reach: float) -> float:
    """Score of word `a` (folded `fa`) against `b` (folded `fb`), or 0 when their lengths
    alone differ by more edits than `reach` per tolerance (a score below 100 - 10 reach)
    and they do not sound alike."""
    if a == b:
        return 100.0
    tolerance = _tolerance(a, b, sole)
    if tolerance < 0:
        return 0.0  # a different number is a different name
    allowed = _edits_allowed(tolerance, reach)
    if abs(len(a) - len(b)) > allowed and abs(len(fa) - len(fb)) > allowed:
        alike = _sounds_alike(a, b, sole) or (not sole and same_stem(a, b))
        return SOUNDS_EQUAL if alike else 0.0
    score = _edits_score(OSA.distance(a, b), tolerance)
    if fa == fb:
        return max(score, FOLDED_EQUAL)
    if fa != a or fb != b:
        # A typo next to a folded spelling can take the folded words further apart than
        # the words as written: the better of the two counts.
        score = max(score, min(_edits_score(OSA.distance(fa, fb), tolerance), FOLDED_EQUAL))
    if score < SOUNDS_EQUAL and (_sounds_alike(a, b, sole) or (not sole and same_stem(a, b))):
        return SOUNDS_EQUAL
    return score


def _sounds_alike(fa: str, fb: str, sole: bool) -> bool:
    """Whether two words (as written: folding can blur their sound) are one word
    transliterated two ways: long enough, the same first letter and phonetic key, lengths
    at most one apart (vowels written another way, not added: MEDIAAA is not MEDIA),
    within two edits (three from nine letters); or the same consonants (vowels, doubled
    letters, c, k and q written another way: TAIBA, TAYYIBA; IMANNET, EMENNET), lengths
    at most CONSONANTS_LENGTHS apart (one for a name's only distinctive word)."""
    shorter = min(len(fa), len(fb))
    if shorter < (SOLE_SOUND_MIN_LETTERS if sole else SOUND_MIN_LETTERS):
        return False
    # (most words compared begin differently: ruled out before anything costlier)
    same_first = fa[0] == fb[0]
    if not same_first and consonant_lead(fa) != consonant_lead(fb):
        return False
    apart = abs(len(fa) - len(fb))
    if (
        shorter >= CONSONANTS_MIN_LETTERS
        and apart <= (1 if sole else CONSONANTS_LENGTHS)
        and fa.isalpha()
        and fb.isalpha()
        and consonants(fa) == consonants(fb)
        # (letters repeated are a typo, not another spelling: MEDIAAA is not MEDIA)
        and undoubled(fa) != undoubled(fb)
    ):
        return True
    if not same_first or apart > 1 or not sound(fa) or sound(fa) != sound(fb):
        return False
    limit = 3 if shorter >= 9 else 2
    return OSA.distance(fa, fb, score_cutoff=limit) <= limit


def _joined_score(q: PreparedName, c: PreparedName) -> float:
    """Score of two names run together, in the best word order of each: JOINED_EQUAL less
    5 for an edit (never in a number, nor in names with a letter alone), or 0 beyond."""
    if math.factorial(len(q.words)) * math.factorial(len(c.words)) > MAX_JOINED_ORDERS:
        return 0.0
    # A letter alone is an initial: run together, names differing by one are W G and G R,
    # RIM GROUP INVESTMENTS I and RIM GROUP INVESTMENTS, not one name spaced two ways.
    allowed = 0 if any(len(w) == 1 for w in (*q.words, *c.words)) else 1
    best = allowed + 1
    for left in {"".join(p) for p in permutations(q.folded)}:
        for right in {"".join(p) for p in permutations(c.folded)}:
            edits = OSA.distance(left, right, score_cutoff=1)
            # (the first letters must agree, as a name's only word's must: M-FINANCE is not
            # B-FINANCE)
            same_start = left[0] == right[0]
            if (
                edits < best
                and same_start
                and _NOT_DIGIT.sub("", left) == _NOT_DIGIT.sub("", right)
            ):
                best = edits
                if best == 0:
                    return JOINED_EQUAL
    return JOINED_EQUAL - 5.0 * best if best <= allowed else 0.0


Word = tuple[str, str, bool]  # as written, folded, generic


def _unpaired(q: PreparedName, c: PreparedName) -> tuple[list[Word], list[Word]]:
    """The words of each name left once identical words are paired off."""
    rest = list(c.pairs())
    left: list[Word] = []
    for word in q.pairs():
        if word in rest:
            rest.remove(word)
        else:
            left.append(word)
    return left, rest


def generic_cost(these: list[bool], those: list[bool]) -> float:
    """What generic words without a counterpart cost, given for each name whether each of
    its lacking words is a word of kind: words in place of one another pair off first (a
    kind with a kind, at KIND_REPLACED; then activity words before kinds, at
    GENERIC_REPLACED), each left over costs GENERIC_REPLACED, or GENERIC_MISSING if a kind."""
    fewer, more = sorted((these, those), key=len)
    kind_pairs = min(sum(fewer), sum(more))
    rest = sorted(more)
    for _ in range(kind_pairs):
        rest.remove(True)
    lacking = rest[len(fewer) - kind_pairs :]
    kinds = sum(lacking)
    replaced = len(fewer) - kind_pairs
    return (
        KIND_REPLACED * kind_pairs
        + GENERIC_REPLACED * (replaced + len(lacking) - kinds)
        + GENERIC_MISSING * kinds
    )


def score_prepared(
    q: PreparedName, c: PreparedName, letters_apart: int, threshold: float = 0.0
) -> float:
    """0-100 score of two prepared names whose folded distinctive letter counts differ by
    `letters_apart`; once sure to fall below `threshold` it may stop early and return any
    score below the threshold."""
    # A distinctive word that is its name's only one is held to a closer match.
    sole_q, sole_c = q.distinct == 1, c.distinct == 1
    reach = (100.0 - threshold) / 10.0
    # Identical words pair off and score 100; each word left over scores against its best
    # counterpart among the other name's leftovers (word scores are symmetric), 0 if none;
    # a generic word without a counterpart within its typo tolerance (or the threshold, if
    # higher) costs GENERIC_MISSING instead, or GENERIC_REPLACED paired with one of the other's.
    left, right = _unpaired(q, c)
    worst = 100.0
    missing: tuple[list[bool], list[bool]] = ([], [])  # per side: each lacking word, a kind?
    for side, (these, those) in enumerate(((left, right), (right, left))):
        sole_these, sole_those = (sole_q, sole_c) if side == 0 else (sole_c, sole_q)
        for a, fa, generic in these:
            if worst < threshold:
                break
            best = max(
                (
                    _word_score(
                        a, fa, b, fb, (sole_these and not generic) or (sole_those and not g), reach
                    )
                    for b, fb, g in those
                ),
                default=0.0,
            )
            if generic and best < max(threshold, TOLERATED):
                missing[side].append(is_kind(a))
            else:
                worst = min(worst, best)
    cost = generic_cost(*missing) if missing[0] or missing[1] else 0.0
    if (
        cost == GENERIC_REPLACED
        and missing[0] + missing[1] == [False]
        and (min(q.distinct, c.distinct) >= VOUCHING_WORDS)
    ):
        # (three distinctive words or more vouch for the name: one word of activity apart
        # costs less, as a whole listed name with one word more does, name_contained)
        cost = ACTIVITY_VOUCHED
    worst = min(worst, 100.0 - cost)
    # Run together within one edit, two names differ by at most two letter counts.
    if worst >= JOINED_EQUAL or len(q.words) == len(c.words) or letters_apart > 2:
        return worst
    return max(worst, _joined_score(q, c))


def similarity(query: str, candidate: str) -> float:
    """0-100 similarity of two canonical names: the score of their worst-matched word
    (identical words pair off at 100; each other word scores against its best counterpart
    among the other name's unpaired words, 0 if there is none: 95 equal once romanisation
    variants are folded, at least TOLERATED within its typo tolerance or sounding alike),
    capped by what generic words without a counterpart cost, or, when their word counts
    differ, the score of the two run together if higher."""
    q, c = PreparedName(query), PreparedName(candidate)
    apart = Indel.distance(sorted(q.letters()), sorted(c.letters()))
    return score_prepared(q, c, apart)


def letter_budget(query: PreparedName, threshold: float) -> tuple[int, int]:
    """Most folded distinctive letter counts a name scoring at least `threshold` can differ
    by: the edits each word may have at that score, each changing at most two counts, at
    least four (names run together within an edit, spellings folded apart such as kh/h);
    and how many more when the difference is in vowels, for a word that may match by its
    sound (RASHEED and RASHID differ by three counts, none of them a consonant's)."""
    reach = (100.0 - threshold) / 10.0
    edits = 0
    sounds = False
    for word, generic in zip(query.words, query.generic, strict=True):
        if generic:
            continue
        edits += int(_edits_allowed(_tolerance(word, word, False), reach))
        sounds = sounds or (threshold <= SOUNDS_EQUAL and len(word) >= SOUND_MIN_LETTERS)
    return max(4, 2 * edits), (SOUND_VOWEL_COUNTS if sounds else 0)
