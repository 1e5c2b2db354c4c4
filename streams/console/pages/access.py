"""What every page handler needs before it acts: the logged-in session (else a redirect to
the login page), the posted form with its CSRF token checked (else 403), and the desk's
answers with its refusals turned into pages. The rules themselves are the API's
(streams/console/api_access.py) and the desk's: nothing here decides who may do what."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from streams.console.accounts import AccountStore
from streams.console.console_settings import ConsoleSettings
from streams.console.desk import Desk, DeskError
from streams.console.pages.render import PageError
from streams.console.pages.session import CSRF_FIELD, PageSession, same_token, session_of

FORM_MAX_BYTES = 32 * 1024
FORM_TYPE = "application/x-www-form-urlencoded"
T = TypeVar("T")


class LoginRequired(Exception):
    """No valid session: the page answers with the login page's address (or 401 for the
    queue's background requests)."""

    def __init__(self, path: str, background: bool = False) -> None:
        super().__init__(path)
        self.path = path
        self.background = background


@dataclass(frozen=True)
class Pages:
    """What the page handlers share: the desk, the accounts and the console's settings."""

    desk: Desk
    accounts: AccountStore
    console: ConsoleSettings

    async def session(self, request: Request, background: bool = False) -> PageSession:
        """The request's session; LoginRequired without one."""
        found = await run_in_threadpool(session_of, request, self.accounts)
        if found is None:
            raise LoginRequired(_here(request), background)
        return found

    async def posted(self, request: Request) -> tuple[PageSession, dict[str, str]]:
        """The session and the form of a POST whose CSRF token is the session's; 403
        without it (a form posted from another site has none)."""
        session = await self.session(request)
        form = await read_form(request)
        if not same_token(form.get(CSRF_FIELD), session.csrf):
            raise PageError(403, "This form has expired or did not come from this console.")
        return session, form


async def read_form(request: Request) -> dict[str, str]:
    """A posted URL-encoded form (the first value of each field); an empty one for another
    body type (so it carries no CSRF token either), 413 past FORM_MAX_BYTES."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
        return {}
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_MAX_BYTES:
            raise PageError(413, "The form is too large.")
    form: dict[str, str] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        form.setdefault(key, value)
    return form


async def ask(call: Callable[[], T]) -> T:
    """The desk's answer (in the thread pool: it may wait on the broker), its refusals as
    PageError with the same status."""
    try:
        return await run_in_threadpool(call)
    except DeskError as exc:
        raise PageError(exc.status, exc.message) from None


def check(rule: Callable[[], None]) -> None:
    """Apply one of the API's access rules; its DeskError as a PageError."""
    try:
        rule()
    except DeskError as exc:
        raise PageError(exc.status, exc.message) from None


def _here(request: Request) -> str:
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


def local_path(target: str | None, default: str = "/holds") -> str:
    """A redirect target that stays on this console (an absolute path, not `//host`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
