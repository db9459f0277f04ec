"""Batch screening jobs: upload an account file (202 + Location), follow the job, page or download
its results, cancel it. The file is streamed to disk, never held in memory; its size limit is
COMPLIANCE_BATCH_MAX_BYTES (checked here: the JSON body limit does not apply to uploads).
"""
from __future__ import annotations

import http
import sys
from typing import IO, Any

import marshmallow as ma
from flask import Response, request, url_for
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from compliance.api.auth import requires
from compliance.api.context import caller, consumes, services
from compliance.api.schemas import VERDICTS
from compliance.api.spec import Blueprint
from compliance.batch.inputs import Format
from compliance.batch.results import MAX_PAGE
from compliance.batch.service import BatchService
from compliance.errors import NotReadyError
from compliance.keys import Permission

bp = Blueprint("batches", __name__, url_prefix="/v1",
               description="Batch screening of account files (CSV or JSON Lines) of up to millions of rows.")
JSONL_TYPES = ("application/x-ndjson", "application/jsonl", "application/x-jsonlines")
UPLOAD_TYPES = ("text/csv", *JSONL_TYPES, "text/plain", "application/octet-stream", "multipart/form-data")
# The body hook's limit is lifted for uploads; the view applies settings.batch_max_bytes.
UNBOUNDED = sys.maxsize
UPLOAD_ERRORS = {str(code): http.HTTPStatus(code).name for code in (400, 413, 415, 422)}


class UploadQuerySchema(ma.Schema):
    format = fields.String(validate=OneOf([f.value for f in Format]),
                           metadata={"description": "default: from the media type or file name, else csv"})
    map = fields.List(fields.String(validate=Length(min=3, max=300)), validate=Length(max=50),
                      metadata={"description": "CSV column mapping items, repeatable: `name=first_name+last_name`, "
                                               "`account_id=customer_no`; unmapped fields are found by header name"})
    encoding = fields.String(validate=Length(min=1, max=40),
                             metadata={"description": "the file's encoding, if not UTF-8/UTF-16 (e.g. cp1252)"})
    monitor = fields.Boolean(load_default=False, metadata={
        "description": "true: also enroll each screened account for monitoring (every row needs an account_id)"})


class ResultsQuerySchema(ma.Schema):
    verdict = fields.String(validate=OneOf(VERDICTS))
    failed = fields.Boolean(metadata={"description": "true: only rows that could not be screened"})
    limit = fields.Integer(load_default=100, validate=Range(min=1, max=MAX_PAGE))
    cursor = fields.String(validate=Length(min=1, max=256))


class RowCountsSchema(ma.Schema):
    total = fields.Integer()
    done = fields.Integer(metadata={"description": "rows with a result, failed ones included"})
    failed = fields.Integer(metadata={"description": "rows that could not be screened (see their `error`)"})


class BatchJobSchema(ma.Schema):
    id = fields.String()
    state = fields.String(metadata={"description": "queued, running, done, failed or cancelled"})
    format = fields.String()
    rows = fields.Nested(RowCountsSchema)
    verdicts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rate = fields.Float(metadata={"description": "rows per second over the last minute"})
    eta_seconds = fields.Float(allow_none=True)
    created_at = fields.String()
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    error = fields.String(allow_none=True, metadata={"description": "why the job failed"})
    mapping = fields.Dict(allow_none=True, metadata={"description": "CSV: account field -> the columns used"})
    columns = fields.List(fields.String(), metadata={"description": "the input's columns (the results CSV's first)"})
    monitor = fields.Boolean(metadata={"description": "the screened accounts are enrolled for monitoring"})


class TopMatchSchema(ma.Schema):
    entity_id = fields.String()
    list = fields.String()
    name = fields.String()
    programs = fields.List(fields.String())
    score = fields.Float()


