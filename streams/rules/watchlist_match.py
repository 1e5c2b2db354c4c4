"""WATCHLIST_MATCH: an exact canonical identifier listed on a live entry."""

from __future__ import annotations

from streams.model.payment import Payment
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.disclosure import named_source, sealed_result
from streams.watchlist.identifier_hash import hashed_index_key

CODE = "WATCHLIST_MATCH"


def check(payment: Payment, context: ScreeningContext) -> list[RuleResult]:
    """Consumes the payee's lookup keys (and their keyed hashes, when hashed entries are
    listed); produces one result per live matching entry: a confirmed entry applies its
    action, a suspected one holds. A sealed entry's result is WATCHLIST_SEALED; a member's
    contribution names its source `coalition` (streams/rules/disclosure.py)."""
    results: list[RuleResult] = []
    seen: set[str] = set()
    hashing = context.coalition_key is not None and context.watchlist.hashed_entries > 0
    for probe in payment.payee.lookup_keys:
        found = context.watchlist.lookup(probe.key)
        if hashing:
            assert context.coalition_key is not None
            found += context.watchlist.lookup(hashed_index_key(context.coalition_key, probe.key))
        for entry, ident in found:
            effect = entry.effect(context.at)
            if effect is None or entry.entry_id in seen:
                continue
            seen.add(entry.entry_id)
            if entry.sealed:
                results.append(sealed_result(effect, probe.field, entry.entry_id))
                continue
            evidence: dict[str, object] = {
                "entry_id": entry.entry_id,
                "type": ident.type,
                "value": probe.value,
                "payee_field": probe.field,
                "source": named_source(entry.source, context.members),
                "status": entry.status,
            }
            if ident.hashed:
                evidence["hashed"] = True
            results.append(RuleResult(CODE, effect, evidence))
    return results
