"""The rest of the API: logging in, looking an identifier up, the audit trail and the
coalition's proposals."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query

from streams.console.accounts import AccountStore
from streams.console.api_access import (
    AUDIT_ROLES,
    ID_MAX_CHARS,
    LOOKUP_ROLES,
    PROPOSAL_ROLES,
    require_role,
)
from streams.console.api_guard import CurrentPrincipal
from streams.console.api_json import MaskedJSON
from streams.console.api_models import (
    ERRORS,
    AuditOut,
    LookupOut,
    ProposalOut,
    ProposalsOut,
    TokenOut,
    TokenRequest,
)
from streams.console.desk import Desk, DeskError
from streams.model.canonical import IDENTIFIER_KINDS

LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {k: v for k, v in ERRORS.items() if k in (400, 401)}


def token_router(desk: Desk, accounts: AccountStore) -> APIRouter:
    """`POST /api/token` (the only /api/ call without a bearer token)."""
    router = APIRouter(tags=["session"])

    @router.post("/api/token", response_model=TokenOut, responses=LOGIN_ERRORS)
    def token(body: TokenRequest) -> MaskedJSON:
        """A bearer token for a user name and password; 401 otherwise (audited either way)."""
        principal = accounts.authenticate(body.username, body.password)
        if principal is None:
            desk.record(None, body.username, "login_failed", body.username)
            raise DeskError(401, "unknown user name or wrong password")
        issued = accounts.issue_token(principal)
        desk.record(principal, principal.username, "login", principal.username)
        return MaskedJSON({"token": issued})

    return router


def desk_router(desk: Desk) -> APIRouter:
    """Lookup, audit and proposals over `desk`."""
    router = APIRouter()

    @router.get("/api/lookup", response_model=LookupOut, responses=ERRORS, tags=["lookup"])
    def lookup(
        principal: CurrentPrincipal,
        type: str = Query(..., max_length=32, description=", ".join(IDENTIFIER_KINDS)),
        value: str = Query(..., min_length=1, max_length=512),
    ) -> MaskedJSON:
        """What the coalition knows about one payee identifier (audited by the desk)."""
        require_role(principal, LOOKUP_ROLES, "look identifiers up")
        if type not in IDENTIFIER_KINDS:
            raise DeskError(400, f"type: must be one of {', '.join(IDENTIFIER_KINDS)}")
        # The desk audits the lookup itself (with the canonical value, card numbers masked).
        return MaskedJSON(desk.lookup(principal, type, value))

    @router.get("/api/audit", response_model=AuditOut, responses=ERRORS, tags=["audit"])
    def audit(
        principal: CurrentPrincipal,
        user: str | None = Query(None, max_length=64),
        action: str | None = Query(None, max_length=64),
        limit: int = Query(100, ge=1, le=1000),
    ) -> MaskedJSON:
        """Audit records, newest first: every member's for the auditor, a supervisor's
        own member's only."""
        require_role(principal, AUDIT_ROLES, "read the audit trail")
        return MaskedJSON({"audit": desk.audit(principal, user, action, limit)})

    @router.get("/api/proposals", response_model=ProposalsOut, responses=ERRORS, tags=["proposals"])
    def proposals(
        principal: CurrentPrincipal,
        status: Literal["open", "promoted", "dismissed", "all"] = Query("open"),
    ) -> MaskedJSON:
        """Proposals for the coalition, each with its evidence (coalition analysts)."""
        require_role(principal, PROPOSAL_ROLES, "read proposals")
        return MaskedJSON({"proposals": desk.proposals(principal, status)})

    for verb, promote in (("promote", True), ("dismiss", False)):
        _decide_route(router, desk, verb, promote)
    return router


def _decide_route(router: APIRouter, desk: Desk, verb: str, promote: bool) -> None:
    @router.post(
        f"/api/proposals/{{proposal_id}}/{verb}",
        response_model=ProposalOut,
        responses=ERRORS,
        tags=["proposals"],
        name=f"{verb}_proposal",
        summary=f"{verb.capitalize()} a proposal",
    )
    def decide(proposal_id: str, principal: CurrentPrincipal) -> MaskedJSON:
        require_role(principal, PROPOSAL_ROLES, f"{verb} proposals")
        if not proposal_id or len(proposal_id) > ID_MAX_CHARS:
            raise DeskError(404, "no such proposal")
        return MaskedJSON(desk.decide_proposal(principal, proposal_id, promote))
