"""`TopicDesk`: the fraud desk's state over the topics (the `Desk` of streams/console/desk.py).

Topics are the system of record; the database is a view that only the topic reader writes.
An action checks its preconditions against the view under one lock, produces its records
(delivery confirmed), then waits until the reader has applied them: a resolution answered
is on `resolutions.<member>`, and the next read shows it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine

from streams.console import proposals as prop
from streams.console.audit_records import audit_key, audit_record, hold_target
from streams.console.console_metrics import (
    HoldCollector,
    console_registry,
    exposition,
)
from streams.console.console_settings import ConsoleSettings
from streams.console.desk import DeskError, Document
from streams.console.desk_actions import DeskActions
from streams.console.hold_documents import hold_detail, hold_summary
from streams.console.hold_state import OPEN, PENDING, RESOLVED, HoldState
from streams.console.lookup import (
    LookupError_,
    decision_view,
    entry_view,
    link_view,
    lookup_keys,
)
from streams.console.roles import COALITION_ANALYST, Principal, may_see_member
from streams.console.route_counts import route_documents
from streams.console.store import ViewStore
from streams.console.topic_reader import TopicReader
from streams.console.topic_writer import TopicWriter
from streams.kafka import admin, topics
from streams.model.card_masking import mask_card_numbers
from streams.settings import Settings

STATUSES = {"open": (OPEN, PENDING), "resolved": (RESOLVED,), "all": (OPEN, PENDING, RESOLVED)}
NOT_FOUND = "no such hold"


class TopicDesk(DeskActions):
    """The desk over Kafka topics and a SQL view. `start()` creates the topics it writes
    and starts reading; `stop()` stops; both idempotent."""

    def __init__(self, settings: Settings, console: ConsoleSettings, engine: Engine) -> None:
        self.settings = settings
        self.console = console
        self.store = ViewStore(engine)
        self.reader = TopicReader(settings, self.store)
        self.writer: TopicWriter | None = None
        self.apply_timeout_s = 30.0
        self.registry = console_registry(
            HoldCollector(self.store.open_decided_at, console.hold_sla_s, self.store.members)
        )
        super().__init__()

    # -- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Create the view's tables and the topics the desk writes; start the reader."""
        with self._lock:
            if self.writer is not None:
                return
            self.store.create()
            client = admin.wait_for_broker(self.settings, timeout_s=60)
            admin.ensure_core_topics(client, self.settings)
            admin.ensure_topics(client, [topics.AUDIT], self.settings.topic_partitions)
            admin.ensure_topics(
                client, [topics.PROPOSALS], self.settings.topic_partitions, admin.COMPACTED
            )
            self.writer = TopicWriter(self.settings, client)
            self.reader.start()

    def stop(self) -> None:
        """Stop reading and deliver what is pending (idempotent)."""
        with self._lock:
            self.reader.stop()
            writer, self.writer = self.writer, None
            if writer is not None:
                writer.close()

    def ready(self) -> bool:
        """True once the view caught up with the end offsets taken at start."""
        return self.writer is not None and self.reader.error is None and self.reader.caught_up()

    # -- reads --------------------------------------------------------------------------

    def holds(self, principal: Principal, member: str | None, status: str) -> list[Document]:
        """Holds of `member` (every member the principal may see when None), oldest first."""
        statuses = STATUSES.get(status)
        if statuses is None:
            raise DeskError(400, f"status: {status!r} is not one of open, resolved, all")
        if member is not None and not may_see_member(principal, member):
            return []
        members = [member] if member is not None else None
        if members is None and principal.is_member_role:
            members = [principal.member or ""]
        now = datetime.now(UTC)
        return [hold_summary(s, now) for s in self.store.holds(members, statuses)]

    def hold(self, principal: Principal, member: str, txn_id: str) -> Document:
        """One hold with its history; 404 when unknown or not the principal's."""
        return self._detail(self._visible(principal, member, txn_id))

    def audit(
        self, principal: Principal, user: str | None, action: str | None, limit: int
    ) -> list[Document]:
        """Audit records, newest first; a member role's: their member only."""
        member = principal.member if principal.is_member_role else None
        if principal.is_member_role and member is None:
            return []
        return self.store.audit(member=member, user=user, action=action, limit=limit)

    def lookup(self, principal: Principal, kind: str, value: str) -> Document:
        """Entries, links and the principal's member's own decisions for one identifier;
        the lookup is audited."""
        try:
            canon, keys = lookup_keys(kind, value)
        except LookupError_ as exc:
            raise DeskError(400, str(exc)) from None
        found = self.store.entries_for(keys)
        sealed = {str(e.get("entry_id")) for e, _ in found if e.get("visibility") == "sealed"}
        entries = [entry_view(entry, first, principal) for entry, first in found]
        links = [
            v for link in self.store.links_for(keys) if (v := link_view(link, principal, sealed))
        ]
        decisions: list[Document] = []
        if principal.is_member_role and principal.member is not None:
            decisions = [decision_view(d) for d in self.store.decisions_for(principal.member, keys)]
        target = mask_card_numbers(f"{kind}:{canon}")
        after = {"entries": len(entries), "links": len(links), "decisions": len(decisions)}
        self._audit(principal, "lookup", target, None, after, wait=False)
        return {
            "type": kind,
            "value": value,
            "canonical": canon,
            "entries": entries,
            "links": links,
            "decisions": decisions,
        }

    def record(
        self,
        principal: Principal | None,
        username: str,
        action: str,
        target: str | None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """One audit record of an action the HTTP layer performs itself, delivered."""
        self._write_audit(audit_record(principal, username, action, target, before, after, _now()))

    def proposals(self, principal: Principal, status: str) -> list[Document]:
        """Confirmed-seller proposals and new routes (coalition analysts only)."""
        self._coalition_analyst(principal)
        if status not in ("open", "promoted", "dismissed", "all"):
            raise DeskError(400, f"status: {status!r} is not open, promoted, dismissed or all")
        found = self.store.proposals() + [prop.route_proposal(link) for link in self.store.links()]
        wanted = [p for p in found if status == "all" or p.get("status") == status]
        return sorted(wanted, key=lambda p: (str(p.get("created_at")), str(p["proposal_id"])))

    def routes(self, principal: Principal, since_day: str | None) -> list[Document]:
        """Holds and blocks by day and payment method, and newly linked identifiers by the
        day they were first seen (coalition analysts only)."""
        self._coalition_analyst(principal)
        return route_documents(self.store.route_counts(since_day), self.store.links(), since_day)

    def metrics_text(self) -> bytes:
        """Prometheus exposition of the console's hold gauges."""
        return exposition(self.registry)

    # -- shared by the actions ----------------------------------------------------------

    def _visible(self, principal: Principal, member: str, txn_id: str) -> HoldState:
        if not may_see_member(principal, member):
            raise DeskError(404, NOT_FOUND)
        state = self.store.hold(member, txn_id)
        if state is None:
            raise DeskError(404, NOT_FOUND)
        return state

    def _detail(self, state: HoldState) -> Document:
        target = hold_target(state.member, state.txn_id)
        history = self.store.audit(target=target, limit=1000, oldest_first=True)
        return hold_detail(state, history)

    def _coalition_analyst(self, principal: Principal) -> None:
        if principal.role != COALITION_ANALYST:
            raise DeskError(403, "only a coalition-analyst decides proposals")

    def _write(self, topic: str, key: bytes | None, value: Any, wait: bool = True) -> None:
        """Produce one record (a document, bytes already encoded, or None for a tombstone),
        delivered; with
        `wait`, return only once the view has applied it."""
        writer = self.writer
        if writer is None:
            raise DeskError(503, "the desk is not started")
        writer.ensure_topic(topic)
        raw = value if value is None or isinstance(value, bytes) else orjson.dumps(value)
        partition, offset = writer.write(topic, key, raw)
        if wait and not self.reader.wait_applied(topic, partition, offset, self.apply_timeout_s):
            raise DeskError(503, f"the view did not apply {topic} in {self.apply_timeout_s:.0f}s")

    def _write_audit(self, record: Document, wait: bool = False) -> None:
        self._write(topics.AUDIT, audit_key(record), record, wait)

    def _audit(
        self,
        principal: Principal,
        action: str,
        target: str | None,
        before: Any,
        after: Any,
        wait: bool = True,
        member: str | None = None,
    ) -> Document:
        record = audit_record(
            principal, principal.username, action, target, before, after, _now(), member
        )
        self._write_audit(record, wait)
        return record


def _now() -> datetime:
    return datetime.now(UTC)
