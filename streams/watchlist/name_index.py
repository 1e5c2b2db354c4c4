"""Fuzzy name matching: a word and trigram candidate index over canonical names and a
word-by-word scorer built on rapidfuzz.

Two names match when every word of each has a close counterpart in the other (so
"Moonlit Frames" and "Moonlit Games" do not, however alike the strings), or when their
word counts differ and, run together, they are within one edit ("Snap Shot Studio" and
"Snapshot Studio", a Chinese name and its pinyin spaced by word).
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

import numpy as np
import numpy.typing as npt
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

# Blocking. Each word of the query contributes the postings of the word itself (when at
# most WORD_POSTINGS_LIMIT names have it) and of the rarest trigram in each of up to
# STRETCHES_PER_WORD stretches of it (when at most TRIGRAM_POSTINGS_LIMIT names have it):
# a typo spoils one stretch of one word, and common words and trigrams ("media", "med")
# cost most and tell names apart least (a query with nothing that rare falls back on
# names sharing its words as written). Names found through at most COUNT_SLACK postings
# fewer than the best-found are kept, at most MAX_CANDIDATES of them (ties broken by
# their letters), and scored unless their letter counts alone rule the threshold out.
WORD_POSTINGS_LIMIT = 5000
STRETCHES_PER_WORD = 3
TRIGRAM_POSTINGS_LIMIT = 3000
COUNT_SLACK = 1
MAX_CANDIDATES = 300

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

# Letter counts of a name (a-z, 0-9, anything else), and a 64-bit signature of them
# (which occur, which letters twice) to break ties between candidates cheaply.
_BINS = 37
_BIN_OF = np.full(256, _BINS - 1, dtype=np.intp)
_BIN_OF[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)] = np.arange(36)

LetterCounts = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class NameHit:
    """An entry whose listed name scored at least the threshold against a payee name."""

    entry_id: str
    listed_name: str
    score: float


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


@lru_cache(maxsize=65536)
def word_trigrams(word: str) -> tuple[str, ...]:
    """Trigrams of a word padded with a space either side, in order (a one-letter word is
    its own trigram)."""
    padded = f" {word} "
    return tuple(dict.fromkeys(padded[i : i + 3] for i in range(len(padded) - 2)))


def letter_counts(text: str) -> LetterCounts:
    """How often each letter and digit (and anything else) occurs in `text`, up to 255."""
    codes = np.frombuffer(text.encode("ascii", "replace"), dtype=np.uint8)
    counts = np.bincount(_BIN_OF[codes], minlength=_BINS)
    return np.minimum(counts, 255).astype(np.uint8)


def signature(counts: LetterCounts) -> int:
    """64 bits: which letters, digits (or anything else) occur, and which letters twice."""
    bits = np.packbits(np.concatenate([counts >= 1, counts[:26] >= 2]), bitorder="little")
    return int.from_bytes(bits.tobytes(), "little")


class _Name:
    """A canonical name prepared for scoring: its words as written and folded (the same
    tuple when folding changes nothing)."""

    __slots__ = ("folded", "words")

    def __init__(self, canonical_name: str) -> None:
        self.words = tuple(canonical_name.split())
        folded = tuple(fold(w) for w in self.words)
        self.folded = self.words if folded == self.words else folded

    def letters(self) -> str:
        return "".join(self.folded)

    def pairs(self) -> zip[tuple[str, str]]:
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


def _joined_score(q: _Name, c: _Name) -> float:
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


def _unpaired(q: _Name, c: _Name) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (word, folded) pairs of each name left once identical words are paired off."""
    rest = list(c.pairs())
    left: list[tuple[str, str]] = []
    for pair in q.pairs():
        if pair in rest:
            rest.remove(pair)
        else:
            left.append(pair)
    return left, rest


def _score(q: _Name, c: _Name, letters_apart: int, threshold: float = 0.0) -> float:
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
    q, c = _Name(query), _Name(candidate)
    apart = Indel.distance(sorted(q.letters()), sorted(c.letters()))
    return _score(q, c, apart)


