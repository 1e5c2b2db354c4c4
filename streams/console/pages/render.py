"""Rendering pages: one Jinja2 environment with autoescaping on for every template (a
payee name such as `<img src=x onerror=alert(1)>` is shown as text), the filters the
templates use, and the HTML answers of pages and refusals."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson
from jinja2 import ChainableUndefined, Environment, PackageLoader
from starlette.responses import HTMLResponse

from streams.console.pages.session import CSRF_FIELD, PageSession
from streams.console.roles import AUDITOR, COALITION_ANALYST, MEMBER_SUPERVISOR

# The strongest identifiers first, as the payee key orders them (DESIGN.md).
PAYEE_ORDER = (
    "merchant_id", "card_acceptor_id", "iban", "account", "wallet_address", "domain", "url",
    "email", "phone",
)  # fmt: skip
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class PageError(Exception):
    """A refusal shown as a page: its status and a message for the person."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def age_text(seconds: float | None) -> str:
    """A hold's age for people: `45 s`, `12 min`, `3 h 05 min`, `2 d 4 h`."""
    s = int(seconds or 0)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def payee_label(payee: Any) -> str:
    """The payee as one line: its name and its strongest identifier, whichever it has."""
    if not isinstance(payee, dict):
        return ""
    name = payee.get("name")
    strongest = next((str(payee[k]) for k in PAYEE_ORDER if payee.get(k)), None)
    parts = [str(p) for p in (name, strongest) if p]
    return " · ".join(parts) if parts else "(no identifier)"


def plain(value: Any) -> str:
    """Any evidence value as text (objects and lists as compact JSON)."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def nav_links(session: PageSession | None) -> list[tuple[str, str]]:
    """(path, label) of the pages the session's role may open."""
    if session is None:
        return []
    role = session.principal.role
    links = [("/holds", "Queue")]
    if role != AUDITOR:
        links.append(("/lookup", "Lookup"))
    if role == COALITION_ANALYST:
        links += [("/proposals", "Proposals"), ("/routes", "Routes")]
    if role in (AUDITOR, MEMBER_SUPERVISOR):
        links.append(("/audit", "Audit"))
    return links


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("streams.console.pages", "templates"),
        autoescape=True,
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        age=age_text, payee=payee_label, plain=plain, pathpart=lambda v: quote(str(v), safe="")
    )
    env.globals.update(csrf_field=CSRF_FIELD, nav_links=nav_links)
    return env


ENVIRONMENT = _environment()


def render(
    name: str, session: PageSession | None, code: int = 200, path: str = "", **context: Any
) -> HTMLResponse:
    """The page `name` for the session (None before login) with HTTP status `code`, not
    cached by the browser."""
    context.setdefault("message", None)
    context.setdefault("error", None)
    html = ENVIRONMENT.get_template(name).render(session=session, path=path, **context)
    return HTMLResponse(html, status_code=code, headers=NO_STORE)


def fragment(name: str, **context: Any) -> str:
    """A template rendered without the page around it (the queue's rows)."""
    return ENVIRONMENT.get_template(name).render(**context)
