"""The fuzzy name index: canonical names of watchlist entries, blocked by word and trigram
so that a payee name is scored (streams.watchlist.name_score) against a few hundred
candidates rather than every listed name.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from streams.watchlist.name_contained import (
    CONTAINED,
    CONTAINED_WHOLE,
    CONTAINED_WHOLE_WORDS,
    contained_score,
    may_contain,
)
from streams.watchlist.name_initials import INITIALS, initials, is_initials
from streams.watchlist.name_score import PreparedName, letter_budget, score_prepared

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
# Letter counts by which a contained name may exceed the name containing it (a typo in a
# long word, name_contained).
CONTAINED_SLACK = 2
# Query words whose blocking postings are remembered between searches.
FEATURES_REMEMBERED = 65536
# Digits a posting's size is written with where remembered (posting sizes are slot counts).
_SIZE_DIGITS = 10

# Letter counts of a name (a-z, 0-9, anything else), and a 64-bit signature of them
# (which occur, which letters twice) to break ties between candidates cheaply.
_BINS = 37
_BIN_OF = np.full(256, _BINS - 1, dtype=np.intp)
_BIN_OF[np.frombuffer(b"abcdefghijklmnopqrstuvwxyz0123456789", dtype=np.uint8)] = np.arange(36)

LetterCounts = npt.NDArray[np.uint8]
# A query word's blocking features: its own posting or not, the trigrams whose postings
# block, the too common trigrams with their postings' sizes.
Features = tuple[bool, tuple[str, ...], tuple[tuple[int, str], ...]]
# Bins of the letters other than vowels (and y): words that sound alike differ in vowels.
_CONSONANTS = np.array([i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz") if c not in "aeiouy"])


@dataclass(frozen=True, slots=True)
class NameHit:
    """An entry whose listed name scored at least the threshold against a payee name."""

    entry_id: str
    listed_name: str
    score: float
    canonical: str = ""  # the listed name's canonical form, that scored


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
        self._prepared: list[PreparedName] = []
        self._letters: LetterCounts = np.zeros((1024, _BINS), dtype=np.uint8)
        self._signatures: npt.NDArray[np.uint64] = np.zeros(1024, dtype=np.uint64)
        self._distinct: npt.NDArray[np.uint8] = np.zeros(1024, dtype=np.uint8)
        self._exact: dict[str, tuple[int, ...]] = {}  # canonical -> live slots
        self._initials: dict[str, list[int]] = {}  # a listed name's initials -> slots
        self._word_postings: dict[str, array[int]] = {}  # folded word -> slots
        self._trigram_postings: dict[str, array[int]] = {}  # its trigrams -> slots
        # A query word's blocking postings and too common trigrams, until a name is added:
        # words recur across distinct payee names, choosing their postings took a tenth.
        self._features_of: dict[str, str] = {}

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
        if self._features_of:
            self._features_of.clear()
        self._keys.append(key)
        self._listed.append(listed)
        prepared = PreparedName(canonical_name)
        self._prepared.append(prepared)
        if slot == len(self._letters):
            self._letters = np.concatenate([self._letters, np.zeros_like(self._letters)])
            self._signatures = np.concatenate([self._signatures, np.zeros_like(self._signatures)])
            self._distinct = np.concatenate([self._distinct, np.zeros_like(self._distinct)])
        counts = letter_counts(prepared.letters())
        self._letters[slot] = counts
        self._signatures[slot] = signature(counts)
        self._distinct[slot] = min(prepared.distinct, 255)
        self._exact[canonical_name] = (*self._exact.get(canonical_name, ()), slot)
        for letters in initials(listed):
            self._initials.setdefault(letters, []).append(slot)
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
        if threshold <= INITIALS and is_initials(canonical_name):
            for slot in self._initials.get(canonical_name, ()):
                if self._keys[slot] is not None:
                    self._hit(hits, slot, INITIALS)
        query = PreparedName(canonical_name)
        for slot, letters_apart, word_by_word in self._candidates(query, threshold):
            key = self._keys[slot]
            if key is None or key[1] == canonical_name:
                continue
            listed = self._prepared[slot]
            score = 0.0
            if word_by_word:
                score = score_prepared(query, listed, letters_apart, threshold)
            if score < threshold and may_contain(query, listed, threshold):
                score = max(score, contained_score(query, listed))
            if score >= threshold:
                self._hit(hits, slot, round(score, 1))
        return sorted(hits.values(), key=lambda h: (-h.score, h.entry_id))

    def _hit(self, hits: dict[str, NameHit], slot: int, score: float) -> None:
        key = self._keys[slot]
        assert key is not None
        entry_id = key[0]
        if entry_id not in hits or hits[entry_id].score < score:
            hits[entry_id] = NameHit(entry_id, self._listed[slot], score, key[1])

    def _candidates(self, query: PreparedName, threshold: float) -> list[tuple[int, int, bool]]:
        """Slots found most often through the query's blocking postings, less those whose
        letter counts alone rule out `threshold`; each with how far its letter counts
        are from the query's, and whether they may match word by word (else only as one
        name contained in the other)."""
        counted: list[array[int]] = []
        spare: list[tuple[int, str]] = []
        for word in dict.fromkeys(query.folded):
            features, too_common = self._word_features(word)
            counted.extend(features)
            spare.extend(too_common)
        if counted:
            slots, counts = _count(counted)
        else:
            slots = self._common_words(query, spare)
            counts = np.ones(len(slots), dtype=np.intp)
        letters = letter_counts(query.letters())
        if len(slots) > MAX_CANDIDATES:
            # The name a query misspells is found through all its postings but a spoilt one.
            least = int(counts.max()) - COUNT_SLACK
            if least > 1:
                often = counts >= least
                slots, counts = slots[often], counts[often]
        if len(slots) > MAX_CANDIDATES:
            differ = np.bitwise_count(self._signatures[slots] ^ np.uint64(signature(letters)))
            rank = counts.astype(np.int64) * 64 - differ.astype(np.int64)
            slots = slots[np.argpartition(-rank, MAX_CANDIDATES)[:MAX_CANDIDATES]]
        rows = np.take(self._letters, slots, axis=0).astype(np.int16)
        apart = np.abs(rows - letters.astype(np.int16)).sum(axis=1)
        budget, vowel_budget = letter_budget(query, threshold)
        close = apart <= budget
        if vowel_budget:
            consonants = np.abs(rows[:, _CONSONANTS] - letters[_CONSONANTS].astype(np.int16))
            close |= (apart <= budget + vowel_budget) & (consonants.sum(axis=1) <= 1)
        within = close
        if threshold <= CONTAINED:
            # or one name contained in the other: one's letter counts within the other's,
            # but for a few (a long contained word may have a typo)
            differ = rows - letters.astype(np.int16)
            within = (
                close
                | (np.maximum(differ, 0).sum(axis=1) <= CONTAINED_SLACK)
                | (np.maximum(-differ, 0).sum(axis=1) <= CONTAINED_SLACK)
            )
        elif threshold <= CONTAINED_WHOLE and query.distinct > CONTAINED_WHOLE_WORDS:
            # or a whole listed name of one distinctive word fewer within the query's
            over = np.maximum(rows - letters.astype(np.int16), 0).sum(axis=1)
            whole = (over <= CONTAINED_SLACK) & (self._distinct[slots] == query.distinct - 1)
            within = close | whole
        return list(
            zip(
                slots[within].tolist(),
                apart[within].tolist(),
                close[within].tolist(),
                strict=True,
            )
        )

    def _common_words(
        self, query: PreparedName, spare: list[tuple[int, str]]
    ) -> npt.NDArray[np.int32]:
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

    def _word_features(self, word: str) -> tuple[list[array[int]], list[tuple[int, str]]]:
        """Blocking postings of one folded query word: its own, if rare enough, and the
        rarest trigram of each stretch of it, if rare enough; and the too common trigrams
        with their postings' sizes. Which they are is remembered per word as one string
        (containers kept per word, even of strings only, brought collections and, in a
        heap not frozen, full ones of the whole index): whether its own posting blocks,
        how many trigrams do, those trigrams, then each too common one and its size."""
        known = self._features_of.get(word)
        if known is None:
            if len(self._features_of) >= FEATURES_REMEMBERED:
                self._features_of.clear()
            own, grams, too_common = self._choose_features(word)
            sizes = [f"{gram}{size:0{_SIZE_DIGITS}d}" for size, gram in too_common]
            known = "".join(("+" if own else "-", chr(len(grams)), *grams, *sizes))
            self._features_of[word] = known
        features = [self._word_postings[word]] if known[0] == "+" else []
        rest = 2 + 3 * ord(known[1])
        postings = self._trigram_postings
        features.extend(postings[known[i : i + 3]] for i in range(2, rest, 3))
        step = 3 + _SIZE_DIGITS
        spare = [
            (int(known[i + 3 : i + step]), known[i : i + 3]) for i in range(rest, len(known), step)
        ]
        return features, spare

    def _choose_features(self, word: str) -> Features:
        """Whether a word's own posting blocks, the trigrams whose postings do, and the
        too common ones with their postings' sizes (`_word_features`)."""
        posting = self._word_postings.get(word)
        own = posting is not None and len(posting) <= WORD_POSTINGS_LIMIT
        chosen: list[str] = []
        spare: list[tuple[int, str]] = []
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
                    chosen.append(gram)
                else:
                    spare.append((size, gram))
        return own, tuple(chosen), tuple(spare)


def _count(postings: list[array[int]]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.intp]]:
    """The distinct slots of `postings`, ascending, and how many postings have each: what
    `np.unique(..., return_counts=True)` gives, joined as bytes and sorted in place (a
    fifth of the time of a name went to np.unique, about half of it outside the sort)."""
    found = np.frombuffer(bytearray().join(postings), dtype=np.int32)
    found.sort()
    # where each run of one slot starts, and the end (np.diff(append=) costs a third more)
    edges = np.empty(len(found) + 1, dtype=np.bool_)
    edges[0] = edges[-1] = True
    np.not_equal(found[1:], found[:-1], out=edges[1:-1])
    bounds = np.flatnonzero(edges)
    return found[bounds[:-1]], bounds[1:] - bounds[:-1]


def _post(postings: dict[str, array[int]], key: str, slot: int) -> None:
    posting = postings.get(key)
    if posting is None:
        postings[key] = array("i", (slot,))
    else:
        posting.append(slot)