class BatchRowSchema(ma.Schema):
    row = fields.Integer(metadata={"description": "the line of the file the record starts on"})
    account_id = fields.String(allow_none=True)
    input = fields.Raw(metadata={"description": "the record as given"})
    verdict = fields.String(allow_none=True)
    top_match = fields.Nested(TopMatchSchema, allow_none=True)
    match_count = fields.Integer()
    error = fields.String(allow_none=True)
    screening_id = fields.String(allow_none=True, metadata={"description": "the row's audit record"})


class BatchResultsSchema(ma.Schema):
    results = fields.List(fields.Nested(BatchRowSchema), metadata={"description": "in row order"})
    next_cursor = fields.String(allow_none=True)


def batches() -> BatchService:
    found = services().batches
    if found is None:  # create_app always sets it up
        raise NotReadyError("batch jobs are not set up")
    return found


@bp.post("/batches")
@requires(Permission.SCREEN)
@consumes(*UPLOAD_TYPES, max_bytes=UNBOUNDED)
@bp.doc(responses=UPLOAD_ERRORS, requestBody={"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "format": "binary"}},
    "application/x-ndjson": {"schema": {"type": "string", "format": "binary"}},
    "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                   "format": "binary"}}}}}})
@bp.arguments(UploadQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(202, BatchJobSchema, headers={"Location": {"description": "the job", "schema": {"type": "string"}}})
def submit(query: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Queue a file of accounts: the body itself, or a multipart `file` field.

    CSV with a header row (columns by name, or `map`), or JSON Lines with the /v1/screen fields.
    The file is checked (encoding, header) before the 202; bad rows are reported per row. With
    `monitor=true` each screened account is also enrolled for monitoring, in the same commit as
    its result.
    """
    stream, fmt = _upload(query.get("format"))
    job = batches().submit(stream.read, fmt, caller(), query.get("map", ()), query.get("encoding"), query["monitor"])
    return job, {"Location": url_for("batches.job", job_id=job["id"])}


@bp.get("/batches/<job_id>")
@requires(Permission.SCREEN)
@bp.response(200, BatchJobSchema)
@bp.alt_response(404, response="NOT_FOUND")
def job(job_id: str) -> dict[str, Any]:
    """State, rows total / done / failed, counts by verdict, rate and ETA."""
    return batches().status(job_id)


@bp.get("/batches/<job_id>/results")
@requires(Permission.SCREEN)
@bp.arguments(ResultsQuerySchema, location="query", unknown=ma.RAISE)
@bp.response(200, BatchResultsSchema)
@bp.alt_response(404, response="NOT_FOUND")
def results(query: dict[str, Any], job_id: str) -> dict[str, Any]:
    """Results in row order, `limit` at a time; pass `next_cursor` as `cursor` for more."""
    return batches().page(job_id, query["limit"], query.get("cursor"), query.get("verdict"), query.get("failed"))


@bp.get("/batches/<job_id>/results.csv")
@requires(Permission.SCREEN)
@bp.response(200, content_type="text/csv", description="the input's columns, then verdict, top match, error")
@bp.alt_response(404, response="NOT_FOUND")
def results_csv(job_id: str) -> Response:
    """Every result row as CSV, streamed (the rows committed so far while the job runs)."""
    return Response(batches().csv(job_id), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="batch-{job_id}.csv"'})


@bp.delete("/batches/<job_id>")
@requires(Permission.SCREEN)
@bp.response(200, BatchJobSchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def cancel(job_id: str) -> dict[str, Any]:
    """Cancel a queued or running job; the results committed so far stay readable."""
    return batches().cancel(job_id, caller())


def _upload(given: str | None) -> tuple[IO[bytes], Format]:
    """The uploaded bytes (body or multipart `file`) and their format."""
    limit = services().settings.batch_max_bytes
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The file is over the limit of {limit} bytes.")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest("Send the file in a multipart field named `file`.")
        name, mimetype, stream = upload.filename or "", upload.mimetype, upload.stream
    else:
        name, mimetype, stream = "", request.mimetype, request.stream
    if given is not None:
        return stream, Format(given)
    jsonl = mimetype in JSONL_TYPES or name.lower().endswith((".jsonl", ".ndjson"))
    return stream, Format.JSONL if jsonl else Format.CSV
