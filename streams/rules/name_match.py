"""WATCHLIST_NAME_MATCH: the payee's name is close to a listed name. A name is never an
exact identifier, so any name match holds, however close."""

from __future__ import annotations

from streams.model.payment import Payment
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.disclosure import named_source, sealed_result
from streams.watchlist.name_explain import explain
from streams.watchlist.name_index import NameHit

CODE = "WATCHLIST_NAME_MATCH"


def check(payment: Payment, context: ScreeningContext) -> list[RuleResult]:
    """Consumes the payee's canonical name; produces a hold per live entry scoring at or
    above the deployment threshold, with the score, the name as listed and which words
    matched how (streams.watchlist.name_explain; a sealed entry:
    WATCHLIST_SEALED, neither; a member's contribution: source `coalition`)."""
    best: dict[str, tuple[NameHit, str]] = {}  # entry -> best hit, the payee's form it scored
    for variant in payment.payee.name_variants:
        for hit in context.watchlist.search_names(variant, context.name_threshold):
            if hit.entry_id not in best or best[hit.entry_id][0].score < hit.score:
                best[hit.entry_id] = (hit, variant)
    results: list[RuleResult] = []
    for hit, variant in sorted(best.values(), key=lambda h: (-h[0].score, h[0].entry_id)):
        entry = context.watchlist.lookup_entry(hit.entry_id)
        if entry is None or entry.effect(context.at) is None:
            continue
        if entry.sealed:
            results.append(sealed_result("hold", "name", entry.entry_id))
            continue
        results.append(
            RuleResult(
                CODE,
                "hold",
                {
                    "entry_id": entry.entry_id,
                    "type": "name",
                    "score": hit.score,
                    "listed_name": hit.listed_name,
                    "words": explain(
                        variant, hit.canonical or variant, context.name_threshold, hit.listed_name
                    ),
                    "source": named_source(entry.source, context.members),
                    "status": entry.status,
                },
            )
        )
    return results
