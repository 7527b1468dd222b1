"""RFC 9457 problem details for every error (``application/problem+json``)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.db import is_database_outage

__all__ = ["PROBLEM_RESPONSES", "Problem", "install_problem_handlers", "problem_response"]

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://msa.example/problems/"
RETRY_AFTER_S = 5
PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):  # noqa: N818 - it is a problem document
    """An error with an HTTP status and a stable type slug; raised by routes, rendered by the handler."""

    def __init__(self, status: int, slug: str, detail: str = "", headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(status: int, slug: str, detail: str = "", instance: str | None = None,
                     headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_TYPE_BASE + slug, "title": HTTPStatus(status).phrase,
                            "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


_SLUGS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
          405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 412: "precondition-failed",
          415: "unsupported-media-type", 422: "validation-error", 428: "precondition-required",
          429: "too-many-requests", 503: "unavailable"}


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, Problem)
        return problem_response(exc.status, exc.slug, exc.detail, request.url.path, exc.headers, **exc.extra)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        slug = _SLUGS.get(exc.status_code, "error")
        detail = exc.detail if isinstance(exc.detail, str) else ""
        return problem_response(exc.status_code, slug, detail, request.url.path,
                                dict(exc.headers) if exc.headers else None)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")),
                   "type": str(e.get("type", ""))} for e in exc.errors()]
        return problem_response(422, "validation-error", "the request is not valid", request.url.path,
                                errors=errors)

    async def on_database(request: Request, exc: Exception) -> Response:
        if not is_database_outage(exc):
            raise exc  # a real fault: the server error it is (logged by the server)
        log.warning("%s %s: database unavailable (%s)", request.method, request.url.path, type(exc).__name__)
        return problem_response(503, "unavailable", "the database is unavailable; try again shortly",
                                request.url.path, {"Retry-After": str(RETRY_AFTER_S)})

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(SQLAlchemyError, on_database)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)


_PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
}

PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"description": HTTPStatus(code).phrase, **_PROBLEM_SCHEMA}
    for code in (400, 401, 403, 404, 406, 422, 429)
}
