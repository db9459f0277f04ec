"""Liveness (`/healthz`) and readiness (`/readyz`: lists loaded, with versions)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from compliance.errors import problem

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    services = current_app.extensions["compliance"]
    if services.watchlists is None:
        return problem(503, "Lists not loaded", services.load_error or "the lists are not loaded yet")
    statuses = services.watchlists.statuses(services.settings)
    return jsonify(
        status="ready",
        entities=services.watchlists.entity_count,
        stale=[s.id for s in statuses if s.stale],
        lists=[s.to_dict() for s in statuses],
    )
