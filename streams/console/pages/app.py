"""The console's one application: the JSON API (streams/console/api.py) with the pages on
`/`, their static files on `/static/`, and refusals outside `/api/` shown as pages."""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from streams.console.accounts import AccountStore
from streams.console.api import create_app
from streams.console.console_settings import ConsoleSettings
from streams.console.desk import Desk
from streams.console.pages.access import LoginRequired, Pages
from streams.console.pages.coalition_pages import coalition_router
from streams.console.pages.desk_pages import desk_router
from streams.console.pages.holds_pages import holds_router
from streams.console.pages.render import PageError, render
from streams.console.pages.session import session_of
from streams.console.pages.session_pages import login_path, session_router

STATIC = Path(__file__).parent / "static"
TITLES = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Not allowed"}


def create_console_app(desk: Desk, accounts: AccountStore, console: ConsoleSettings) -> FastAPI:
    """Consumes the desk, the accounts and the settings; produces the API and the pages."""
    app = create_app(desk, accounts)
    install_pages(app, Pages(desk, accounts, console))
    return app


def install_pages(app: FastAPI, pages: Pages) -> None:
    """Add the pages' routes, static files and HTML refusals to the API's app."""
    app.include_router(session_router(pages))
    app.include_router(holds_router(pages))
    app.include_router(desk_router(pages))
    app.include_router(coalition_router(pages))
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    api_http_handler = app.exception_handlers.get(HTTPException, http_exception_handler)

    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        if exc.background:
            return JSONResponse({"error": "log in again"}, status_code=401)
        return RedirectResponse(login_path(exc.path), status_code=303)

    @app.exception_handler(PageError)
    async def _refused(request: Request, exc: PageError) -> Response:
        return await _error_page(request, pages, exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith(("/api/", "/static/")) or request.url.path in (
            "/healthz", "/metrics", "/openapi.json",
        ):  # fmt: skip
            answer = api_http_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        message = "There is no such page." if exc.status_code == 404 else "Not possible here."
        return await _error_page(request, pages, exc.status_code, message)


async def _error_page(request: Request, pages: Pages, status: int, message: str) -> Response:
    # The session only decorates the page (navigation); a refusal never depends on it.
    session = await run_in_threadpool(session_of, request, pages.accounts)
    if status == 404:
        message = "There is no such hold or page, or it is not yours to see."
    title = TITLES.get(status, "Refused")
    return render("error.html", session, status, title=title, error=message)
