"""The desk's actions on holds and proposals: preconditions checked against the view under
one lock, then the records that carry the action produced and applied before answering.

The lock makes check-then-write atomic among this process's actions (two resolutions of
one hold cannot both pass the check); the view, written only from the topics, says what
happened."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from streams.console import proposals as prop
from streams.console.audit_records import hold_target
from streams.console.desk import DeskError, Document
from streams.console.hold_documents import needs_four_eyes, override_offer
from streams.console.hold_state import PENDING, RESOLVED, HoldState, Json
from streams.console.roles import MEMBER_SUPERVISOR, Principal
from streams.console.store import ViewStore
from streams.console.view_fold import payee_keys
from streams.kafka import topics
from streams.model.timestamps import iso
from streams.watchlist.entry import EntryError
from streams.watchlist.links import link_from_document
from streams.watchlist.promotion import (
    KeyValue as _KeyValue,
)
from streams.watchlist.promotion import (
    entry_record,
    link_status_record,
    override_document,
    promoted_entry,
)


class DeskActions:
    """claim, resolve, approve, decide_proposal, accept_override over the hooks a desk
    provides (`_visible`, `_detail`, `_write`, `_audit`, `_coalition_analyst`)."""

    store: ViewStore

    def __init__(self) -> None:
        self._lock = threading.RLock()

    # hooks (TopicDesk) ------------------------------------------------------------------

    def _visible(self, principal: Principal, member: str, txn_id: str) -> HoldState:
        raise NotImplementedError

    def _detail(self, state: HoldState) -> Document:
        raise NotImplementedError

    def _write(self, topic: str, key: bytes | None, value: Any, wait: bool = True) -> None:
        raise NotImplementedError

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
        raise NotImplementedError

    def _coalition_analyst(self, principal: Principal) -> None:
        raise NotImplementedError

    def _write_raw(self, topic: str, record: _KeyValue) -> None:
        """Publish an already encoded (key, value) record and wait until it is applied."""
        self._write(topic, record[0], record[1])

    # actions ----------------------------------------------------------------------------

    def claim(self, principal: Principal, member: str, txn_id: str) -> Document:
        """Claim a hold for the principal (audit `claim`); 404, 409 when resolved."""
        with self._lock:
            state = self._visible(principal, member, txn_id)
            if state.status == RESOLVED:
                raise DeskError(409, "the hold is already resolved")
            self._audit(
                principal,
                "claim",
                hold_target(member, txn_id),
                {"claimed_by": state.claimed_by},
                {"claimed_by": principal.username},
            )
            return self._after(member, txn_id)

    def resolve(
        self,
        principal: Principal,
        member: str,
        txn_id: str,
        outcome: str,
        reason_code: str,
        note: str | None,
    ) -> tuple[int, Document]:
        """200 with the resolved hold, or 202 pending_approval for a four-eyes release;
        409 when resolved or pending; 404."""
        with self._lock:
            state = self._visible(principal, member, txn_id)
            if state.status == RESOLVED:
                raise DeskError(409, "the hold is already resolved")
            if state.status == PENDING:
                raise DeskError(409, "a resolution of this hold is waiting for approval")
            target = hold_target(member, txn_id)
            before = {"status": state.status}
            if needs_four_eyes(state, outcome):
                pending = {
                    "outcome": outcome,
                    "reason_code": reason_code,
                    "note": note,
                    "resolved_by": principal.username,
                    "requested_at": iso(datetime.now(UTC)),
                }
                record = _pending_record(pending)
                self._audit(principal, "resolution", target, before, record)
                return 202, self._after(member, txn_id)
            resolution = _resolution(state, outcome, reason_code, note, principal.username, None)
            self._resolve(principal, state, resolution, before)
            return 200, self._after(member, txn_id)

    def approve(self, principal: Principal, member: str, txn_id: str, approve: bool) -> Document:
        """A different member-supervisor of the member approves (the resolution is
        written) or refuses (open again). 403, 404, 409 when nothing is pending."""
        with self._lock:
            state = self._visible(principal, member, txn_id)
            if principal.role != MEMBER_SUPERVISOR or principal.member != member:
                raise DeskError(403, "only a member-supervisor of the member approves")
            pending = state.pending
            if state.status != PENDING or pending is None:
                raise DeskError(409, "no resolution of this hold is waiting for approval")
            if pending.get("resolved_by") == principal.username:
                raise DeskError(403, "the resolver cannot approve their own resolution")
            target = hold_target(member, txn_id)
            before = {"status": PENDING, "pending": pending}
            after = {"approve": approve, "pending_event": pending.get("event_id")}
            if approve:
                resolution = _resolution(
                    state,
                    str(pending.get("outcome")),
                    str(pending.get("reason_code")),
                    pending.get("note"),
                    str(pending.get("resolved_by")),
                    principal.username,
                )
                self._resolve(principal, state, resolution, before, ("approval", after))
            else:
                self._audit(principal, "approval", target, before, after)
            return self._after(member, txn_id)

    def decide_proposal(self, principal: Principal, proposal_id: str, promote: bool) -> Document:
        """Promote or dismiss a proposal (coalition analysts, not the proposer). 403, 404,
        409 when already decided."""
        self._coalition_analyst(principal)
        with self._lock:
            route = prop.parse_route_id(proposal_id)
            if route is not None:
                links = [
                    link
                    for link in self.store.links_for([route[0]])
                    if link["entry_id"] == route[1]
                ]
                if not links:
                    raise DeskError(404, "no such proposal")
                return self._decide_route(principal, links[0], promote)
            proposal = self.store.proposal(proposal_id)
            if proposal is None:
                raise DeskError(404, "no such proposal")
            if proposal.get("status") != prop.OPEN:
                raise DeskError(409, f"the proposal is already {proposal.get('status')}")
            if proposal.get("proposer") == principal.username:
                raise DeskError(403, "a proposer cannot decide their own proposal")
            now = datetime.now(UTC)
            if promote:
                self._write_raw(topics.WATCHLIST, entry_record(proposal["entry"]))
            after_doc = prop.decided(proposal, principal.username, promote, now)
            self._write(topics.PROPOSALS, proposal_id.encode(), after_doc)
            self._audit(
                principal,
                "promotion" if promote else "dismissal",
                proposal_id,
                {"status": proposal.get("status")},
                {"status": after_doc["status"], "entry_id": proposal["entry"]["entry_id"]},
                member=str(proposal.get("member_id")),
            )
            return after_doc

    def accept_override(self, principal: Principal, member: str, txn_id: str) -> Document:
        """A member-supervisor publishes the member-scoped false-positive override the
        hold's resolution offers. 403, 404, 409 when nothing is offered."""
        with self._lock:
            state = self._visible(principal, member, txn_id)
            if principal.role != MEMBER_SUPERVISOR or principal.member != member:
                raise DeskError(403, "only a member-supervisor of the member accepts overrides")
            offer = override_offer(state)
            if offer is None or state.resolution is None:
                raise DeskError(409, "this hold offers no override")
            published: list[str] = []
            for request in prop.override_request(
                offer, member, principal.username, state.resolution
            ):
                try:
                    document = override_document(**request)
                except EntryError as exc:
                    raise DeskError(409, f"override refused: {exc}") from None
                self._write_raw(topics.WATCHLIST, entry_record(document))
                published.append(str(document["entry_id"]))
            self._audit(
                principal,
                "override",
                hold_target(member, txn_id),
                {"override_offer": offer},
                {"override": {"override_ids": published, "accepted_by": principal.username}},
            )
            return self._after(member, txn_id)

    # steps ------------------------------------------------------------------------------

    def _after(self, member: str, txn_id: str) -> Document:
        state = self.store.hold(member, txn_id)
        if state is None:  # the view lost it: cannot happen for a hold just acted on
            raise DeskError(404, "no such hold")
        return self._detail(state)

    def _resolve(
        self,
        principal: Principal,
        state: HoldState,
        resolution: Json,
        before: Json,
        audit: tuple[str, Json] = ("resolution", {}),
    ) -> None:
        """Write the resolution, its audit record, and the proposal it makes (a
        CONFIRMED_SELLER block of an unlisted payee)."""
        member, txn_id = state.member, state.txn_id
        target = hold_target(member, txn_id)
        self._write(topics.resolutions_topic(member), txn_id.encode(), resolution)
        action, after = audit
        self._audit(
            principal,
            action,
            target,
            before,
            {**after, "status": RESOLVED, "resolution": resolution},
        )
        if not prop.wants_proposal(str(resolution["outcome"]), str(resolution["reason_code"])):
            return
        now = datetime.now(UTC)
        identifiers = prop.payee_identifiers(state)
        keys = _payee_keys(identifiers)
        if prop.live_entries([e for e, _ in self.store.entries_for(keys)], now):
            return
        proposal = prop.seller_proposal(state, resolution, str(resolution["resolved_by"]), now)
        if proposal is None or self.store.proposal(proposal["proposal_id"]) is not None:
            return
        self._write(topics.PROPOSALS, proposal["proposal_id"].encode(), proposal)
        self._audit(
            principal,
            "proposal",
            proposal["proposal_id"],
            None,
            {"kind": prop.SELLER, "hold": target},
        )

    def _decide_route(self, principal: Principal, link: Json, promote: bool) -> Document:
        if link.get("status") != "linked":
            raise DeskError(409, f"the route is already {link.get('status')}")
        parsed = link_from_document(link)
        by = principal.username
        if promote:
            note = f"promoted by {by} from the console"
            self._write_raw(topics.LINKS, link_status_record(parsed, "promoted", note))
            self._write_raw(topics.WATCHLIST, entry_record(promoted_entry(parsed, by, "")))
        else:
            note = f"dismissed by {by} from the console"
            self._write_raw(topics.LINKS, link_status_record(parsed, "dismissed", note))
        proposal_id = prop.route_id(parsed.key, parsed.entry_id)
        self._audit(
            principal,
            "promotion" if promote else "dismissal",
            proposal_id,
            {"status": prop.OPEN},
            {"status": prop.PROMOTED if promote else prop.DISMISSED},
        )
        after = [x for x in self.store.links_for([parsed.key]) if x["entry_id"] == parsed.entry_id]
        document = prop.route_proposal(after[0] if after else link)
        document["decided_by"] = by
        return document


def _pending_record(pending: Json) -> Json:
    event_id = uuid.uuid4().hex
    return {"status": PENDING, "pending": {**pending, "event_id": event_id}}


def _resolution(
    state: HoldState,
    outcome: str,
    reason_code: str,
    note: str | None,
    resolved_by: str,
    approved_by: str | None,
) -> Json:
    """The record for `resolutions.<member>`, fields exactly as the contract names them."""
    decision = state.decision or {}
    return {
        "txn_id": state.txn_id,
        "member_id": state.member,
        "outcome": outcome,
        "reason_code": reason_code,
        "note": note,
        "resolved_by": resolved_by,
        "approved_by": approved_by,
        "resolved_at": iso(datetime.now(UTC)),
        "decision": decision.get("decision", "hold"),
        "watchlist_version": decision.get("watchlist_version"),
    }


def _payee_keys(identifiers: list[dict[str, str]]) -> list[str]:
    return list(payee_keys({i["type"]: i["value"] for i in identifiers}))
