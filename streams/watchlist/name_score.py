"""Word-by-word scoring of two canonical names, built on rapidfuzz.

Two names match when every word of each has a close counterpart in the other (so
"Moonlit Frames" and "Moonlit Games" do not, however alike the strings), or when their
word counts differ and, run together, they are within one edit ("Snap Shot Studio" and
"Snapshot Studio", a Chinese name and its pinyin spaced by word).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from itertools import permutations

from rapidfuzz.distance import OSA, Indel

# Scores. A word within its typo tolerance scores at least TOLERATED, so at the default
# threshold (88) a name matches exactly when every word does; each further tolerance's
# worth of edits costs 10 points more. Words equal once romanisation variants are folded,
# and names equal once run together, score a little below identical.
TOLERATED = 90.0
FOLDED_EQUAL = 95.0
JOINED_EQUAL = 95.0
# Names run together are compared in every word order of both, up to this many pairs.
MAX_JOINED_ORDERS = 720

# Romanisation variants of one letter (Cyrillic yo, ye, ya, yu, kha, tse; Greek phi, xi)
# and the English -ight/-ite spelling, folded alike on both sides; a short i written j,
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
)
_ENDING = re.compile(r"(?:yy|iy|yi|ii)$")
_NOT_DIGIT = re.compile(r"\D")


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """A canonical word with common romanisation variants folded to one spelling."""
    folded = word
    if "y" in word or "j" in word:
        folded = _ENDING.sub("y", word.replace("j", "y"))
    for variant, spelling in _FOLDS:
        if variant in folded:
            folded = folded.replace(variant, spelling)
    return folded


class PreparedName:
    """A canonical name prepared for scoring: its words as written and folded (the same
    tuple when folding changes nothing)."""

    __slots__ = ("folded", "words")

    def __init__(self, canonical_name: str) -> None:
        self.words = tuple(canonical_name.split())
        folded = tuple(fold(w) for w in self.words)
        self.folded = self.words if folded == self.words else folded

    def letters(self) -> str:
        """The folded words run together."""
        return "".join(self.folded)

    def pairs(self) -> zip[tuple[str, str]]:
        """Each word with its folded spelling."""
        return zip(self.words, self.folded, strict=True)


def _tolerance(a: str, b: str, single: bool) -> int:
    """Edits a word may differ by: none for words of one or two letters, one up to eight
    letters, two beyond. A one-word name has no other word to vouch for it: none up to
    four letters, one beyond. Numbers (and words with digits) must be equal: -1."""
    if not (a.isalpha() and b.isalpha()):
        return -1
    shorter = min(len(a), len(b))
    if single:
        return 0 if shorter <= 4 else 1
    return 0 if shorter <= 2 else 1 if shorter <= 8 else 2


def _edits_score(edits: int, tolerance: int) -> float:
    """100 less 10 points per tolerance's worth of edits (20 an edit with no tolerance)."""
    return max(0.0, 100.0 - edits * (10.0 / tolerance if tolerance else 20.0))


def _edits_allowed(tolerance: int, reach: float) -> float:
    """Edits a word of this tolerance may have at a score of 100 - 10 `reach`."""
    return 0.0 if tolerance < 0 else reach * (tolerance or 0.5)


def _word_score(a: str, fa: str, b: str, fb: str, single: bool, reach: float) -> float:
    """Score of word `a` (folded `fa`) against `b` (folded `fb`), or 0 when their lengths
    alone differ by more edits than `reach` per tolerance (a score below 100 - 10 reach)."""
    if a == b:
        return 100.0
    tolerance = _tolerance(a, b, single)
    if tolerance < 0:
        return 0.0  # a different number is a different name
    allowed = _edits_allowed(tolerance, reach)
    if abs(len(a) - len(b)) > allowed and abs(len(fa) - len(fb)) > allowed:
        return 0.0
    score = _edits_score(OSA.distance(a, b), tolerance)
    if fa == fb:
        return max(score, FOLDED_EQUAL)
    if fa != a or fb != b:
        # A typo next to a folded spelling can take the folded words further apart than
        # the words as written: the better of the two counts.
        score = max(score, min(_edits_score(OSA.distance(fa, fb), tolerance), FOLDED_EQUAL))
    return score


def _joined_score(q: PreparedName, c: PreparedName) -> float:
    """Score of two names run together, in the best word order of each: JOINED_EQUAL less
    5 for an edit (never in a number), or 0 beyond one edit."""
    if math.factorial(len(q.words)) * math.factorial(len(c.words)) > MAX_JOINED_ORDERS:
        return 0.0
    best = 2
    for left in {"".join(p) for p in permutations(q.folded)}:
        for right in {"".join(p) for p in permutations(c.folded)}:
            edits = OSA.distance(left, right, score_cutoff=1)
            if edits < best and _NOT_DIGIT.sub("", left) == _NOT_DIGIT.sub("", right):
                best = edits
                if best == 0:
                    return JOINED_EQUAL
    return JOINED_EQUAL - 5.0 * best if best <= 1 else 0.0


def _unpaired(
    q: PreparedName, c: PreparedName
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (word, folded) pairs of each name left once identical words are paired off."""
    rest = list(c.pairs())
    left: list[tuple[str, str]] = []
    for pair in q.pairs():
        if pair in rest:
            rest.remove(pair)
        else:
            left.append(pair)
    return left, rest


def score_prepared(
    q: PreparedName, c: PreparedName, letters_apart: int, threshold: float = 0.0
) -> float:
    """0-100 score of two prepared names whose folded letter counts differ by
    `letters_apart`; once sure to fall below `threshold` it may stop early and return any
    score below the threshold."""
    single = len(q.words) == 1 and len(c.words) == 1
    reach = (100.0 - threshold) / 10.0
    # Identical words pair off and score 100; each word left over scores against its best
    # counterpart among the other name's leftovers (word scores are symmetric), 0 if none.
    left, right = _unpaired(q, c)
    worst = 100.0
    if not (left and right):
        worst = 0.0 if left or right else 100.0
    else:
        for these, those in ((left, right), (right, left)):
            for a, fa in these:
                if worst < threshold:
                    break
                best = max(_word_score(a, fa, b, fb, single, reach) for b, fb in those)
                worst = min(worst, best)
    # Run together within one edit, two names differ by at most two letter counts.
    if worst >= JOINED_EQUAL or len(q.words) == len(c.words) or letters_apart > 2:
        return worst
    return max(worst, _joined_score(q, c))


def similarity(query: str, candidate: str) -> float:
    """0-100 similarity of two canonical names: the score of their worst-matched word
    (identical words pair off at 100; each other word scores against its best counterpart
    among the other name's unpaired words, 0 if there is none: 95 equal once romanisation
    variants are folded, at least TOLERATED within its typo tolerance) or, when their
    word counts differ, the score of the two run together if higher."""
    q, c = PreparedName(query), PreparedName(candidate)
    apart = Indel.distance(sorted(q.letters()), sorted(c.letters()))
    return score_prepared(q, c, apart)


def letter_budget(query: PreparedName, threshold: float) -> int:
    """Most folded letter counts a name scoring at least `threshold` can differ by: the
    edits each word may have at that score, each changing at most two counts; at least
    four (names run together within an edit, spellings folded apart such as kh/h)."""
    reach = (100.0 - threshold) / 10.0
    edits = sum(int(_edits_allowed(_tolerance(w, w, False), reach)) for w in query.words)
    return max(4, 2 * edits)
