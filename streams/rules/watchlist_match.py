"""WATCHLIST_MATCH: an exact canonical identifier listed on a live entry."""

from __future__ import annotations

from streams.payment import Payment
from streams.rules.base import RuleResult, ScreeningContext

CODE = "WATCHLIST_MATCH"


def check(payment: Payment, context: ScreeningContext) -> list[RuleResult]:
    """Consumes the payee's lookup keys; produces one result per live matching entry:
    a confirmed entry applies its action, a suspected one holds."""
    results: list[RuleResult] = []
    seen: set[str] = set()
    for probe in payment.payee.lookup_keys:
        for entry, ident in context.watchlist.lookup(probe.key):
            effect = entry.effect(context.at)
            if effect is None or entry.entry_id in seen:
                continue
            seen.add(entry.entry_id)
            results.append(
                RuleResult(
                    CODE,
                    effect,
                    {
                        "entry_id": entry.entry_id,
                        "type": ident.type,
                        "value": ident.value,
                        "payee_field": probe.field,
                        "source": entry.source,
                        "status": entry.status,
                    },
                )
            )
    return results
