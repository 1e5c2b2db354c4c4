"""Fuzzy name matching behind a trigram candidate index, scored with rapidfuzz."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz

MAX_CANDIDATES = 300
# A candidate must share this fraction of the query's trigrams to be scored at all.
MIN_SHARED_TRIGRAMS = 0.3


@dataclass(frozen=True, slots=True)
class NameHit:
    """An entry whose listed name scored at least the threshold against a payee name."""

    entry_id: str
    listed_name: str
    score: float


def trigrams(text: str) -> set[str]:
    """Character trigrams of a canonical name, padded so short names still block."""
    padded = f"  {text} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(query: str, candidate: str) -> float:
    """0-100 similarity of two canonical (token-sorted) names: the better of the whole
    strings compared and the tokens aligned one to one (a typo can move a token in the
    sorted order, so the string comparison alone misses it)."""
    return max(fuzz.ratio(query, candidate), token_alignment(query.split(), candidate.split()))


def token_alignment(left: list[str], right: list[str]) -> float:
    """Length-weighted mean of each token's best match on the other side, the weaker of
    the two directions (so extra tokens on either side lower the score)."""
    if not left or not right:
        return 0.0
    return min(_directed(left, right), _directed(right, left))


def _directed(source: list[str], target: list[str]) -> float:
    total = sum(len(t) for t in source)
    score = sum(len(t) * max(fuzz.ratio(t, other) for other in target) for t in source)
    return score / total


class NameIndex:
    """Canonical names of entries, blocked by trigram; consumes (entry_id, canonical,
    listed) and answers a payee's canonical name with scored hits."""

    def __init__(self) -> None:
        self._names: dict[tuple[str, str], str] = {}  # (entry_id, canonical) -> listed
        self._postings: defaultdict[str, set[tuple[str, str]]] = defaultdict(set)
        self._exact: defaultdict[str, set[str]] = defaultdict(set)

    def __len__(self) -> int:
        return len(self._names)

    def add(self, entry_id: str, canonical_name: str, listed: str) -> None:
        """Index one listed name of an entry."""
        key = (entry_id, canonical_name)
        self._names[key] = listed
        self._exact[canonical_name].add(entry_id)
        for gram in trigrams(canonical_name):
            self._postings[gram].add(key)

    def remove(self, entry_id: str, canonical_name: str) -> None:
        """Forget one listed name of an entry."""
        key = (entry_id, canonical_name)
        if self._names.pop(key, None) is None:
            return
        self._exact[canonical_name].discard(entry_id)
        if not self._exact[canonical_name]:
            del self._exact[canonical_name]
        for gram in trigrams(canonical_name):
            posting = self._postings.get(gram)
            if posting is not None:
                posting.discard(key)
                if not posting:
                    del self._postings[gram]

    def search(self, canonical_name: str, threshold: float) -> list[NameHit]:
        """Entries whose name scores at least `threshold` (0-100), best first."""
        grams = trigrams(canonical_name)
        shared: Counter[tuple[str, str]] = Counter()
        for gram in grams:
            posting = self._postings.get(gram)
            if posting:
                shared.update(posting)
        needed = max(1, int(len(grams) * MIN_SHARED_TRIGRAMS))
        hits: dict[str, NameHit] = {}
        for key, count in shared.most_common(MAX_CANDIDATES):
            if count < needed:
                break
            entry_id, candidate = key
            score = 100.0 if candidate == canonical_name else similarity(canonical_name, candidate)
            if score >= threshold and (entry_id not in hits or hits[entry_id].score < score):
                hits[entry_id] = NameHit(entry_id, self._names[key], round(score, 1))
        return sorted(hits.values(), key=lambda h: (-h.score, h.entry_id))
