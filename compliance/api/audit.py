"""The audit log for auditors: filtered pages, single records, streamed exports and chain verification."""
from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, request

from compliance.api.auth import requires
from compliance.api.context import audit_desk, caller
from compliance.api.responses import AuditPageSchema, AuditRecordSchema, ChainReportSchema
from compliance.api.schemas import AuditPageQuerySchema, AuditQuerySchema
from compliance.api.spec import Blueprint
from compliance.audit import AuditFilter
from compliance.keys import Permission

bp = Blueprint("audit", __name__, url_prefix="/v1",
               description="The append-only, hash-chained audit log (auditor and admin keys).")
EXPORT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


@bp.get("/audit")
@requires(Permission.AUDIT_READ)
@bp.arguments(AuditPageQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, AuditPageSchema)
def records(query: dict[str, Any]) -> dict[str, Any]:
    """Records matching every filter given, newest first; pass `next_cursor` as `cursor` for more."""
    limit, cursor = query.pop("limit"), query.pop("cursor", None)
    return audit_desk().page(AuditFilter(**query), limit, cursor)


@bp.get("/audit/<record_id>")
@requires(Permission.AUDIT_READ)
@bp.response(200, AuditRecordSchema)
@bp.alt_response(404, response="NOT_FOUND")
def record(record_id: str) -> dict[str, Any]:
    """One audit record, e.g. the one a `screening_id` names."""
    return audit_desk().record(record_id)


@bp.get("/audit/export.csv")
@requires(Permission.AUDIT_READ)
@bp.arguments(AuditQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, content_type=EXPORT_TYPES["csv"], description="CSV with a header row, oldest first")
def export_csv(query: dict[str, Any]) -> Response:
    """Stream the matching records as CSV (nested fields JSON-encoded); the export is audited."""
    return _export(query, "csv")


@bp.get("/audit/export.jsonl")
@requires(Permission.AUDIT_READ)
@bp.arguments(AuditQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, content_type=EXPORT_TYPES["jsonl"], description="one record per line, oldest first")
def export_jsonl(query: dict[str, Any]) -> Response:
    """Stream the matching records as JSON Lines; the export is audited."""
    return _export(query, "jsonl")


@bp.get("/audit/verify")
@requires(Permission.AUDIT_READ)
@bp.response(200, ChainReportSchema)
def verify() -> dict[str, Any]:
    """Walk the hash chain and report the first broken link, if any; the check is audited."""
    return audit_desk().verify(caller())


def _export(query: dict[str, Any], fmt: str) -> Response:
    chunks = audit_desk().export(AuditFilter(**query), fmt, caller(), request.args.to_dict())
    return Response(chunks, mimetype=EXPORT_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="audit.{fmt}"'})
