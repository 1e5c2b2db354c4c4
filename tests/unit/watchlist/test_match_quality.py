"""Match quality against the labelled evaluation set tests/data/match-eval.jsonl.

Each line pairs an identifier as listed on the watchlist with the same kind of identifier
as a payment wrote it, labelled by whether they are the same identifier (DESIGN.md
"Canonicalisation"). Every listed value becomes one watchlist entry; every pair is
decided by screening a payment whose payee carries the written value in that field (and
the line's optional `country`, which reads a national phone number): a match is a
reason naming that entry. Names go through the name rule at the deployment's default
threshold. Run with `pytest -s` to see the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from streams.model.canonical import IDENTIFIER_KINDS
from streams.model.payment import PaymentError, decode_payment
from streams.rules.base import ScreeningContext
from streams.rules.verdict import screen
from streams.settings import Settings
from streams.watchlist.entry import EntryError, encode_entry, parse_entry
from streams.watchlist.index import WatchlistIndex
from tests.factories import identifier, payment_bytes, watchlist_entry

DATA = Path(__file__).resolve().parents[2] / "data" / "match-eval.jsonl"
THRESHOLD = Settings().name_match_threshold
TS = "2026-01-15T10:00:00Z"
TS_AT = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)

NAME = "name"
EXACT_KINDS = tuple(k for k in IDENTIFIER_KINDS if k != NAME)
GROUPS = {"canonical identifiers": EXACT_KINDS, "names": (NAME,)}

# Targets: (minimum precision, minimum recall) per group.
TARGETS = {"canonical identifiers": (1.0, 1.0), "names": (0.95, 0.95)}


@dataclass(frozen=True, slots=True)
class Pair:
    """One labelled line of the evaluation set."""

    line: int
    kind: str
    listed: str
    written: str
    match: bool
    note: str
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """A pair and what screening decided; `problem` says why it could not be screened."""

    pair: Pair
    matched: bool
    problem: str | None = None

    @property
    def correct(self) -> bool:
        return self.matched == self.pair.match


@dataclass(frozen=True, slots=True)
class Score:
    """Confusion counts of a set of outcomes."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load_pairs(path: Path = DATA) -> list[Pair]:
    pairs = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        row: dict[str, Any] = json.loads(text)
        pairs.append(
            Pair(
                line=number,
                kind=row["kind"],
                listed=row["listed"],
                written=row["written"],
                match=row["match"],
                note=row["note"],
                country=row.get("country"),
            )
        )
    return pairs


def build_watchlist(pairs: Iterable[Pair]) -> tuple[WatchlistIndex, dict[tuple[str, str], str]]:
    """One entry per distinct (kind, listed value); a listed value the project rejects
    gets no entry (its pairs can then never match)."""
    index = WatchlistIndex()
    entry_ids: dict[tuple[str, str], str] = {}
    for pair in pairs:
        key = (pair.kind, pair.listed)
        if key in entry_ids:
            continue
        entry_id = f"eval-{pair.kind}-{len(entry_ids):04d}"
        entry_ids[key] = entry_id
        document = watchlist_entry(entry_id, [identifier(pair.kind, pair.listed)], source="eval")
        try:
            entry = parse_entry(document)
        except EntryError:
            continue
        if entry.rejected:
            continue
        index.upsert(entry, encode_entry(document))
    return index, entry_ids


def payment_of(pair: Pair) -> bytes:
    """The payment that writes the pair's value in its payee."""
    payee = {pair.kind: pair.written}
    if pair.country:
        payee["country"] = pair.country
    return payment_bytes(f"eval-{pair.line}", "eval", ts=TS, amount="10.00", payee=payee)


def decide(pair: Pair, index: WatchlistIndex, entry_id: str) -> Outcome:
    if entry_id not in index.entries:
        return Outcome(pair, False, "listed value rejected by the watchlist")
    try:
        payment = decode_payment(payment_of(pair))
    except PaymentError as exc:
        return Outcome(pair, False, f"payment rejected: {exc.code}")
    context = ScreeningContext(watchlist=index, at=TS_AT, name_threshold=THRESHOLD)
    verdict = screen(payment, context)
    return Outcome(pair, any(r.get("entry_id") == entry_id for r in verdict.reasons))


