"""WATCHLIST_LINK: the payee carries an identifier linked to a confirmed entry by earlier
payments (see streams/watchlist/links.py). A link holds, never blocks: it is evidence, not a
listing."""

from __future__ import annotations

from streams.model.payment import Payment
from streams.model.timestamps import iso
from streams.rules.base import RuleResult, ScreeningContext
from streams.rules.disclosure import named_source, sealed_result

CODE = "WATCHLIST_LINK"


def check(payment: Payment, context: ScreeningContext) -> list[RuleResult]:
    """Consumes the payee's lookup keys and the live links; produces a hold per linked
    entry that is still confirmed and live, naming the transaction that made the link (a
    sealed entry: WATCHLIST_SEALED, naming neither; a member's contribution: source
    `coalition`)."""
    if context.links is None:
        return []
    results: list[RuleResult] = []
    seen: set[str] = set()
    for probe in payment.payee.lookup_keys:
        for link in context.links.lookup(probe.key, context.at):
            entry = context.watchlist.lookup_entry(link.entry_id)
            if entry is None or entry.status != "confirmed" or entry.effect(context.at) is None:
                continue
            if link.entry_id in seen:
                continue
            seen.add(link.entry_id)
            if entry.sealed:
                results.append(sealed_result("hold", probe.field, link.entry_id))
                continue
            evidence: dict[str, object] = {
                "entry_id": link.entry_id,
                "type": link.type,
                "value": link.value,
                "source": named_source(entry.source, context.members),
                "status": "linked",
                "linked_at": iso(link.first_seen),
            }
            # Another member's transaction id is that member's data: name it only to the
            # member whose payment made the link.
            if link.first_member == payment.member_id:
                evidence["linked_by_txn"] = link.first_txn
            results.append(RuleResult(CODE, "hold", evidence))
    return results
