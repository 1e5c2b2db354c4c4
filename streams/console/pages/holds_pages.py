"""The queue (`/holds`, its rows and its poll for the auto-refresh, `Next`) and the hold
page (`/holds/{member}/{txn_id}`) with what a fraud desk does there: claim, release or
block with a reason and a note, approve or refuse a release (four eyes), accept an
override. Every check is the API's (api_access) and the desk's, made here on the server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from streams.console.api_access import (
    READERS,
    RESOLVERS,
    SUPERVISORS,
    hold_in_reach,
    queue_member,
    require_role,
    same_not_found,
)
from streams.console.pages import queue_view as qv
from streams.console.pages.access import Pages, ask, check
from streams.console.pages.render import NO_STORE, PageError, fragment, render
from streams.console.pages.session import PageSession
from streams.console.reason_codes import NOTE_MAX_CHARS, REASON_CODES

T = TypeVar("T")

DONE = {
    "claimed": "You claimed this hold.",
    "resolved": "Resolved: the resolution is on the member's resolutions topic.",
    "pending": "Waiting for approval: a supervisor of the member must approve this release.",
    "approved": "Approved: the resolution is on the member's resolutions topic.",
    "refused": "Refused: the hold is open again.",
    "override": "The false-positive override is on the watchlist topic.",
    "none": "No unclaimed open hold is waiting.",
}


def hold_path(member: str, txn_id: str) -> str:
    """The hold page's address."""
    return f"/holds/{quote(member, safe='')}/{quote(txn_id, safe='')}"