def score(outcomes: Iterable[Outcome]) -> Score:
    tp = fp = fn = tn = 0
    for o in outcomes:
        if o.matched and o.pair.match:
            tp += 1
        elif o.matched:
            fp += 1
        elif o.pair.match:
            fn += 1
        else:
            tn += 1
    return Score(tp, fp, fn, tn)


def table(outcomes: list[Outcome]) -> str:
    header = f"{'kind':<22}{'pairs':>6}{'TP':>5}{'FP':>5}{'FN':>5}{'TN':>5}{'prec':>8}{'recall':>8}"
    lines = [f"match quality at name threshold {THRESHOLD:g}", header, "-" * len(header)]

    def row(label: str, selected: list[Outcome]) -> str:
        s = score(selected)
        return (
            f"{label:<22}{len(selected):>6}{s.tp:>5}{s.fp:>5}{s.fn:>5}{s.tn:>5}"
            f"{s.precision:>8.3f}{s.recall:>8.3f}"
        )

    for kind in (*EXACT_KINDS, NAME):
        lines.append(row(kind, [o for o in outcomes if o.pair.kind == kind]))
    lines.append("-" * len(header))
    for group, kinds in GROUPS.items():
        lines.append(row(group, [o for o in outcomes if o.pair.kind in kinds]))
    return "\n".join(lines)


def describe(outcome: Outcome) -> str:
    pair = outcome.pair
    label = "missed variant (FN)" if pair.match else "false match (FP)"
    country = f" country={pair.country}" if pair.country else ""
    problem = f" [{outcome.problem}]" if outcome.problem else ""
    return (
        f"  line {pair.line} {pair.kind} {label}: listed {pair.listed!r} written "
        f"{pair.written!r}{country} ({pair.note}){problem}"
    )


@cache
def evaluation() -> tuple[Outcome, ...]:
    pairs = load_pairs()
    index, entry_ids = build_watchlist(pairs)
    outcomes = tuple(decide(p, index, entry_ids[(p.kind, p.listed)]) for p in pairs)
    print("\n" + table(list(outcomes)))
    return outcomes


# ---------------------------------------------------------------- the data set itself


def test_evaluation_set_is_well_formed() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 300
    for pair in pairs:
        assert pair.kind in IDENTIFIER_KINDS, f"line {pair.line}: unknown kind {pair.kind!r}"
        assert isinstance(pair.match, bool), f"line {pair.line}: match must be true or false"
        assert pair.listed.strip() and pair.written.strip() and pair.note.strip(), pair.line
        assert pair.country is None or len(pair.country) == 2, pair.line
    seen = [(p.kind, p.listed, p.written) for p in pairs]
    assert len(seen) == len(set(seen)), "duplicate pairs"
    for kind in IDENTIFIER_KINDS:
        labels = {p.match for p in pairs if p.kind == kind}
        assert labels == {True, False}, f"{kind}: needs both variants and non-variants"
    assert sum(p.kind == NAME for p in pairs) >= 120


def test_every_listed_value_is_accepted_by_the_watchlist() -> None:
    """The listed side is written as a contributor would list it: each must be a valid
    identifier, or the evaluation measures a data error instead of matching."""
    pairs = load_pairs()
    index, entry_ids = build_watchlist(pairs)
    rejected = sorted(
        {f"{kind}: {listed!r}" for (kind, listed), e in entry_ids.items() if e not in index.entries}
    )
    assert not rejected, "listed values rejected:\n" + "\n".join(rejected)


# ---------------------------------------------------------------- precision and recall


@pytest.mark.parametrize("group", list(GROUPS))
def test_match_quality(group: str) -> None:
    outcomes = evaluation()
    selected = [o for o in outcomes if o.pair.kind in GROUPS[group]]
    s = score(selected)
    min_precision, min_recall = TARGETS[group]
    wrong = [describe(o) for o in selected if not o.correct]
    message = (
        f"{group}: precision {s.precision:.3f} (target {min_precision}), recall "
        f"{s.recall:.3f} (target {min_recall}); TP={s.tp} FP={s.fp} FN={s.fn} TN={s.tn}\n"
        + table(list(outcomes))
        + f"\nmisclassified {group} pairs ({len(wrong)}):\n"
        + "\n".join(wrong)
    )
    assert s.precision >= min_precision and s.recall >= min_recall, message
