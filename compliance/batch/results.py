"""A job's results: one row per input record, written with its chunk's commit; read as paged JSON
(by line, optionally one verdict or the failed rows only) or streamed as CSV.

CSV columns: the input's own (as given), then RESULT_COLUMNS. Results are read in batches on one
connection, so a CSV of millions of rows streams in flat memory.
"""
from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, select

from compliance import spreadsheet
from compliance.batch.inputs import Format
from compliance.batch.jobs import Job
from compliance.errors import InvalidInputError
from compliance.store import Store, insert_rows

RESULT_COLUMNS = ("verdict", "top_entity_id", "top_list", "top_name", "top_programs", "top_score", "match_count",
                  "error")
MAX_PAGE = 1000
# Rows read per round trip when streaming the CSV.
STREAM_ROWS = 2000


@dataclass(frozen=True)
class ResultRow:
    """The outcome for one input record."""

    line: int
    input: Any  # CSV: the list of cells; JSONL: the object (or the line's text, if not JSON)
    account_id: str | None = None
    verdict: str | None = None  # None: the row could not be screened (see error)
    top: Mapping[str, Any] | None = None  # entity_id, list, name, programs, score of the best match
    match_count: int = 0
    error: str | None = None
    screening_id: str | None = None  # the row's audit record


def result_row(line: int, given: Any, result: Mapping[str, Any], screening_id: str | None) -> ResultRow:
    """The row for a screening result (a `Screener` result document)."""
    matches = result["matches"]
    top = {k: matches[0][k] for k in ("entity_id", "list", "name", "programs", "score")} if matches else None
    return ResultRow(line, given, result["account_id"], result["verdict"], top, len(matches), None, screening_id)


class Results:
    """Result rows of jobs in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._t = store.tables.batch_results

    def write(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows (their `stored` forms) within the caller's transaction (a chunk's commit)."""
        insert_rows(conn, self._t, rows)

    def page(self, job: Job, limit: int = 100, cursor: str | None = None, verdict: str | None = None,
             failed: bool | None = None) -> dict[str, Any]:
        """Rows in line order after `cursor`; `verdict` or `failed` narrow them. Raises InvalidInputError."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInputError(f"limit must be between 1 and {MAX_PAGE}", [{"parameter": "limit",
                                                                             "detail": "out of range"}])
        t = self._t
        stmt = select(t).where(t.c.job_id == job.id).order_by(t.c.line).limit(limit + 1)
        if cursor is not None:
            stmt = stmt.where(t.c.line > _decode(cursor))
        if verdict is not None:
            stmt = stmt.where(t.c.verdict == verdict)
        if failed is not None:
            stmt = stmt.where(t.c.error.is_not(None) if failed else t.c.error.is_(None))
        with self.store.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        items = [_document(job, r) for r in rows[:limit]]
        return {"results": items, "next_cursor": _encode(items[-1]["row"]) if len(rows) > limit else None}

    def csv(self, job: Job) -> Iterator[str]:
        """The CSV text, in chunks: a header row, then every result row in line order."""
        t = self._t
        stmt = select(t).where(t.c.job_id == job.id).order_by(t.c.line)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(spreadsheet.row([*job.columns, *RESULT_COLUMNS]))
        yield _drain(buffer)
        with self.store.engine.connect() as conn:
            for part in conn.execution_options(yield_per=STREAM_ROWS).execute(stmt).partitions():
                writer.writerows(spreadsheet.row(_csv_cells(job, r)) for r in part)
                yield _drain(buffer)


def stored(job_id: str, r: ResultRow) -> dict[str, Any]:
    """A job's result row as batch_results holds it."""
    top = r.top or {}
    return {"job_id": job_id, "line": r.line, "account_id": r.account_id,
            "input": json.dumps(r.input, ensure_ascii=False, separators=(",", ":")), "verdict": r.verdict,
            "top_entity_id": top.get("entity_id"), "top_list": top.get("list"), "top_name": top.get("name"),
            "top_programs": json.dumps(top["programs"]) if r.top else None, "top_score": top.get("score"),
            "match_count": r.match_count, "error": r.error, "screening_id": r.screening_id}


def _document(job: Job, row: Row) -> dict[str, Any]:
    given = json.loads(row.input)
    if job.format is Format.CSV and isinstance(given, list):
        given = dict(zip(job.columns, given))
    top = None
    if row.top_entity_id is not None:
        top = {"entity_id": row.top_entity_id, "list": row.top_list, "name": row.top_name,
               "programs": json.loads(row.top_programs or "[]"), "score": row.top_score}
    return {"row": row.line, "account_id": row.account_id, "input": given, "verdict": row.verdict, "top_match": top,
            "match_count": row.match_count, "error": row.error, "screening_id": row.screening_id}


def _csv_cells(job: Job, row: Row) -> list[Any]:
    given = json.loads(row.input)
    if job.format is Format.CSV:
        cells = list(given)[:len(job.columns)] if isinstance(given, list) else []
        cells += [""] * (len(job.columns) - len(cells))
    else:
        cells = [_cell(given.get(c)) for c in job.columns] if isinstance(given, dict) else [""] * len(job.columns)
    programs = "; ".join(json.loads(row.top_programs)) if row.top_programs else ""
    score = "" if row.top_score is None else f"{row.top_score:.4f}"
    return [*cells, row.verdict or "", row.top_entity_id or "", row.top_list or "", row.top_name or "", programs,
            score, row.match_count, row.error or ""]


def _cell(value: Any) -> str:
    """A JSONL field as one CSV cell: lists joined by "; ", identifiers as type:value."""
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value)
    if isinstance(value, list) and all(isinstance(v, dict) and {"type", "value"} <= set(v) for v in value):
        return "; ".join(f"{v['type']}:{v['value']}" for v in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _encode(line: int) -> str:
    return base64.urlsafe_b64encode(f"r1:{line}".encode()).decode().rstrip("=")


def _decode(cursor: str) -> int:
    try:
        tag, _, line = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if tag == "r1" and line.isdigit():
            return int(line)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInputError("the cursor is not one this service issued", [{"parameter": "cursor",
                                                                        "detail": "not a results cursor"}])
