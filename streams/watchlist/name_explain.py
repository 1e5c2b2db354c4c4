"""Which words of a payee's name matched which words of a listed name, and how: the
evidence a WATCHLIST_NAME_MATCH gives a fraud desk beside its score.

Consumes two canonical names (the payee's and the listed one, as the name index scored
them); produces one record per word, in the payee's word order then the listed name's:
`{"payee": word, "listed": word, "match": how}`, `how` one of
- `same`: the word as written;
- `spelling`: equal once romanisation variants are folded (kh/h, yo/e, -iy/-y);
- `sound`: the same word transliterated another way (the same metaphone key, or the same
  consonants: TAIBA, TAYYIBA);
- `form`: the same word in another form (INDUSTRY, INDUSTRIES; TRADE, TRADING; IRAN,
  IRANIAN);
- `typo`: within the word's typo tolerance;
- `joined`: the names match run together (SNAP SHOT, SNAPSHOT), not word by word;
- `generic`: a generic or function word (trading, organisation, of) the other name lacks,
  or has another in its place (foundation, institute: a record for each side): one side
  only;
- `contained`: a distinctive word of the longer name beyond the shorter, whose words it
  all has (streams.watchlist.name_contained): one side only;
- `initials`: the payee's one word is the initials of the listed name's words, given in
  the order written (streams.watchlist.name_initials): one record.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA

from streams.model.canonical import ordered_name_words
from streams.watchlist.name_contained import contained_words
from streams.watchlist.name_initials import initials, is_initials
from streams.watchlist.name_score import (
    TOLERATED,
    PreparedName,
    Word,
    _sounds_alike,
    _tolerance,
    _unpaired,
    _word_score,
)
from streams.watchlist.name_words import same_stem

Evidence = dict[str, str]


def explain(payee: str, listed: str, threshold: float, written: str = "") -> list[Evidence]:
    """Word-by-word evidence of a payee's canonical name against a listed canonical name
    (`written`: the listed name as written, for initials) that scored at least
    `threshold`."""
    q, c = PreparedName(payee), PreparedName(listed)
    if payee != listed and written and is_initials(payee) and payee in initials(written):
        listed_words = " ".join(ordered_name_words(written))
        return [{"payee": payee, "listed": listed_words, "match": "initials"}]
    contained = contained_words(q, c) is not None
    left, right = _unpaired(q, c)
    evidence = [{"payee": w, "listed": w, "match": "same"} for w in _paired(q, left)]
    reach = (100.0 - threshold) / 10.0
    sole_q, sole_c = q.distinct == 1, c.distinct == 1
    rest = list(right)
    for word in left:
        a, fa, generic = word
        scored = [
            (
                _word_score(a, fa, b, fb, (sole_q and not generic) or (sole_c and not g), reach),
                (b, fb, g),
            )
            for b, fb, g in rest
        ]
        best = max(scored, default=(0.0, ("", "", False)))
        if best[0] >= min(threshold, TOLERATED) and best[1] in rest:
            rest.remove(best[1])
            how = _how(word, best[1], bool(sole_q or sole_c))
            evidence.append({"payee": a, "listed": best[1][0], "match": how})
        elif generic:
            evidence.append({"payee": a, "match": "generic"})
        elif contained:
            evidence.append({"payee": a, "match": "contained"})
        else:
            return _joined(q, c)
    for b, _, generic in rest:
        if not generic and not contained:
            return _joined(q, c)
        evidence.append({"listed": b, "match": "generic" if generic else "contained"})
    return evidence


def _paired(q: PreparedName, left: list[Word]) -> list[str]:
    """The payee's words that have an identical counterpart."""
    rest = list(left)
    paired = []
    for word in q.pairs():
        if word in rest:
            rest.remove(word)
        else:
            paired.append(word[0])
    return paired


def _how(a: Word, b: Word, sole: bool) -> str:
    """How two words that scored within tolerance match."""
    if a[1] == b[1]:
        return "spelling"
    within = OSA.distance(a[0], b[0]) <= max(1, _tolerance(a[0], b[0], sole))
    if within:
        return "typo"
    return (
        "sound" if _sounds_alike(a[0], b[0], sole) else "form" if same_stem(a[0], b[0]) else "typo"
    )


def _joined(q: PreparedName, c: PreparedName) -> list[Evidence]:
    """The names matched run together: one record for all their words."""
    return [{"payee": " ".join(q.words), "listed": " ".join(c.words), "match": "joined"}]
