"""The console's HTTP application: the JSON API over a Desk and the accounts store, with
`/healthz`, `/metrics` and `/openapi.json` (no interactive docs: their pages need inline
script, which the Content-Security-Policy forbids)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response, Security
from fastapi.openapi.utils import get_openapi

from streams.console.accounts import AccountStore
from streams.console.api_desk import desk_router, token_router
from streams.console.api_errors import error_response, install_error_handlers
from streams.console.api_guard import bearer_scheme, install_guard
from streams.console.api_holds import holds_router
from streams.console.api_json import MaskedJSON
from streams.console.api_models import ErrorOut, HealthOut
from streams.console.desk import Desk

_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def create_app(desk: Desk, accounts: AccountStore) -> FastAPI:
    """Consumes the desk (state and actions) and the accounts store; produces the app."""
    app = FastAPI(
        title="Screening console",
        summary="The fraud desk's API: holds, resolutions with four eyes, lookups, audit.",
        version="1",
        docs_url=None,
        default_response_class=MaskedJSON,
        redoc_url=None,
    )
    install_error_handlers(app)
    install_guard(app, accounts)
    app.include_router(token_router(desk, accounts))
    # Every other /api/ route declares the bearer scheme (the middleware enforces it).
    secured = [Security(bearer_scheme)]
    app.include_router(holds_router(desk), dependencies=secured)
    app.include_router(desk_router(desk), dependencies=secured)

    @app.get(
        "/healthz",
        response_model=HealthOut,
        responses={503: {"model": ErrorOut, "description": "still catching up"}},
        tags=["operations"],
    )
    def healthz() -> MaskedJSON:
        """200 once the view has caught up with the topics, 503 before."""
        if not desk.ready():
            return error_response(503, "the view is catching up with the topics")
        return MaskedJSON({"status": "ready"})

    @app.get(
        "/metrics",
        response_class=Response,
        responses={200: {"content": {PROMETHEUS_TEXT: {}}, "description": "Prometheus"}},
        tags=["operations"],
    )
    def metrics() -> Response:
        """The console's Prometheus metrics."""
        return Response(desk.metrics_text(), media_type=PROMETHEUS_TEXT)

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document without its default 422 answers: validation errors are 400 here,
    `{"error": "field: what is wrong"}`, as each operation lists."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            summary=app.summary,
            routes=app.routes,
        )
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                responses.pop("422", None)
                if operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault(
                        "400",
                        {
                            "description": "bad input, naming the field",
                            "content": {"application/json": {"schema": _ERROR_REF}},
                        },
                    )
        schemas = document.get("components", {}).get("schemas", {})
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
        app.openapi_schema = document
    return app.openapi_schema
