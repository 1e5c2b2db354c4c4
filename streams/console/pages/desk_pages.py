"""`/lookup` (what the coalition knows about one identifier, as the API's lookup answers
it; audited by the desk) and `/audit` (the audit trail, filterable by user and action)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from streams.console.api_access import AUDIT_ROLES, LOOKUP_ROLES, require_role
from streams.console.pages.access import Pages, ask, check
from streams.console.pages.lookup_kind import DETECT, guess_kind
from streams.console.pages.render import PageError, render
from streams.console.pages.session import PageSession
from streams.model.canonical import IDENTIFIER_KINDS

AUDIT_ACTIONS = (
    "login", "login_failed", "logout", "claim", "resolution", "approval", "override",
    "lookup", "proposal", "promotion", "dismissal",
)  # fmt: skip
AUDIT_PAGE_ROWS = 200
VALUE_MAX_CHARS = 512


def desk_router(pages: Pages) -> APIRouter:
    """`/lookup` and `/audit`."""
    router = APIRouter(include_in_schema=False)

    def lookup_page(
        session: PageSession, kind: str, value: str, found: object, error: str | None, status: int
    ) -> Response:
        return render(
            "lookup.html", session, status, path="/lookup", kinds=IDENTIFIER_KINDS, kind=kind,
            value=value, found=found, error=error,
        )  # fmt: skip

    @router.get("/lookup")
    async def lookup_form(request: Request) -> Response:
        session = await pages.session(request)
        check(lambda: require_role(session.principal, LOOKUP_ROLES, "look identifiers up"))
        return lookup_page(session, DETECT, "", None, None, 200)

    @router.post("/lookup")
    async def lookup(request: Request) -> Response:
        session, form = await pages.posted(request)
        principal = session.principal
        check(lambda: require_role(principal, LOOKUP_ROLES, "look identifiers up"))
        value = form.get("value", "").strip()
        chosen = form.get("type", DETECT)
        if not value or len(value) > VALUE_MAX_CHARS:
            message = f"Type an identifier (up to {VALUE_MAX_CHARS} characters)."
            return lookup_page(session, chosen, value, None, message, 400)
        kind = guess_kind(value) if chosen == DETECT else chosen
        if kind not in IDENTIFIER_KINDS:
            return lookup_page(session, chosen, value, None, "Pick a kind of identifier.", 400)
        try:
            found = await ask(lambda: pages.desk.lookup(principal, kind, value))
        except PageError as exc:
            if exc.status != 400:
                raise
            return lookup_page(session, chosen, value, None, exc.message, 400)
        return lookup_page(session, chosen, value, {**found, "type": kind}, None, 200)

    @router.get("/audit")
    async def audit(request: Request, user: str = "", action: str = "") -> Response:
        session = await pages.session(request)
        principal = session.principal
        check(lambda: require_role(principal, AUDIT_ROLES, "read the audit trail"))
        user, action = user.strip()[:64], action.strip()[:64]
        records = await ask(
            lambda: pages.desk.audit(principal, user or None, action or None, AUDIT_PAGE_ROWS)
        )
        return render(
            "audit.html", session, path="/audit", records=records, user=user, action=action,
            actions=AUDIT_ACTIONS, limit=AUDIT_PAGE_ROWS,
        )  # fmt: skip

    return router
