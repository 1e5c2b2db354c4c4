"""`/api/holds`: the queue, one hold, and what a fraud desk does with it (claim, resolve,
approve, accept an override offer). Handlers are plain functions: FastAPI runs them in
its thread pool, where the desk may block on the broker."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from streams.console.api_access import (
    READERS,
    RESOLVERS,
    SUPERVISORS,
    check_reason,
    hold_in_reach,
    queue_member,
    require_role,
    same_not_found,
)
from streams.console.api_guard import CurrentPrincipal
from streams.console.api_json import MaskedJSON
from streams.console.api_models import (
    ERRORS,
    ApprovalRequest,
    HoldDetailOut,
    HoldsOut,
    ResolutionRequest,
)
from streams.console.desk import Desk
from streams.model.card_masking import mask_card_numbers

HOLD = "/api/holds/{member}/{txn_id}"


def holds_router(desk: Desk) -> APIRouter:
    """The holds endpoints over `desk`."""
    router = APIRouter(tags=["holds"])

    @router.get("/api/holds", response_model=HoldsOut, responses=ERRORS)
    def list_holds(
        principal: CurrentPrincipal,
        member: str | None = Query(None, max_length=64, description="default: your member"),
        status: Literal["open", "resolved", "all"] = Query("open"),
    ) -> MaskedJSON:
        """Holds of one member (or of every member, for coalition roles), oldest first;
        `open` includes those pending approval."""
        require_role(principal, READERS, "list holds")
        shown = queue_member(principal, member)
        return MaskedJSON({"holds": desk.holds(principal, shown, status)})

    @router.get(HOLD, response_model=HoldDetailOut, responses=ERRORS)
    def get_hold(member: str, txn_id: str, principal: CurrentPrincipal) -> MaskedJSON:
        """One hold with its history and payment (card numbers masked)."""
        require_role(principal, READERS, "read holds")
        hold_in_reach(principal, member, txn_id)
        return MaskedJSON(same_not_found(lambda: desk.hold(principal, member, txn_id)))

    @router.post(HOLD + "/claim", response_model=HoldDetailOut, responses=ERRORS)
    def claim(member: str, txn_id: str, principal: CurrentPrincipal) -> MaskedJSON:
        """Claim the hold: it shows `claimed_by`."""
        require_role(principal, RESOLVERS, "claim holds")
        hold_in_reach(principal, member, txn_id)
        return MaskedJSON(same_not_found(lambda: desk.claim(principal, member, txn_id)))

    @router.post(
        HOLD + "/resolution",
        response_model=HoldDetailOut,
        responses={
            202: {"model": HoldDetailOut, "description": "pending a supervisor's approval"},
            **ERRORS,
        },
    )
    def resolve(
        member: str,
        txn_id: str,
        body: ResolutionRequest,
        principal: CurrentPrincipal,
    ) -> MaskedJSON:
        """Release or block: 200 once the resolution is on `resolutions.<member>`; 202
        `pending_approval` for the release of a watchlist match (four eyes)."""
        require_role(principal, RESOLVERS, "resolve holds")
        hold_in_reach(principal, member, txn_id)
        check_reason(body.outcome, body.reason_code)
        # A note is free text written to resolutions.<member>: no card number goes there.
        note = None if body.note is None else mask_card_numbers(body.note)
        status, document = same_not_found(
            lambda: desk.resolve(principal, member, txn_id, body.outcome, body.reason_code, note)
        )
        return MaskedJSON(document, status_code=status)

    @router.post(HOLD + "/approval", response_model=HoldDetailOut, responses=ERRORS)
    def approval(
        member: str,
        txn_id: str,
        body: ApprovalRequest,
        principal: CurrentPrincipal,
    ) -> MaskedJSON:
        """A different supervisor of the member approves (the resolution is written) or
        refuses (the hold is open again)."""
        require_role(principal, SUPERVISORS, "approve resolutions")
        hold_in_reach(principal, member, txn_id)
        return MaskedJSON(
            same_not_found(lambda: desk.approve(principal, member, txn_id, body.approve))
        )

    @router.post(HOLD + "/override", response_model=HoldDetailOut, responses=ERRORS)
    def accept_override(member: str, txn_id: str, principal: CurrentPrincipal) -> MaskedJSON:
        """A supervisor accepts a resolution's false-positive override offer."""
        require_role(principal, SUPERVISORS, "accept overrides")
        hold_in_reach(principal, member, txn_id)
        return MaskedJSON(same_not_found(lambda: desk.accept_override(principal, member, txn_id)))

    return router
