"""The console's view of the topics in SQL (SQLite or PostgreSQL): the writer the topic
reader applies records with (`view_apply`), and the queries the desk answers from.
Only the topic reader writes here, in topic order."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import orjson
from sqlalchemy import (
    func,
    select,
)

from streams.console.hold_state import HoldState, Json
from streams.console.view_apply import ViewWriter, hold_row, state_of
from streams.console.view_tables import (
    audit_table,
    decision_keys_table,
    decisions_table,
    entries_table,
    entry_keys_table,
    holds_table,
    links_table,
    metadata,
    proposals_table,
    routes_table,
)


class ViewStore(ViewWriter):
    """The view's tables over one engine: `apply` for the topic reader, queries for all."""

    def create(self) -> None:
        """Create the tables that do not exist yet."""
        metadata.create_all(self.engine)

    def hold(self, member: str, txn_id: str) -> HoldState | None:
        """One hold (None when unknown or not a hold)."""
        with self.engine.connect() as conn:
            row = hold_row(conn, member, txn_id)
        state = state_of(row) if row is not None else None
        return state if state is not None and state.is_hold else None

    def holds(self, members: Iterable[str] | None, statuses: Iterable[str]) -> list[HoldState]:
        """Holds of the members (every member when None) in the statuses, oldest first."""
        query = select(holds_table.c.state).where(
            holds_table.c.is_hold.is_(True), holds_table.c.status.in_(list(statuses))
        )
        if members is not None:
            query = query.where(holds_table.c.member.in_(list(members)))
        with self.engine.connect() as conn:
            rows = conn.execute(
                query.order_by(holds_table.c.decided_at, holds_table.c.member, holds_table.c.txn_id)
            ).all()
        return [state_of(r.state) for r in rows]

    def open_decided_at(self) -> dict[str, list[str]]:
        """member → `decided_at` of each open or pending hold (for the metrics)."""
        query = select(holds_table.c.member, holds_table.c.decided_at).where(
            holds_table.c.is_hold.is_(True), holds_table.c.status != "resolved"
        )
        found: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                found.setdefault(row.member, []).append(row.decided_at or "")
        return found

    def members(self) -> list[str]:
        """Members with at least one hold."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(holds_table.c.member).distinct()).all()
        return sorted(r.member for r in rows)

    def audit(
        self,
        member: str | None = None,
        user: str | None = None,
        action: str | None = None,
        target: str | None = None,
        limit: int = 100,
        oldest_first: bool = False,
    ) -> list[Json]:
        """Audit records matching every filter given, newest first (or oldest first)."""
        query = select(audit_table.c.document)
        for column, wanted in (
            (audit_table.c.member, member),
            (audit_table.c.user, user),
            (audit_table.c.action, action),
            (audit_table.c.target, target),
        ):
            if wanted is not None:
                query = query.where(column == wanted)
        order = [audit_table.c.at, audit_table.c.partition, audit_table.c.offset]
        query = query.order_by(*(order if oldest_first else [c.desc() for c in order]))
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [orjson.loads(r.document) for r in rows]

    def entries_for(self, keys: Sequence[str]) -> list[tuple[Json, int]]:
        """(entry document, first seen ms) of entries listing any of the keys."""
        query = (
            select(entries_table.c.document, entries_table.c.first_seen_ms)
            .join(entry_keys_table, entry_keys_table.c.entry_id == entries_table.c.entry_id)
            .where(entry_keys_table.c.key.in_(list(keys)))
            .distinct()
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return sorted(
            ((orjson.loads(r.document), int(r.first_seen_ms)) for r in rows),
            key=lambda pair: str(pair[0].get("entry_id")),
        )

    def entry(self, entry_id: str) -> Json | None:
        """One entry document."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(entries_table.c.document).where(entries_table.c.entry_id == entry_id)
            ).first()
        return orjson.loads(row.document) if row is not None else None

    def links_for(self, keys: Sequence[str]) -> list[Json]:
        """Link documents of any of the identifier keys."""
        query = select(links_table.c.document).where(links_table.c.identifier.in_(list(keys)))
        with self.engine.connect() as conn:
            return [orjson.loads(r.document) for r in conn.execute(query)]

    def links(self) -> list[Json]:
        """Every link document."""
        with self.engine.connect() as conn:
            return [orjson.loads(r.document) for r in conn.execute(select(links_table.c.document))]

    def decisions_for(self, member: str, keys: Sequence[str], limit: int = 100) -> list[Json]:
        """The member's hold/block decisions of a payee with any of the keys, newest first."""
        txns = (
            select(decision_keys_table.c.txn_id)
            .where(
                decision_keys_table.c.member == member,
                decision_keys_table.c.key.in_(list(keys)),
            )
            .distinct()
        )
        query = (
            select(decisions_table)
            .where(decisions_table.c.member == member, decisions_table.c.txn_id.in_(txns))
            .order_by(decisions_table.c.decided_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "txn_id": r.txn_id,
                "member_id": r.member,
                "decision": r.decision,
                "decided_at": r.decided_at,
                "reasons": orjson.loads(r.reasons),
            }
            for r in rows
        ]

    def proposals(self, status: str | None = None) -> list[Json]:
        """Proposal documents (of one status when given)."""
        query = select(proposals_table.c.document)
        if status is not None:
            query = query.where(proposals_table.c.status == status)
        with self.engine.connect() as conn:
            return [orjson.loads(r.document) for r in conn.execute(query)]

    def proposal(self, proposal_id: str) -> Json | None:
        """One proposal document."""
        query = select(proposals_table.c.document).where(
            proposals_table.c.proposal_id == proposal_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return orjson.loads(row.document) if row is not None else None

    def route_counts(self, since_day: str | None = None) -> list[tuple[str, str, str, int]]:
        """(day, method, decision, count) of holds and blocks by UTC day (from
        `since_day`, YYYY-MM-DD, when given)."""
        columns = (routes_table.c.day, routes_table.c.method, routes_table.c.decision)
        query = select(*columns, func.count()).group_by(*columns)
        if since_day is not None:
            query = query.where(routes_table.c.day >= since_day)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(*columns)).all()
        return [(str(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]
