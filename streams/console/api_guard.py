"""Bearer authentication of every `/api/` call but the token itself, before routing (so an
unknown path or a bad body without a token is a 401 too), and the security headers of every
answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request, Response
from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool

from streams.console.accounts import AccountStore
from streams.console.api_errors import error_response
from streams.console.desk import DeskError
from streams.console.roles import Principal

TOKEN_PATH = "/api/token"
# Declares the scheme in /openapi.json; the check itself is the middleware's.
bearer_scheme = HTTPBearer(auto_error=False, description="a token from POST /api/token")

SECURITY_HEADERS = {
    # No inline script or style anywhere (the pages load /static/ files only).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def bearer_token(request: Request) -> str:
    """The token of an `Authorization: Bearer T` header, or an empty string."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def principal_of(request: Request) -> Principal:
    """The principal the middleware authenticated (a dependency of every /api/ route)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise DeskError(401, "missing, unknown or expired bearer token")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(principal_of)]


def install_guard(app: FastAPI, accounts: AccountStore) -> None:
    """Authenticate /api/ calls and add the security headers to every response."""

    @app.middleware("http")
    async def _guard(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        response: Response
        if path.startswith("/api/") and path != TOKEN_PATH:
            principal = await run_in_threadpool(accounts.principal_for, bearer_token(request))
            if principal is None:
                response = error_response(401, "missing, unknown or expired bearer token")
                response.headers["WWW-Authenticate"] = "Bearer"
            else:
                request.state.principal = principal
                response = await call_next(request)
        else:
            response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        if path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
