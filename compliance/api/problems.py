"""Every error as an RFC 9457 problem document (`application/problem+json`).

One handler each for domain errors (`ComplianceError`), werkzeug's HTTP errors (including
webargs' 400/422, whose messages become per-field `errors`) and the unexpected (500: logged
with its traceback but without the exception's message or the request body, which may hold
personal data; answered with generic text).
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator, Mapping
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException

from compliance.errors import ComplianceError, InvalidInputError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class FieldErrorSchema(ma.Schema):
    pointer = ma.fields.String(metadata={"description": "JSON pointer (fragment form) into the request body"})
    parameter = ma.fields.String(metadata={"description": "query parameter name"})
    detail = ma.fields.String(required=True)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only: handlers build the body)."""

    type = ma.fields.String(required=True, metadata={"example": "about:blank"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.List(ma.fields.Nested(FieldErrorSchema), metadata={"description": "per-field messages (422)"})


def problem(status: int, title: str, detail: str | None = None, type_: str = "about:blank",
            headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """A problem+json response."""
    body = {"type": type_, "title": title, "status": status, **({"detail": detail} if detail else {}), **extra}
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON, headers=dict(headers or {}))


def field_errors(messages: Any) -> list[dict[str, str]]:
    """webargs' `{location: marshmallow messages}` as `[{"pointer" | "parameter", "detail"}]`."""
    if not isinstance(messages, Mapping):
        return [{"detail": str(m)} for m in _leaves(messages)]
    out: list[dict[str, str]] = []
    for location, tree in messages.items():
        for path, message in _walk(tree, ()):
            if location == "json":
                out.append({"pointer": "#" + "".join("/" + _escape(p) for p in path), "detail": message})
            else:
                out.append({"parameter": ".".join(path) or location, "detail": message})
    return out


def _walk(node: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, path if key == "_schema" else (*path, str(key)))
    else:
        for message in _leaves(node):
            yield path, message


def _leaves(node: Any) -> Iterator[str]:
    if isinstance(node, list | tuple):
        for item in node:
            yield from _leaves(item)
    else:
        yield str(node)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def register_error_handlers(app: Flask) -> None:
    """Problem documents for domain errors, HTTP errors and the unexpected."""

    @app.errorhandler(ComplianceError)
    def _domain(exc: ComplianceError) -> Response:
        extra: dict[str, Any] = {"errors": exc.errors} if isinstance(exc, InvalidInputError) else {}
        return problem(exc.status, exc.title, exc.detail, exc.type, **extra)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return http_problem(exc)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # The message and the locals may hold personal data: log the type and the frames only.
        frames = "".join(traceback.format_tb(exc.__traceback__))
        log.error("unhandled %s on %s %s (request %s)\n%s", type(exc).__name__, request.method, request.path,
                  g.get("request_id"), frames)
        return problem(500, "Internal Server Error", "An unexpected error occurred; it has been logged.")


def http_problem(exc: HTTPException) -> Response:
    """A werkzeug HTTP error (or a webargs abort carrying `messages`) as a problem document."""
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    extra: dict[str, Any] = {}
    detail = exc.description
    if code == 422 and "messages" in data:
        extra["errors"] = field_errors(data["messages"])
        detail = "The request has invalid or unknown fields; see `errors`."
    elif code == 400 and "messages" in data:
        detail = "The request body is not valid JSON."
    headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem(code, exc.name, detail, headers=headers, **extra)
