"""Every refusal as JSON `{"error": message}` with its status: the desk's DeskError,
FastAPI's validation errors (400 naming the field instead of its default 422), unknown
routes and methods."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from streams.console.api_json import MaskedJSON
from streams.console.desk import DeskError

log = logging.getLogger(__name__)

_PLAIN = {
    "json_invalid": "not valid JSON",
    "model_attributes_type": "must be a JSON object",
    "dict_type": "must be a JSON object",
    "extra_forbidden": "unknown field",
    "missing": "required",
}


def error_response(status: int, message: str) -> MaskedJSON:
    """The one shape of every refusal."""
    return MaskedJSON({"error": message}, status_code=status)


def validation_message(errors: Sequence[Any]) -> str:
    """`field: what is wrong` for the first error FastAPI found (`body` for the body as a
    whole: not JSON, or not an object)."""
    if not errors:
        return "body: bad input"
    first = errors[0]
    kind = str(first.get("type", ""))
    # A JSON syntax error's location is the body and the character position.
    location = [] if kind == "json_invalid" else first.get("loc", ())
    field = ".".join(str(p) for p in location if p not in ("body", "query", "path")) or "body"
    message = _PLAIN.get(kind) or str(first.get("msg", "bad value"))
    return f"{field}: {message}"


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the app may raise to a JSON refusal."""

    @app.exception_handler(DeskError)
    async def _desk(_request: Request, exc: DeskError) -> MaskedJSON:
        return error_response(exc.status, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> MaskedJSON:
        return error_response(400, validation_message(exc.errors()))

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> MaskedJSON:
        message = exc.detail if isinstance(exc.detail, str) else "refused"
        return error_response(exc.status_code, message.lower())

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> MaskedJSON:
        log.exception("console: %s %s failed", request.method, request.url.path)
        return error_response(500, "internal error")
