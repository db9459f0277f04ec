"""Liveness (`/healthz`) and readiness (`/readyz`: lists loaded, with versions). No key needed."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response

from compliance.api.context import services
from compliance.api.problems import problem
from compliance.api.responses import ListStatusSchema
from compliance.api.spec import Blueprint

bp = Blueprint("health", __name__, description="Liveness and readiness; no key needed.")


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})


class ReadySchema(HealthSchema):
    entities = ma.fields.Integer()
    stale = ma.fields.List(ma.fields.String(), metadata={"description": "ids of the stale lists"})
    lists = ma.fields.List(ma.fields.Nested(ListStatusSchema))


@bp.get("/healthz")
@bp.doc(security=[])
@bp.response(200, HealthSchema)
def healthz() -> dict[str, Any]:
    """Alive."""
    return {"status": "ok"}


@bp.get("/readyz")
@bp.doc(security=[])
@bp.response(200, ReadySchema)
@bp.alt_response(503, response="SERVICE_UNAVAILABLE")
def readyz() -> dict[str, Any] | Response:
    """Lists loaded, with versions, publish dates and stale flags; 503 if they could not load."""
    found = services()
    if found.watchlists is None:
        return problem(503, "Lists not loaded", found.load_error or "the lists are not loaded yet")
    statuses = found.watchlists.statuses(found.settings)
    return {"status": "ready", "entities": found.watchlists.entity_count,
            "stale": [s.id for s in statuses if s.stale],
            "lists": [s.to_dict() for s in statuses]}
