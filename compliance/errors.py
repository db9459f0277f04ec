"""Errors as RFC 9457 problem details (`application/problem+json`).

Domain errors carry their HTTP status, title and type as class attributes; the handlers
turn them, werkzeug's HTTP errors and anything unexpected into problem documents. The
unexpected case is logged with its traceback and answered with generic text only.
"""
from __future__ import annotations

import logging

from flask import Flask, Response, json, request
from werkzeug.exceptions import HTTPException

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://sanctions-screening.local/problems/"
log = logging.getLogger(__name__)


class ComplianceError(Exception):
    """Base of the errors the service answers with a problem document."""

    status = 500
    title = "Internal error"
    type = "about:blank"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotReadyError(ComplianceError):
    status = 503
    title = "Lists not loaded"
    type = TYPE_BASE + "not-ready"


def problem(status: int, title: str, detail: str | None = None, type_: str = "about:blank", **extra) -> Response:
    body = {"type": type_, "title": title, "status": status, **({"detail": detail} if detail else {}), **extra}
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ComplianceError)
    def _domain(exc: ComplianceError) -> Response:
        return problem(exc.status, exc.title, exc.detail, exc.type)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = problem(exc.code or 500, exc.name, exc.description)
        if exc.code == 405 and getattr(exc, "valid_methods", None):
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem(500, "Internal Server Error", "An unexpected error occurred; it has been logged.")