def holds_router(pages: Pages) -> APIRouter:
    """The queue's and the hold page's routes."""
    router = APIRouter(include_in_schema=False)

    async def listed(session: PageSession, status: str, reason: str) -> list[dict[str, Any]]:
        principal = session.principal
        check(lambda: require_role(principal, READERS, "list holds"))
        if status not in qv.STATUSES:
            raise PageError(400, "Status must be open, resolved or all.")
        member = queue_member(principal, None)
        holds = await ask(lambda: pages.desk.holds(principal, member, status))
        return qv.with_reason(holds, reason or None)

    def rows(holds: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [qv.queue_row(h, pages.console.hold_sla_s) for h in holds]

    @router.get("/holds")
    async def queue(
        request: Request, status: str = "open", reason: str = "", done: str = ""
    ) -> Response:
        session = await pages.session(request)
        holds = await listed(session, status, reason)
        query = urlencode({"status": status, "reason": reason})
        return render(
            "holds.html", session, path="/holds", rows=rows(holds), status=status,
            reason=reason, reasons=qv.ENGINE_REASONS, statuses=qv.STATUSES,
            signature=qv.signature(holds), query=query, sla_s=pages.console.hold_sla_s,
            can_resolve=session.principal.role in RESOLVERS, message=DONE.get(done),
        )  # fmt: skip

    @router.get("/holds/rows")
    async def queue_rows(request: Request, status: str = "open", reason: str = "") -> Response:
        session = await pages.session(request, background=True)
        holds = await listed(session, status, reason)
        html = fragment("_rows.html", rows=rows(holds), session=session)
        headers = {**NO_STORE, "X-Queue-Signature": qv.signature(holds)}
        return HTMLResponse(html, headers=headers)

    @router.get("/holds/poll")
    async def queue_poll(request: Request, status: str = "open", reason: str = "") -> Response:
        session = await pages.session(request, background=True)
        holds = await listed(session, status, reason)
        body = {"signature": qv.signature(holds), "count": len(holds)}
        return JSONResponse(body, headers=NO_STORE)

    @router.post("/holds/next")
    async def next_hold(request: Request) -> Response:
        session, _form = await pages.posted(request)
        principal = session.principal
        check(lambda: require_role(principal, RESOLVERS, "claim holds"))
        member = principal.member or ""

        def claim_next() -> str | None:
            chosen = qv.next_unclaimed(pages.desk.holds(principal, member, "open"))
            if chosen is None:
                return None
            txn_id = str(chosen["txn_id"])
            claimed = pages.desk.claim(principal, member, txn_id)
            return txn_id if claimed.get("claimed_by") == principal.username else ""

        for _ in range(3):  # another analyst may claim the same hold a moment earlier
            txn_id = await ask(claim_next)
            if txn_id is None:
                return RedirectResponse("/holds?done=none", status_code=303)
            if txn_id:
                return RedirectResponse(f"{hold_path(member, txn_id)}?done=claimed", 303)
        return RedirectResponse("/holds", status_code=303)

    @router.get("/holds/{member}/{txn_id}")
    async def hold_page(request: Request, member: str, txn_id: str, done: str = "") -> Response:
        session = await pages.session(request)
        return await _hold_view(pages, session, member, txn_id, DONE.get(done), None, 200)

    @router.post("/holds/{member}/{txn_id}/claim")
    async def claim(request: Request, member: str, txn_id: str) -> Response:
        session, _form = await pages.posted(request)
        principal = session.principal
        _reach(principal, member, txn_id, RESOLVERS, "claim holds")
        await ask(lambda: same_not_found(lambda: pages.desk.claim(principal, member, txn_id)))
        return RedirectResponse(hold_path(member, txn_id) + "?done=claimed", status_code=303)

    @router.post("/holds/{member}/{txn_id}/resolution")
    async def resolve(request: Request, member: str, txn_id: str) -> Response:
        session, form = await pages.posted(request)
        principal = session.principal
        _reach(principal, member, txn_id, RESOLVERS, "resolve holds")
        outcome, reason_code = form.get("outcome", ""), form.get("reason_code", "")
        note = form.get("note", "").strip() or None
        refusal = qv.reason_refusal(outcome, reason_code)
        if refusal is None and note is not None and len(note) > NOTE_MAX_CHARS:
            refusal = f"The note is longer than {NOTE_MAX_CHARS} characters."
        if refusal is not None:
            return await _hold_view(pages, session, member, txn_id, None, refusal, 400, form)
        return await _act(
            pages,
            session,
            member,
            txn_id,
            lambda: pages.desk.resolve(principal, member, txn_id, outcome, reason_code, note),
            lambda answer: "pending" if answer[0] == 202 else "resolved",
        )

    @router.post("/holds/{member}/{txn_id}/approval")
    async def approval(request: Request, member: str, txn_id: str) -> Response:
        session, form = await pages.posted(request)
        principal = session.principal
        _reach(principal, member, txn_id, SUPERVISORS, "approve resolutions")
        approve = form.get("approve") == "yes"
        return await _act(
            pages,
            session,
            member,
            txn_id,
            lambda: pages.desk.approve(principal, member, txn_id, approve),
            lambda _hold: "approved" if approve else "refused",
        )

    @router.post("/holds/{member}/{txn_id}/override")
    async def override(request: Request, member: str, txn_id: str) -> Response:
        session, _form = await pages.posted(request)
        principal = session.principal
        _reach(principal, member, txn_id, SUPERVISORS, "accept overrides")
        await ask(
            lambda: same_not_found(lambda: pages.desk.accept_override(principal, member, txn_id))
        )
        return RedirectResponse(f"{hold_path(member, txn_id)}?done=override", status_code=303)

    return router


async def _act(
    pages: Pages,
    session: PageSession,
    member: str,
    txn_id: str,
    call: Callable[[], T],
    done: Callable[[T], str],
) -> Response:
    """Ask the desk for a decision on a hold: back to the hold page marked `done(answer)`,
    or the hold page again with the desk's refusal (a 404 stays the not-found page)."""
    try:
        answer = await ask(lambda: same_not_found(call))
    except PageError as exc:
        if exc.status == 404:
            raise
        return await _hold_view(pages, session, member, txn_id, None, exc.message, exc.status)
    return RedirectResponse(f"{hold_path(member, txn_id)}?done={done(answer)}", status_code=303)


def _reach(principal: Any, member: str, txn_id: str, roles: frozenset[str], what: str) -> None:
    """The API's checks of an action on a hold, in the API's order: reach first (another
    member's hold is not found, whatever the role), then the role."""
    check(lambda: hold_in_reach(principal, member, txn_id))
    check(lambda: require_role(principal, roles, what))


async def _hold_view(
    pages: Pages,
    session: PageSession,
    member: str,
    txn_id: str,
    message: str | None,
    error: str | None,
    status: int,
    form: dict[str, str] | None = None,
) -> Response:
    principal = session.principal
    check(lambda: require_role(principal, READERS, "read holds"))
    check(lambda: hold_in_reach(principal, member, txn_id))
    hold = await ask(lambda: same_not_found(lambda: pages.desk.hold(principal, member, txn_id)))
    member_holds = await ask(lambda: pages.desk.holds(principal, member, "all"))
    pending = hold.get("pending") or {}
    is_resolver = principal.role in RESOLVERS
    return render(
        "hold.html", session, status, path=hold_path(member, txn_id), hold=hold,
        action_base=hold_path(member, txn_id), history=qv.payee_history(member_holds, hold),
        reason_codes=REASON_CODES, message=message, error=error, form=form or {},
        can_resolve=is_resolver and hold.get("status") == "open",
        can_approve=principal.role in SUPERVISORS
        and hold.get("status") == "pending_approval"
        and pending.get("resolved_by") != principal.username,
        can_override=principal.role in SUPERVISORS and bool(hold.get("override_offer")),
        note_max=NOTE_MAX_CHARS,
    )  # fmt: skip
