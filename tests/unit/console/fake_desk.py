"""An in-memory Desk for the HTTP layer's tests: the protocol's answers without topics,
and a list of everything it would have written (`writes`)."""

from __future__ import annotations

import copy
from typing import Any

from streams.console.desk import DeskError, Document
from streams.console.reason_codes import FOUR_EYES_REASONS, RELEASE
from streams.console.roles import MEMBER_SUPERVISOR, Principal, may_see_member


def hold_doc(member: str, txn_id: str, reason: str = "VELOCITY") -> Document:
    """A hold as the desk answers it."""
    return {
        "txn_id": txn_id,
        "member_id": member,
        "decided_at": "2026-12-07T10:00:00Z",
        "amount": "19.99",
        "currency": "EUR",
        "payee": {"domain": "shop.example"},
        "payer_ref": "p-1a2b",
        "reasons": [{"code": reason}],
        "status": "open",
        "age_s": 12.0,
        "claimed_by": None,
        "history": [],
        "payment": {"txn_id": txn_id, "payer_ref": "p-1a2b"},
        "pending": None,
        "resolution": None,
    }


class FakeDesk:
    """Holds keyed by (member, txn_id); `writes` lists (topic-ish, what) for every write."""

    def __init__(self, holds: list[Document] | None = None, ready: bool = True) -> None:
        self.is_ready = ready
        self.store = {(h["member_id"], h["txn_id"]): h for h in holds or []}
        self.writes: list[tuple[str, Any]] = []

    def ready(self) -> bool:
        return self.is_ready

    def _get(self, principal: Principal, member: str, txn_id: str) -> Document:
        hold = self.store.get((member, txn_id))
        if hold is None or not may_see_member(principal, member):
            raise DeskError(404, "hold not found")
        return hold

    def holds(self, principal: Principal, member: str | None, status: str) -> list[Document]:
        found = [
            copy.deepcopy(h)
            for (m, _), h in self.store.items()
            if (member is None or m == member) and may_see_member(principal, m)
        ]
        if status == "open":
            return [h for h in found if h["status"] != "resolved"]
        if status == "resolved":
            return [h for h in found if h["status"] == "resolved"]
        return found

    def hold(self, principal: Principal, member: str, txn_id: str) -> Document:
        return copy.deepcopy(self._get(principal, member, txn_id))

    def claim(self, principal: Principal, member: str, txn_id: str) -> Document:
        hold = self._get(principal, member, txn_id)
        if hold["status"] == "resolved":
            raise DeskError(409, "already resolved")
        hold["claimed_by"] = principal.username
        self.writes.append(("audit", "claim"))
        return copy.deepcopy(hold)

    def resolve(
        self,
        principal: Principal,
        member: str,
        txn_id: str,
        outcome: str,
        reason_code: str,
        note: str | None,
    ) -> tuple[int, Document]:
        hold = self._get(principal, member, txn_id)
        if hold["status"] != "open":
            raise DeskError(409, f"hold is {hold['status']}")
        resolution = {
            "outcome": outcome,
            "reason_code": reason_code,
            "note": note,
            "resolved_by": principal.username,
            "approved_by": None,
        }
        codes = {r["code"] for r in hold["reasons"]}
        if outcome == RELEASE and codes & FOUR_EYES_REASONS:
            hold["status"], hold["pending"] = "pending_approval", resolution
            self.writes.append(("audit", "resolution_pending"))
            return 202, copy.deepcopy(hold)
        hold["status"], hold["resolution"] = "resolved", resolution
        self.writes.append(("resolutions", resolution))
        return 200, copy.deepcopy(hold)

    def approve(self, principal: Principal, member: str, txn_id: str, approve: bool) -> Document:
        hold = self._get(principal, member, txn_id)
        pending = hold["pending"]
        if pending is None:
            raise DeskError(409, "nothing pending")
        if principal.role != MEMBER_SUPERVISOR or pending["resolved_by"] == principal.username:
            raise DeskError(403, "a different supervisor must approve")
        hold["pending"] = None
        if approve:
            hold["status"] = "resolved"
            hold["resolution"] = {**pending, "approved_by": principal.username}
            self.writes.append(("resolutions", hold["resolution"]))
        else:
            hold["status"] = "open"
        return copy.deepcopy(hold)

    def lookup(self, principal: Principal, kind: str, value: str) -> Document:
        if value == "not-valid":
            raise DeskError(400, "value: not a valid identifier")
        self.writes.append(("audit", "lookup"))
        return {"canonical": value.lower(), "entries": [], "links": [], "decisions": []}

    def audit(
        self, principal: Principal, user: str | None, action: str | None, limit: int
    ) -> list[Document]:
        return [{"action": a, "user": user} for _, a in self.writes if _ == "audit"][:limit]

    def record(
        self,
        principal: Principal | None,
        username: str,
        action: str,
        target: str | None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        self.writes.append(("audit", action))

    def proposals(self, principal: Principal, status: str) -> list[Document]:
        return [{"proposal_id": "p1", "status": "open"}]

    def decide_proposal(self, principal: Principal, proposal_id: str, promote: bool) -> Document:
        if proposal_id != "p1":
            raise DeskError(404, "no such proposal")
        self.writes.append(("watchlist", proposal_id))
        return {"proposal_id": proposal_id, "status": "promoted" if promote else "dismissed"}

    def routes(self, principal: Principal, since_day: str | None) -> list[Document]:
        if principal.role != "coalition-analyst":
            raise DeskError(403, "only a coalition-analyst reads the routes report")
        days = [("2026-12-01", "card", "blocked", 3), ("2026-12-07", "crypto", "held", 2)]
        return [
            {"day": d, "method": m, "measure": k, "count": c}
            for d, m, k, c in days
            if since_day is None or d >= since_day
        ]

    def accept_override(self, principal: Principal, member: str, txn_id: str) -> Document:
        hold = self._get(principal, member, txn_id)
        if hold.get("override_offer") is None:
            raise DeskError(409, "no override offer")
        self.writes.append(("watchlist", txn_id))
        return copy.deepcopy(hold)

    def metrics_text(self) -> bytes:
        return b"screening_holds_open 1\n"
