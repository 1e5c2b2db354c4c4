"""The pages' session: the API's session token carried in an HttpOnly, SameSite=Strict
cookie, and the CSRF tokens forms carry (derived from the session token one way, so a page
can show it while only the cookie's holder can compute it; before login, a random token in
a cookie of its own that the form must repeat)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from streams.console.accounts import AccountStore
from streams.console.roles import Principal

SESSION_COOKIE = "screening_session"
LOGIN_COOKIE = "screening_login"
CSRF_FIELD = "csrf"
_CSRF_LABEL = b"screening console csrf v1"


@dataclass(frozen=True)
class PageSession:
    """A logged-in user: who, the session token and the CSRF token of their forms."""

    principal: Principal
    token: str

    @property
    def csrf(self) -> str:
        """The CSRF token of this session's forms."""
        return csrf_of(self.token)


def csrf_of(token: str) -> str:
    """The CSRF token derived from a session token (one-way)."""
    return hmac.new(_CSRF_LABEL, token.encode(), hashlib.sha256).hexdigest()


def same_token(given: str | None, expected: str) -> bool:
    """Constant-time comparison; False for a missing or empty token."""
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), expected)


def session_of(request: Request, accounts: AccountStore) -> PageSession | None:
    """The session the request's cookie names, or None (no cookie, unknown or expired)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    principal = accounts.principal_for(token) if token else None
    return PageSession(principal, token) if principal is not None else None


def over_tls(request: Request, always: bool) -> bool:
    """True when cookies must be Secure: the setting, TLS to this process, or a proxy that
    terminated TLS and says so in X-Forwarded-Proto."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return always or request.url.scheme == "https" or forwarded == "https"


def set_cookie(response: Response, name: str, value: str, max_age: int, secure: bool) -> None:
    """An HttpOnly, SameSite=Strict cookie for the whole console."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=secure
    )


def clear_cookie(response: Response, name: str, secure: bool) -> None:
    """Remove a cookie set by `set_cookie`."""
    response.delete_cookie(name, path="/", httponly=True, samesite="strict", secure=secure)


def new_login_token() -> str:
    """A random token for the login form and its cookie."""
    return secrets.token_urlsafe(24)