def _letter_budget(query: _Name, threshold: float) -> int:
    """Most folded letter counts a name scoring at least `threshold` can differ by: the
    edits each word may have at that score, each changing at most two counts; at least
    four (names run together within an edit, spellings folded apart such as kh/h)."""
    reach = (100.0 - threshold) / 10.0
    edits = sum(int(_edits_allowed(_tolerance(w, w, False), reach)) for w in query.words)
    return max(4, 2 * edits)


class NameIndex:
    """Canonical names of entries, blocked by word and trigram; consumes (entry_id,
    canonical, listed) and answers a payee's canonical name with scored hits.

    Each listed name takes a slot that postings refer to; a removed name's slot stays in
    them until removed slots outnumber live ones and the index is rebuilt.
    """

    def __init__(self) -> None:
        self._clear()

    def _clear(self) -> None:
        self._slots: dict[tuple[str, str], int] = {}  # (entry_id, canonical) -> slot
        self._keys: list[tuple[str, str] | None] = []  # slot -> key, None once removed
        self._listed: list[str] = []
        self._prepared: list[_Name] = []
        self._letters: LetterCounts = np.zeros((1024, _BINS), dtype=np.uint8)
        self._signatures: npt.NDArray[np.uint64] = np.zeros(1024, dtype=np.uint64)
        self._exact: dict[str, tuple[int, ...]] = {}  # canonical -> live slots
        self._word_postings: dict[str, array[int]] = {}  # folded word -> slots
        self._trigram_postings: dict[str, array[int]] = {}  # its trigrams -> slots

    def __len__(self) -> int:
        return len(self._slots)

    def add(self, entry_id: str, canonical_name: str, listed: str) -> None:
        """Index one listed name of an entry."""
        key = (entry_id, canonical_name)
        slot = self._slots.get(key)
        if slot is not None:
            self._listed[slot] = listed
            return
        slot = len(self._keys)
        self._slots[key] = slot
        self._keys.append(key)
        self._listed.append(listed)
        prepared = _Name(canonical_name)
        self._prepared.append(prepared)
        if slot == len(self._letters):
            self._letters = np.concatenate([self._letters, np.zeros_like(self._letters)])
            self._signatures = np.concatenate([self._signatures, np.zeros_like(self._signatures)])
        counts = letter_counts(prepared.letters())
        self._letters[slot] = counts
        self._signatures[slot] = signature(counts)
        self._exact[canonical_name] = (*self._exact.get(canonical_name, ()), slot)
        grams: set[str] = set()
        for word in set(prepared.folded):
            _post(self._word_postings, word, slot)
            grams.update(word_trigrams(word))
        for gram in grams:
            _post(self._trigram_postings, gram, slot)

    def remove(self, entry_id: str, canonical_name: str) -> None:
        """Forget one listed name of an entry."""
        slot = self._slots.pop((entry_id, canonical_name), None)
        if slot is None:
            return
        self._keys[slot] = None
        same = tuple(s for s in self._exact.pop(canonical_name) if s != slot)
        if same:
            self._exact[canonical_name] = same
        if len(self._keys) - len(self._slots) > max(1024, len(self._slots)):
            self._rebuild()

    def _rebuild(self) -> None:
        live = [(key, self._listed[slot]) for key, slot in self._slots.items()]
        self._clear()
        for (entry_id, canonical_name), listed in live:
            self.add(entry_id, canonical_name, listed)

    def search(self, canonical_name: str, threshold: float) -> list[NameHit]:
        """Entries whose name scores at least `threshold` (0-100), best first."""
        hits: dict[str, NameHit] = {}
        for slot in self._exact.get(canonical_name, ()):
            self._hit(hits, slot, 100.0)
        query = _Name(canonical_name)
        for slot, letters_apart in self._candidates(query, threshold):
            key = self._keys[slot]
            if key is None or key[1] == canonical_name:
                continue
            score = _score(query, self._prepared[slot], letters_apart, threshold)
            if score >= threshold:
                self._hit(hits, slot, round(score, 1))
        return sorted(hits.values(), key=lambda h: (-h.score, h.entry_id))

    def _hit(self, hits: dict[str, NameHit], slot: int, score: float) -> None:
        key = self._keys[slot]
        assert key is not None
        entry_id = key[0]
        if entry_id not in hits or hits[entry_id].score < score:
            hits[entry_id] = NameHit(entry_id, self._listed[slot], score)

    def _candidates(self, query: _Name, threshold: float) -> list[tuple[int, int]]:
        """Slots found most often through the query's blocking postings, less those whose
        letter counts alone rule out `threshold`; each with how far its letter counts
        are from the query's."""
        counted: list[array[int]] = []
        spare: list[tuple[int, str]] = []
        for word in dict.fromkeys(query.folded):
            counted.extend(self._features(word, spare))
        if counted:
            found = np.concatenate([np.frombuffer(p, dtype=np.int32) for p in counted])
            slots, counts = np.unique(found, return_counts=True)
        else:
            slots = self._common_words(query, spare)
            counts = np.ones(len(slots), dtype=np.intp)
        letters = letter_counts(query.letters())
        if len(slots) > MAX_CANDIDATES:
            # The name a query misspells is found through all its postings but a spoilt one.
            least = int(counts.max()) - COUNT_SLACK
            if least > 1:
                slots, counts = slots[counts >= least], counts[counts >= least]
        if len(slots) > MAX_CANDIDATES:
            differ = np.bitwise_count(self._signatures[slots] ^ np.uint64(signature(letters)))
            rank = counts.astype(np.int64) * 64 - differ.astype(np.int64)
            slots = slots[np.argpartition(-rank, MAX_CANDIDATES)[:MAX_CANDIDATES]]
        rows = np.take(self._letters, slots, axis=0).astype(np.int16)
        apart = np.abs(rows - letters.astype(np.int16)).sum(axis=1)
        close = apart <= _letter_budget(query, threshold)
        return list(zip(slots[close].tolist(), apart[close].tolist(), strict=True))

    def _common_words(self, query: _Name, spare: list[tuple[int, str]]) -> npt.NDArray[np.int32]:
        """Blocking for a query of common words only: the names having all of those it
        has as written (rarest first, until few enough), else its rarest trigram's."""
        postings = sorted(
            (p for word in set(query.folded) if (p := self._word_postings.get(word))), key=len
        )
        if not postings:
            if not spare:
                return np.zeros(0, dtype=np.int32)
            postings = [self._trigram_postings[min(spare)[1]]]
        slots = np.frombuffer(postings[0], dtype=np.int32)
        for posting in postings[1:]:
            if len(slots) <= MAX_CANDIDATES:
                break
            slots = np.intersect1d(
                slots, np.frombuffer(posting, dtype=np.int32), assume_unique=True
            )
        return slots

    def _features(self, word: str, spare: list[tuple[int, str]]) -> list[array[int]]:
        """Blocking postings of one folded query word: its own, if rare enough, and the
        rarest trigram of each stretch of it, if rare enough (else added to `spare`)."""
        features: list[array[int]] = []
        posting = self._word_postings.get(word)
        if posting is not None and len(posting) <= WORD_POSTINGS_LIMIT:
            features.append(posting)
        grams = word_trigrams(word)
        step = -(-len(grams) // STRETCHES_PER_WORD)
        for start in range(0, len(grams), step):
            sized = [
                (len(p), gram)
                for gram in grams[start : start + step]
                if (p := self._trigram_postings.get(gram)) is not None
            ]
            if sized:
                size, gram = min(sized)
                if size <= TRIGRAM_POSTINGS_LIMIT:
                    features.append(self._trigram_postings[gram])
                else:
                    spare.append((size, gram))
        return features


def _post(postings: dict[str, array[int]], key: str, slot: int) -> None:
    posting = postings.get(key)
    if posting is None:
        postings[key] = array("i", (slot,))
    else:
        posting.append(slot)
