"""The view's one writer: applies folded records to the tables, each batch with the offsets
after it in one transaction, so a restart resumes exactly where the view stopped and an
empty database is rebuilt from the beginning of every topic."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    and_,
    delete,
    func,
    insert,
    select,
    update,
)

from streams.console.hold_state import HoldEvent, HoldState, apply_event
from streams.console.view_fold import (
    AuditAdded,
    Change,
    DecisionKeys,
    DecisionRead,
    DecisionSeen,
    EntryPut,
    LinkPut,
    PaymentSeen,
    ProposalPut,
    RouteSeen,
)
from streams.console.view_tables import (
    audit_table,
    decision_keys_table,
    decisions_table,
    entries_table,
    entry_keys_table,
    holds_table,
    links_table,
    offsets_table,
    payments_table,
    proposals_table,
    routes_table,
)

# Payments wait in a cache until their decision is read (they may arrive before or after
# it). A hold's payment moves into the hold's own row; any decision removes its payment
# from the cache. What stays is bounded: payments whose decision has not been read yet
# (the reader reads both topics side by side, so a few batches' worth) and payments read
# after their allow decision. 100,000 rows (~100 MB at most) covers minutes of traffic at
# the rates measured here, and the oldest go first.
PAYMENT_CACHE_MAX = 100_000
_PRUNE_EVERY = 1000


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def state_of(text: str) -> HoldState:
    return HoldState(**orjson.loads(text))


class ViewWriter:
    """Applies (topic, partition, offset, changes) batches; only the topic reader calls it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._inserted = 0

    def offsets(self) -> dict[tuple[str, int], int]:
        """(topic, partition) → the next offset to read, for every partition read so far."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(offsets_table)).all()
        return {(r.topic, int(r.partition)): int(r.next_offset) for r in rows}

    def apply(self, batch: Sequence[tuple[str, int, int, list[Change]]]) -> None:
        """Apply (topic, partition, offset, changes) in order, with the offsets after them,
        in one transaction."""
        positions: dict[tuple[str, int], int] = {}
        with self.engine.begin() as conn:
            for topic, partition, offset, changes in batch:
                for change in changes:
                    self._apply_change(conn, change)
                positions[(topic, partition)] = offset + 1
            for (topic, partition), next_offset in positions.items():
                where = and_(offsets_table.c.topic == topic, offsets_table.c.partition == partition)
                done = conn.execute(
                    update(offsets_table).where(where).values(next_offset=next_offset)
                )
                if done.rowcount == 0:
                    conn.execute(
                        insert(offsets_table).values(
                            topic=topic, partition=partition, next_offset=next_offset
                        )
                    )
            if self._inserted >= _PRUNE_EVERY:
                self._inserted = 0
                _prune_payments(conn)

    def _apply_change(self, conn: Connection, change: Change) -> None:
        if isinstance(change, HoldEvent):
            _apply_hold(conn, change)
        elif isinstance(change, PaymentSeen):
            self._payment(conn, change)
        elif isinstance(change, DecisionSeen):
            _decision(conn, change)
        elif isinstance(change, DecisionKeys):
            _insert_keys(conn, change.member, change.txn_id, change.keys)
        elif isinstance(change, DecisionRead):
            conn.execute(delete(payments_table).where(_payment_key(change.member, change.txn_id)))
        elif isinstance(change, EntryPut):
            _entry(conn, change)
        elif isinstance(change, LinkPut):
            _link(conn, change)
        elif isinstance(change, ProposalPut):
            _proposal(conn, change)
        elif isinstance(change, AuditAdded):
            _audit(conn, change)
        elif isinstance(change, RouteSeen):
            _route(conn, change)

    def _payment(self, conn: Connection, seen: PaymentSeen) -> None:
        known = conn.execute(
            select(decisions_table.c.txn_id).where(
                decisions_table.c.member == seen.member, decisions_table.c.txn_id == seen.txn_id
            )
        ).first()
        if known is not None:
            _insert_keys(conn, seen.member, seen.txn_id, seen.keys)
        if hold_row(conn, seen.member, seen.txn_id) is not None:
            _apply_hold(conn, HoldEvent(seen.member, seen.txn_id, "payment", seen.document))
            return
        if known is not None:
            return
        conn.execute(delete(payments_table).where(_payment_key(seen.member, seen.txn_id)))
        conn.execute(
            insert(payments_table).values(
                member=seen.member,
                txn_id=seen.txn_id,
                cached_at=time.time(),
                document=_dumps(seen.document),
                payee_keys=_dumps(list(seen.keys)),
            )
        )
        self._inserted += 1


def hold_row(conn: Connection, member: str, txn_id: str) -> str | None:
    row = conn.execute(
        select(holds_table.c.state).where(
            holds_table.c.member == member, holds_table.c.txn_id == txn_id
        )
    ).first()
    return None if row is None else str(row.state)


def _apply_hold(conn: Connection, event: HoldEvent) -> None:
    text = hold_row(conn, event.member, event.txn_id)
    before = state_of(text) if text is not None else None
    state = apply_event(before, event)
    if event.kind == "decision" and state.payment is None:
        cached = conn.execute(
            select(payments_table.c.document).where(_payment_key(event.member, event.txn_id))
        ).first()
        if cached is not None:
            state = apply_event(
                state, HoldEvent(event.member, event.txn_id, "payment", orjson.loads(cached[0]))
            )
    if state == before:
        return
    decided_at = state.decision.get("decided_at") if state.decision else None
    values = {
        "is_hold": state.is_hold,
        "status": state.status,
        "decided_at": decided_at if isinstance(decided_at, str) else None,
        "state": _dumps(dataclasses.asdict(state)),
    }
    if before is None:
        conn.execute(insert(holds_table).values(member=event.member, txn_id=event.txn_id, **values))
    else:
        conn.execute(
            update(holds_table)
            .where(holds_table.c.member == event.member, holds_table.c.txn_id == event.txn_id)
            .values(**values)
        )


def _payment_key(member: str, txn_id: str) -> Any:
    return and_(payments_table.c.member == member, payments_table.c.txn_id == txn_id)


def _prune_payments(conn: Connection) -> None:
    count = conn.execute(select(func.count()).select_from(payments_table)).scalar_one()
    excess = int(count) - PAYMENT_CACHE_MAX
    if excess > 0:
        oldest = (
            select(payments_table.c.cached_at)
            .order_by(payments_table.c.cached_at)
            .offset(excess - 1)
            .limit(1)
            .scalar_subquery()
        )
        conn.execute(delete(payments_table).where(payments_table.c.cached_at <= oldest))


def _insert_once(conn: Connection, table: Table, values: dict[str, Any]) -> None:
    """Insert the row of one decision (`member`, `txn_id` in `values`) unless it is there:
    a redelivered record changes nothing."""
    exists = conn.execute(
        select(table.c.txn_id).where(
            table.c.member == values["member"], table.c.txn_id == values["txn_id"]
        )
    ).first()
    if exists is None:
        conn.execute(insert(table).values(**values))


def _decision(conn: Connection, seen: DecisionSeen) -> None:
    _insert_once(
        conn,
        decisions_table,
        {
            "member": seen.member,
            "txn_id": seen.txn_id,
            "decision": seen.decision,
            "decided_at": seen.decided_at,
            "reasons": _dumps(seen.reasons),
        },
    )
    keys = list(seen.keys)
    cached = conn.execute(
        select(payments_table.c.payee_keys).where(_payment_key(seen.member, seen.txn_id))
    ).first()
    if cached is not None:
        keys += orjson.loads(cached[0])
    _insert_keys(conn, seen.member, seen.txn_id, keys)


def _route(conn: Connection, seen: RouteSeen) -> None:
    """One row per decision: a redelivered alert counts once."""
    _insert_once(conn, routes_table, dataclasses.asdict(seen))


def _insert_keys(conn: Connection, member: str, txn_id: str, keys: Iterable[str]) -> None:
    wanted = set(keys)
    if not wanted:
        return
    have = {
        r.key
        for r in conn.execute(
            select(decision_keys_table.c.key).where(
                decision_keys_table.c.member == member, decision_keys_table.c.txn_id == txn_id
            )
        )
    }
    rows = [{"member": member, "key": k, "txn_id": txn_id} for k in sorted(wanted - have)]
    if rows:
        conn.execute(insert(decision_keys_table), rows)


def _entry(conn: Connection, put: EntryPut) -> None:
    row = conn.execute(
        select(entries_table.c.first_seen_ms).where(entries_table.c.entry_id == put.entry_id)
    ).first()
    conn.execute(delete(entry_keys_table).where(entry_keys_table.c.entry_id == put.entry_id))
    conn.execute(delete(entries_table).where(entries_table.c.entry_id == put.entry_id))
    if put.document is None:
        return
    first_seen = min(int(row.first_seen_ms), put.at_ms) if row is not None else put.at_ms
    conn.execute(
        insert(entries_table).values(
            entry_id=put.entry_id, document=_dumps(put.document), first_seen_ms=first_seen
        )
    )
    if put.keys:
        conn.execute(
            insert(entry_keys_table), [{"key": k, "entry_id": put.entry_id} for k in put.keys]
        )


def _link(conn: Connection, put: LinkPut) -> None:
    where = and_(links_table.c.identifier == put.identifier, links_table.c.entry_id == put.entry_id)
    conn.execute(delete(links_table).where(where))
    if put.document is not None:
        conn.execute(
            insert(links_table).values(
                identifier=put.identifier, entry_id=put.entry_id, document=_dumps(put.document)
            )
        )


def _proposal(conn: Connection, put: ProposalPut) -> None:
    conn.execute(delete(proposals_table).where(proposals_table.c.proposal_id == put.proposal_id))
    if put.document is not None:
        conn.execute(
            insert(proposals_table).values(
                proposal_id=put.proposal_id,
                status=str(put.document.get("status", "open")),
                document=_dumps(put.document),
            )
        )


def _audit(conn: Connection, added: AuditAdded) -> None:
    where = and_(audit_table.c.partition == added.partition, audit_table.c.offset == added.offset)
    if conn.execute(select(audit_table.c.offset).where(where)).first() is not None:
        return
    doc = added.document

    def text(name: str) -> str | None:
        value = doc.get(name)
        return value if isinstance(value, str) else None

    conn.execute(
        insert(audit_table).values(
            partition=added.partition,
            offset=added.offset,
            at=text("at") or "",
            user=text("user"),
            member=text("member"),
            action=text("action"),
            target=text("target"),
            document=_dumps(doc),
        )
    )
