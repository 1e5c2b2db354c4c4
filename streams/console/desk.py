"""What the HTTP layer asks of the fraud desk's state: the contract between the API (auth,
roles, HTTP) and the desk (view of the topics, actions that write to them).

Documents are plain JSON-ready dicts. A hold document carries at least: `txn_id`,
`member_id`, `decided_at`, `amount` (decimal string), `currency`, `payee` (identifiers as
decided), `payer_ref` (or null), `reasons`, `status` (`open|pending_approval|resolved`),
`age_s`, `claimed_by` (or null); `hold()` adds `history` (list of {`at`, `user`, `action`,
`before`, `after`}), `payment` (as the member sent it, card numbers masked, payer only as
`payer_ref`), `pending` (the resolution waiting for approval, or null) and `resolution`.

The desk raises DeskError(status, message) for answers other than success: 404 (no such
hold, or another member's: the same message), 409 (already resolved), 403 (four eyes).
Role and member checks that need no state (a member role asking for another member) are the
HTTP layer's; the desk trusts the principal it is given but never returns another member's
data to a member role.
"""

from __future__ import annotations

from typing import Any, Protocol

from streams.console.roles import Principal

Document = dict[str, Any]


class DeskError(Exception):
    """A refusal with the HTTP status it maps to and a message naming the problem."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Desk(Protocol):
    """The fraud desk's state and actions (implemented over the topics and the database)."""

    def ready(self) -> bool:
        """True once the view has caught up with the topics' end offsets at start."""
        ...

    def holds(self, principal: Principal, member: str | None, status: str) -> list[Document]:
        """Holds of `member` (every member the principal may see when None) with `status`
        `open` (open and pending_approval), `resolved` or `all`, oldest first."""
        ...

    def hold(self, principal: Principal, member: str, txn_id: str) -> Document:
        """One hold with its history; DeskError(404) when unknown or not the principal's."""
        ...

    def claim(self, principal: Principal, member: str, txn_id: str) -> Document:
        """Claim a hold for the principal (audit `claim`); the hold after. 404, 409."""
        ...

    def resolve(
        self,
        principal: Principal,
        member: str,
        txn_id: str,
        outcome: str,
        reason_code: str,
        note: str | None,
    ) -> tuple[int, Document]:
        """Resolve a hold (input already validated by the caller). 200 with the hold,
        `resolved`, once the resolution record is on `resolutions.<member>`; 202 with the
        hold, `pending_approval`, for a release of a WATCHLIST_MATCH/WATCHLIST_SEALED hold.
        The hold document then also has `proposal` (a block CONFIRMED_SELLER of an
        unlisted payee) or `override_offer` (a FALSE_POSITIVE release of a name match) when
        one applies. 404, 409 (already resolved or pending)."""
        ...

    def approve(self, principal: Principal, member: str, txn_id: str, approve: bool) -> Document:
        """A member-supervisor of the member, not the resolver, approves (the resolution is
        written with `approved_by`) or refuses (the hold is open again). 403, 404, 409
        (nothing pending)."""
        ...

    def lookup(self, principal: Principal, kind: str, value: str) -> Document:
        """What the coalition knows about one payee identifier, canonicalised as the engine
        does: `canonical`, `entries` (status, action, reference, first_seen; `source` and
        the entry only for coalition analysts; a sealed entry only as "sealed: contact the
        coalition" to member roles), `links`, and `decisions` (the principal's member's own
        only). DeskError(400) when the value is not a valid identifier of that kind."""
        ...

    def audit(
        self, principal: Principal, user: str | None, action: str | None, limit: int
    ) -> list[Document]:
        """Audit records, newest first (a supervisor's: their member only)."""
        ...

    def record(
        self,
        principal: Principal | None,
        username: str,
        action: str,
        target: str | None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        """Write one audit record for an action the HTTP layer performs itself (`login`,
        `login_failed`, `lookup`...) to the `audit` topic, delivered before returning."""
        ...

    def proposals(self, principal: Principal, status: str) -> list[Document]:
        """Proposals for the coalition (coalition analysts): confirmed sellers from
        resolutions and new routes from links, each with its evidence."""
        ...

    def decide_proposal(self, principal: Principal, proposal_id: str, promote: bool) -> Document:
        """Promote (a watchlist entry through the existing promote path) or dismiss a
        proposal; the proposer cannot promote their own (403). 404, 409."""
        ...

    def routes(self, principal: Principal, since_day: str | None) -> list[Document]:
        """The routes report's counts (coalition analysts; 403 otherwise): one document per
        UTC `day`, `method` and `measure` (`blocked`, `held`, `new_routes`) with its
        `count`, from `since_day` (YYYY-MM-DD) when given."""
        ...

    def accept_override(self, principal: Principal, member: str, txn_id: str) -> Document:
        """A member-supervisor turns a resolution's override offer into the member-scoped
        false-positive override on the watchlist topic. 403, 404, 409."""
        ...

    def metrics_text(self) -> bytes:
        """The console's Prometheus exposition (open holds per member, oldest open age,
        holds past the SLA)."""
        ...
