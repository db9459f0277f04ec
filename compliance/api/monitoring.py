"""Monitoring: accounts enrolled for re-screening on every list refresh, and the alerts it raises."""
from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from flask import request
from marshmallow import fields
from marshmallow.validate import OneOf, Range

from compliance.alerts import KINDS, MAX_PAGE, AlertFilter
from compliance.api.auth import requires
from compliance.api.context import caller, services
from compliance.api.schemas import MAX_SHORT, AccountSchema, optional, text
from compliance.api.spec import Blueprint
from compliance.errors import NotReadyError
from compliance.keys import Permission
from compliance.monitoring import Monitor
from compliance.service import Account

MAX_NOTE = 4000
JSON_ERRORS = {str(code): http.HTTPStatus(code).name for code in (400, 413, 415)}
bp = Blueprint("monitoring", __name__, url_prefix="/v1",
               description="Monitored accounts (re-screened when the lists change) and their alerts.")


class MonitoredAccountSchema(AccountSchema):
    """The fields of /v1/screen; `account_id` is required (an account is monitored under it)."""

    account_id = text(required=True, metadata={"description": "the platform's id for the account"})


class MonitoredSchema(ma.Schema):
    account_id = fields.String()
    input = fields.Dict(metadata={"description": "the account as enrolled"})
    fingerprint = fields.String(metadata={"description": "sha256 of the screened fields"})
    enrolled_at = fields.String()
    enrolled_by = fields.String(allow_none=True)


class MonitoredPageQuerySchema(ma.Schema):
    limit = fields.Integer(load_default=100, validate=Range(min=1, max=1000))
    cursor = text(256)


class MonitoredPageSchema(ma.Schema):
    accounts = fields.List(fields.Nested(MonitoredSchema), metadata={"description": "by account id"})
    next_cursor = fields.String(allow_none=True)


class AlertQuerySchema(ma.Schema):
    kind = fields.String(validate=OneOf(KINDS))
    account_id = text()
    entity_id = text()
    list = text(MAX_SHORT)
    acknowledged = fields.Boolean()
    limit = fields.Integer(load_default=100, validate=Range(min=1, max=MAX_PAGE))
    cursor = text(256)


class AlertSchema(ma.Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "listed, changed or delisted"})
    account_id = fields.String()
    entity_id = fields.String()
    entity_name = fields.String(allow_none=True)
    list = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    verdict = fields.String(allow_none=True)
    record_id = fields.String(allow_none=True, metadata={"description": "the audit record that raised it"})
    screening_id = fields.String(allow_none=True, metadata={"description": "listed/changed: decide on it"})
    refresh = fields.String(allow_none=True, metadata={"description": "the list versions, from -> to"})
    entity_fingerprint = fields.String()
    created_at = fields.String()
    acknowledged_at = fields.String(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)


class AcknowledgeSchema(ma.Schema):
    note = optional(MAX_NOTE, metadata={"description": "kept in the audit log"})


class AlertPageSchema(ma.Schema):
    alerts = fields.List(fields.Nested(AlertSchema), metadata={"description": "newest first"})
    next_cursor = fields.String(allow_none=True)


def monitor() -> Monitor:
    found = services().monitor
    if found is None:  # create_app always sets it up
        raise NotReadyError("monitoring is not set up")
    return found


@bp.post("/monitored-accounts")
@requires(Permission.SCREEN)
@bp.doc(responses=JSON_ERRORS)
@bp.arguments(MonitoredAccountSchema)
@bp.response(201, MonitoredSchema)
def enroll(parsed: dict[str, Any]) -> dict[str, Any]:
    """Enroll an account (the /v1/screen fields) for re-screening when the lists change.

    Enrolling an account id again replaces its fields; a review decision then lapses if the
    screened fields changed.
    """
    return monitor().enroll([Account(**parsed, input=request.get_json())], caller())[0]


@bp.get("/monitored-accounts")
@requires(Permission.SCREEN)
@bp.arguments(MonitoredPageQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, MonitoredPageSchema)
def accounts(query: dict[str, Any]) -> dict[str, Any]:
    """Monitored accounts by account id; pass `next_cursor` as `cursor` for more."""
    return monitor().page(query["limit"], query.get("cursor"))


@bp.get("/monitored-accounts/<account_id>")
@requires(Permission.SCREEN)
@bp.response(200, MonitoredSchema)
@bp.alt_response(404, response="NOT_FOUND")
def account(account_id: str) -> dict[str, Any]:
    """One monitored account."""
    return monitor().get(account_id)


@bp.delete("/monitored-accounts/<account_id>")
@requires(Permission.SCREEN)
@bp.response(200, MonitoredSchema)
@bp.alt_response(404, response="NOT_FOUND")
def remove(account_id: str) -> dict[str, Any]:
    """Stop monitoring an account (audited); its alerts stay."""
    return monitor().remove(account_id, caller())


@bp.get("/alerts")
@requires(Permission.REVIEW)
@bp.arguments(AlertQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, AlertPageSchema)
def alerts(query: dict[str, Any]) -> dict[str, Any]:
    """Alerts matching every filter given, newest first; pass `next_cursor` as `cursor` for more."""
    limit, cursor = query.pop("limit"), query.pop("cursor", None)
    filters = AlertFilter(list_id=query.pop("list", None), **query)
    return monitor().alerts.page(filters, limit, cursor)


@bp.get("/alerts/<alert_id>")
@requires(Permission.REVIEW)
@bp.response(200, AlertSchema)
@bp.alt_response(404, response="NOT_FOUND")
def alert(alert_id: str) -> dict[str, Any]:
    """One alert."""
    return monitor().alerts.get(alert_id)


@bp.post("/alerts/<alert_id>/acknowledge")
@requires(Permission.REVIEW)
@bp.doc(responses=JSON_ERRORS)
@bp.arguments(AcknowledgeSchema)
@bp.response(200, AlertSchema)
@bp.alt_response(404, response="NOT_FOUND")
def acknowledge(body: dict[str, Any], alert_id: str) -> dict[str, Any]:
    """Acknowledge an alert (audited, with the note if given; acknowledging again changes nothing)."""
    return monitor().alerts.acknowledge(alert_id, caller(), body.get("note"))
