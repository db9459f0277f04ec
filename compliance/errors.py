"""The domain's errors: each carries the HTTP status, title and problem type it is answered with.

Framework-free: the handlers that turn these (and werkzeug's errors, and the unexpected) into
RFC 9457 problem documents live at the edge, in `compliance/api/problems.py`.
"""
from __future__ import annotations

from collections.abc import Sequence

TYPE_BASE = "https://sanctions-screening.local/problems/"


class ComplianceError(Exception):
    """Base of the errors the service answers with a problem document."""

    status = 500
    title = "Internal error"
    type = "about:blank"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotReadyError(ComplianceError):
    """The lists (and so the engine) are not loaded: screening cannot be answered."""

    status = 503
    title = "Lists not loaded"
    type = TYPE_BASE + "not-ready"


class NotFoundError(ComplianceError):
    """A named thing (entity, audit record) does not exist."""

    status = 404
    title = "Not Found"
    type = TYPE_BASE + "not-found"


class ConflictError(ComplianceError):
    """The request conflicts with the state of what it names (an ended job, the last admin key)."""

    status = 409
    title = "Conflict"
    type = TYPE_BASE + "conflict"


class InvalidInputError(ComplianceError):
    """Input that is well-formed but refers to something the service does not have.

    `errors` are `{"pointer": "#/lists/0", "detail": "..."}` items, the same shape as the
    per-field messages of a schema validation error.
    """

    status = 422
    title = "Unprocessable Content"
    type = TYPE_BASE + "invalid-input"

    def __init__(self, detail: str, errors: Sequence[dict[str, str]] = ()) -> None:
        super().__init__(detail)
        self.errors = list(errors)
