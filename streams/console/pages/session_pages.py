"""Logging in and out: `/login` (a form whose CSRF token repeats a cookie of its own),
`POST /logout`, and `/` (to the queue). Failed and successful logins are audited as the
API's are; a wrong user name and a wrong password get the same message."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from streams.console.pages.access import Pages, local_path, read_form
from streams.console.pages.render import PageError, render
from streams.console.pages.session import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    clear_cookie,
    new_login_token,
    over_tls,
    same_token,
    session_of,
    set_cookie,
)

WRONG_LOGIN = "Unknown user name or wrong password."
LOGIN_FORM_TTL_S = 3600


def login_path(target: str) -> str:
    """The login page's address, remembering where to go after it."""
    return "/login" if target in ("", "/", "/holds") else f"/login?next={quote(target, safe='')}"


def session_router(pages: Pages) -> APIRouter:
    """`/`, `/login` and `/logout`."""
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    async def index() -> Response:
        return RedirectResponse("/holds", status_code=303)

    @router.get("/login")
    async def login_page(request: Request, next: str = "") -> Response:
        if await run_in_threadpool(session_of, request, pages.accounts) is not None:
            return RedirectResponse(local_path(next), status_code=303)
        return _login_form(request, pages, local_path(next), None, 200)

    @router.post("/login")
    async def login(request: Request) -> Response:
        form = await read_form(request)
        if not same_token(form.get(CSRF_FIELD), request.cookies.get(LOGIN_COOKIE, "")):
            raise PageError(403, "This form has expired or did not come from this console.")
        username = form.get("username", "").strip()[:64]
        password = form.get("password", "")
        target = local_path(form.get("next"))
        principal = await run_in_threadpool(pages.accounts.authenticate, username, password)
        if principal is None:
            await run_in_threadpool(
                pages.desk.record, None, username, "login_failed", username, None, {"via": "page"}
            )
            return _login_form(request, pages, target, WRONG_LOGIN, 401, username)
        token = await run_in_threadpool(pages.accounts.issue_token, principal)
        await run_in_threadpool(
            pages.desk.record, principal, principal.username, "login", principal.username,
            None, {"via": "page"},
        )  # fmt: skip
        secure = over_tls(request, pages.console.secure_cookies)
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, SESSION_COOKIE, token, int(pages.console.token_ttl_s), secure)
        clear_cookie(response, LOGIN_COOKIE, secure)
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        session, _form = await pages.posted(request)
        await run_in_threadpool(pages.accounts.revoke_token, session.token)
        principal = session.principal
        await run_in_threadpool(
            pages.desk.record, principal, principal.username, "logout", principal.username
        )
        response = RedirectResponse("/login", status_code=303)
        clear_cookie(response, SESSION_COOKIE, over_tls(request, pages.console.secure_cookies))
        return response

    return router


def _login_form(
    request: Request, pages: Pages, target: str, error: str | None, status: int, username: str = ""
) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or new_login_token()
    response = render(
        "login.html", None, status, path="/login", csrf=token, next=target, error=error,
        username=username,
    )  # fmt: skip
    secure = over_tls(request, pages.console.secure_cookies)
    set_cookie(response, LOGIN_COOKIE, token, LOGIN_FORM_TTL_S, secure)
    return response
