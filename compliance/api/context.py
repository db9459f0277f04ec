"""Per-request context: the request id, the caller, the services, the body limits, and the
one-at-a-time rule for CPU-bound views.

Hooks run in this order on every request: assign the request id (X-Request-Id, bounded and
sanitized, or a new one), authenticate (`auth.py`), then check the body of requests that carry
one (size -> 413, media type -> 415) before any view reads it, then, for a `cpu_bound` view,
wait for the process's other CPU-bound request to finish. The id is echoed on every response,
errors included, and recorded in the audit log.
"""
from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType

from compliance.audit import Actor
from compliance.errors import NotReadyError
from compliance.service import AuditDesk, Caller, Screener

if TYPE_CHECKING:
    from compliance import Services

REQUEST_ID_HEADER = "X-Request-Id"
MAX_REQUEST_ID = 128
_UNSAFE = re.compile(r"[^A-Za-z0-9._:@+=/-]")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
JSON = ("application/json",)
View = TypeVar("View", bound=Callable[..., Any])
# Screening is CPU-bound Python: two screens in one process only take turns on its one
# interpreter lock, and every turn (a 5 ms switch interval, and each time a thread waits on the
# store) costs both of them. A worker process therefore runs one CPU-bound request at a time,
# while its other threads go on reading uploads, answering health checks and serving the audit
# log. Measured on 2 cores, 2 gthread workers of 4 threads, concurrency 4, 2 rounds each
# (`bench/http_api.py --compare`, with the lock and without): see the README's HTTP section.
_CPU_BOUND = threading.Lock()


def request_id_from(value: str | None) -> str:
    """The caller's id with unsafe characters dropped and cut to MAX_REQUEST_ID, or a new one."""
    cleaned = _UNSAFE.sub("", value or "")[:MAX_REQUEST_ID]
    return cleaned or uuid.uuid4().hex


def services() -> Services:
    return current_app.extensions["compliance"]


def screener() -> Screener:
    """The screener, or 503 when the lists could not be loaded."""
    found = services().screener
    if found is None:
        raise NotReadyError(services().load_error or "the lists are not loaded")
    return found


def audit_desk() -> AuditDesk:
    return AuditDesk(services().audit)


def caller() -> Caller:
    """The authenticated key's actor, the request id and the client address."""
    key = g.get("api_key")
    return Caller(key.actor() if key is not None else Actor(), g.get("request_id"), request.remote_addr)


def consumes(*mimetypes: str, max_bytes: int | None = None) -> Callable[[View], View]:
    """Declare the media types (and body size, default the setting) a view accepts.

    JSON is the default for every view; a later upload endpoint declares CSV and a larger size.
    """
    def decorator(view: View) -> View:
        view.consumes = mimetypes  # type: ignore[attr-defined]
        view.max_body_bytes = max_bytes  # type: ignore[attr-defined]
        return view
    return decorator


def cpu_bound(view: View) -> View:
    """Declare a view CPU-bound and short (one screening): a worker process runs one such request
    at a time. Not for long ones (a /v1/screen/batch of 1,000 accounts takes about a second):
    a screen would wait for all of it, where sharing the interpreter lock gives it turns."""
    view.cpu_bound = True  # type: ignore[attr-defined]
    return view


def install(app: Flask, authenticate: Callable[[], None]) -> None:
    """Register the hooks, in order: request id, authentication, body limits, the CPU-bound
    views' turn; echo the id."""

    @app.before_request
    def _request_id() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))

    app.before_request(authenticate)

    @app.before_request
    def _body_limits() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        if view is None or request.method not in BODY_METHODS:
            return
        limit = getattr(view, "max_body_bytes", None) or services().settings.max_request_bytes
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            raise RequestEntityTooLarge(f"The request body is over the limit of {limit} bytes.")
        accepted = getattr(view, "consumes", JSON)
        if request.mimetype not in accepted and not (accepted == JSON and request.is_json):
            raise UnsupportedMediaType(f"Send the request body as {' or '.join(accepted)}.")

    @app.before_request
    def _cpu_bound_turn() -> None:
        view = current_app.view_functions.get(request.endpoint or "")
        if getattr(view, "cpu_bound", False):
            _CPU_BOUND.acquire()
            g.cpu_bound_turn = True

    @app.teardown_request
    def _end_cpu_bound_turn(_: BaseException | None) -> None:
        if g.pop("cpu_bound_turn", False):
            _CPU_BOUND.release()

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id") or request_id_from(None)
        return response
