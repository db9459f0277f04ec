"""Review: decisions on the matches of screenings, and the queue of screenings to review (analyst, admin)."""
from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.validate import OneOf, Range

from compliance.api.auth import requires
from compliance.api.context import caller, services
from compliance.api.responses import ActorSchema
from compliance.api.schemas import MAX_TEXT, optional, text
from compliance.api.spec import Blueprint
from compliance.errors import NotReadyError
from compliance.keys import Permission
from compliance.review import DECISIONS, ReviewDesk
from compliance.review_queue import MAX_PAGE, STATUSES

JSON_ERRORS = {str(code): http.HTTPStatus(code).name for code in (400, 413, 415)}
bp = Blueprint("reviews", __name__, url_prefix="/v1",
               description="Decisions on matches (audited) and the review queue; analyst and admin keys.")
MAX_NOTE = 4000
_DECISION_DOC = ("true_match and false_positive are final; a false_positive suppresses the match in later "
                 "screenings of the same account until the entity's record or the account's fields change")


class DecisionSchema(ma.Schema):
    screening_id = text(64, required=True, metadata={"description": "the screening's id (its audit record)"})
    entity_id = text(required=True, metadata={"example": "ofac_sdn:26945"})
    decision = fields.String(required=True, validate=OneOf(DECISIONS), metadata={"description": _DECISION_DOC})
    note = text(MAX_NOTE, required=True, metadata={"description": "why: kept in the audit log"})


class DecisionResultSchema(ma.Schema):
    decision_id = fields.String(metadata={"description": "the id of the decision's audit record"})
    screening_id = fields.String()
    account_id = fields.String(allow_none=True)
    entity_id = fields.String()
    decision = fields.String()
    note = fields.String()
    decided_at = fields.String()
    decided_by = fields.Nested(ActorSchema)
    final = fields.Boolean()


class QueueQuerySchema(ma.Schema):
    status = fields.String(load_default="open", validate=OneOf(STATUSES))
    assignee = text(metadata={"description": "an analyst's key id"})
    account_id = text()
    limit = fields.Integer(load_default=50, validate=Range(min=1, max=MAX_PAGE))
    cursor = text(256)


class AssignSchema(ma.Schema):
    assignee = optional(MAX_TEXT, metadata={"description": "an analyst's key id; default: the caller's key"})


class ReviewDecisionSchema(ma.Schema):
    decision_id = fields.String()
    decision = fields.String()
    note = fields.String()
    decided_at = fields.String()
    decided_by = fields.Nested(ActorSchema)


class ReviewMatchSchema(ma.Schema):
    entity_id = fields.String()
    list = fields.String()
    name = fields.String()
    matched_name = fields.String(allow_none=True)
    programs = fields.List(fields.String())
    score = fields.Float()
    verdict = fields.String()
    explanation = fields.Dict(metadata={"description": "on GET /v1/reviews/<screening_id> only"})
    decision = fields.Nested(ReviewDecisionSchema, allow_none=True, metadata={"description": "the latest"})


class AssigneeSchema(ma.Schema):
    key_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)


class ReviewItemSchema(ma.Schema):
    screening_id = fields.String()
    action = fields.String(metadata={"description": "screen, screen.batch_item or screen.monitor"})
    screened_at = fields.String()
    account_id = fields.String(allow_none=True)
    verdict = fields.String()
    top_score = fields.Float()
    status = fields.String(metadata={"description": "open until every match has a final decision"})
    match_count = fields.Integer()
    decided_count = fields.Integer()
    matches = fields.List(fields.Nested(ReviewMatchSchema))
    assignee = fields.Nested(AssigneeSchema, allow_none=True)
    assigned_at = fields.String(allow_none=True)


class ReviewPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ReviewItemSchema), metadata={"description": "highest score first"})
    next_cursor = fields.String(allow_none=True)


def desk() -> ReviewDesk:
    found = services().review
    if found is None:  # create_app always sets it up
        raise NotReadyError("review is not set up")
    return found


@bp.post("/decisions")
@requires(Permission.REVIEW)
@bp.doc(responses=JSON_ERRORS)
@bp.arguments(DecisionSchema)
@bp.response(201, DecisionResultSchema)
@bp.alt_response(404, response="NOT_FOUND")
def decide(body: dict[str, Any]) -> dict[str, Any]:
    """Decide on one match of a screening: true_match, false_positive, escalated or needs_info.

    The entity must be among the screening's matches (or its suppressed matches). The decision
    is appended to the audit log in the same transaction as it is stored.
    """
    return desk().decide(body["screening_id"], body["entity_id"], body["decision"], body["note"], caller())


@bp.get("/reviews")
@requires(Permission.REVIEW)
@bp.arguments(QueueQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, ReviewPageSchema)
def queue(query: dict[str, Any]) -> dict[str, Any]:
    """Screenings with a match or review verdict, highest score first; pass `next_cursor` as `cursor`."""
    return desk().queue.page(query["status"], query["limit"], query.get("cursor"), query.get("assignee"),
                             query.get("account_id"))


@bp.get("/reviews/<screening_id>")
@requires(Permission.REVIEW)
@bp.response(200, ReviewItemSchema)
@bp.alt_response(404, response="NOT_FOUND")
def item(screening_id: str) -> dict[str, Any]:
    """One screening of the queue with its matches' explanations and latest decisions."""
    return desk().item(screening_id)


@bp.post("/reviews/<screening_id>/assign")
@requires(Permission.REVIEW)
@bp.doc(responses=JSON_ERRORS)
@bp.arguments(AssignSchema)
@bp.response(200, ReviewItemSchema)
@bp.alt_response(404, response="NOT_FOUND")
def assign(body: dict[str, Any], screening_id: str) -> dict[str, Any]:
    """Assign a screening to an analyst (a key that may review; default the caller). Audited."""
    return desk().assign(screening_id, body.get("assignee"), caller())

