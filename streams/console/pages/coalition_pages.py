"""The coalition analysts' pages: `/proposals` (confirmed sellers from resolutions and new
routes from links, each with its evidence, `Promote` and `Dismiss`; the desk refuses a
proposer's own) and `/routes` (the routes report as a chart, period selectable)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from streams.console.api_access import ID_MAX_CHARS, PROPOSAL_ROLES, require_role
from streams.console.pages import routes_chart
from streams.console.pages.access import Pages, ask, check
from streams.console.pages.render import PageError, render

PROPOSAL_STATUSES = ("open", "promoted", "dismissed", "all")
DONE = {"promote": "Promoted: the entry is on the watchlist topic.", "dismiss": "Dismissed."}


def coalition_router(pages: Pages) -> APIRouter:
    """`/proposals`, `POST /proposals/decide` and `/routes`."""
    router = APIRouter(include_in_schema=False)

    async def proposals_page(
        request: Request, status: str, message: str | None, error: str | None, code: int
    ) -> Response:
        session = await pages.session(request)
        principal = session.principal
        check(lambda: require_role(principal, PROPOSAL_ROLES, "read proposals"))
        if status not in PROPOSAL_STATUSES:
            raise PageError(400, "Status must be open, promoted, dismissed or all.")
        found = await ask(lambda: pages.desk.proposals(principal, status))
        return render(
            "proposals.html", session, code, path="/proposals", proposals=found,
            status=status, statuses=PROPOSAL_STATUSES, message=message, error=error,
        )  # fmt: skip

    @router.get("/proposals")
    async def proposals(request: Request, status: str = "open", done: str = "") -> Response:
        return await proposals_page(request, status, DONE.get(done), None, 200)

    @router.post("/proposals/decide")
    async def decide(request: Request) -> Response:
        session, form = await pages.posted(request)
        principal = session.principal
        check(lambda: require_role(principal, PROPOSAL_ROLES, "decide proposals"))
        proposal_id, verb = form.get("proposal_id", ""), form.get("decision", "")
        if verb not in DONE or not proposal_id or len(proposal_id) > ID_MAX_CHARS:
            raise PageError(400, "Press Promote or Dismiss on a proposal.")
        try:
            await ask(lambda: pages.desk.decide_proposal(principal, proposal_id, verb == "promote"))
        except PageError as exc:
            if exc.status not in (403, 409):
                raise
            return await proposals_page(request, "open", None, exc.message, exc.status)
        return RedirectResponse(f"/proposals?done={verb}", status_code=303)

    @router.get("/routes")
    async def routes(request: Request, period: str = routes_chart.DEFAULT_PERIOD) -> Response:
        session = await pages.session(request)
        principal = session.principal
        check(lambda: require_role(principal, PROPOSAL_ROLES, "read the routes report"))
        if period not in routes_chart.PERIODS:
            period = routes_chart.DEFAULT_PERIOD
        today = datetime.now(UTC).date()
        since = routes_chart.since_day(period, today)
        documents = await ask(lambda: pages.desk.routes(principal, since))
        drawn = routes_chart.chart(documents, period, today)
        return render(
            "routes.html", session, path="/routes", chart=drawn, periods=routes_chart.PERIOD_LABELS
        )

    return router
