"""Batch jobs in the store: creation (with their chunks), state, counts, rate and ETA, cancel, fail.

States: queued -> running (a worker leased a first chunk) -> done (every chunk committed);
queued/running -> cancelled (DELETE) or failed (input lost, a chunk that kills its workers).
Ended jobs never change again. Counts move only in the transaction that commits a chunk.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Row, Table, func, insert, select, update

from compliance.audit import Actor, AuditEvent, AuditLog
from compliance.batch.columns import ColumnMap
from compliance.batch.inputs import Format
from compliance.batch.intake import Chunk, Intake
from compliance.errors import TYPE_BASE, ConflictError, NotFoundError
from compliance.service import Caller
from compliance.store import Store

# The rate is measured over the chunks committed in this last stretch of time.
RATE_WINDOW = timedelta(seconds=60)
VERDICTS = ("match", "review", "clear")


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def ended(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


ACTIVE = (JobState.QUEUED.value, JobState.RUNNING.value)


class JobStateError(ConflictError):
    """The job has ended and cannot be changed (e.g. cancelling a finished job)."""

    type = TYPE_BASE + "batch-ended"


@dataclass(frozen=True)
class Job:
    """A job as stored."""

    id: str
    state: JobState
    format: Format
    columns: tuple[str, ...]
    mapping: ColumnMap | None
    input_path: str
    input_bytes: int
    rows_total: int
    rows_done: int
    rows_failed: int
    chunks_total: int
    chunks_done: int
    verdicts: dict[str, int]
    caller: Caller
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    monitor: bool = False  # enroll each screened row's account for monitoring

    @classmethod
    def from_row(cls, row: Row) -> Job:
        m = row._mapping
        columns = tuple(json.loads(m["input_columns"]))
        fmt = Format(m["format"])
        mapping = ColumnMap.from_json(columns, json.loads(m["mapping"])) if fmt is Format.CSV else None
        caller = Caller(Actor(m["actor_key_id"], m["actor_name"], m["actor_role"]), m["request_id"], m["client"])
        return cls(m["id"], JobState(m["state"]), fmt, columns, mapping, m["input_path"], m["input_bytes"],
                   m["rows_total"], m["rows_done"], m["rows_failed"], m["chunks_total"], m["chunks_done"],
                   {v: m[f"count_{v}"] for v in VERDICTS}, caller, m["created_at"], m["started_at"],
                   m["finished_at"], m["error"], bool(m["monitor"]))


class Jobs:
    """Creates, reads and ends jobs; every creation and cancellation is audited."""

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
        self._t = store.tables

    def create(self, job_id: str, fmt: Format, intake: Intake, caller: Caller, monitor: bool = False) -> Job:
        """Store the job and its chunks, queued (or done at once when it has no rows)."""
        now = datetime.now(UTC)
        empty = not intake.chunks
        row = {"id": job_id, "state": JobState.DONE if empty else JobState.QUEUED, "format": fmt.value,
               "input_columns": json.dumps(intake.column_names),
               "mapping": json.dumps(intake.columns.to_json() if intake.columns else {}),
               "input_path": intake.path, "input_bytes": intake.size, "rows_total": intake.rows,
               "chunks_total": len(intake.chunks), "actor_key_id": caller.actor.key_id,
               "actor_name": caller.actor.name, "actor_role": caller.actor.role, "request_id": caller.request_id,
               "client": caller.client, "created_at": now, "finished_at": now if empty else None, "monitor": monitor}
        with self.store.begin_write() as conn:
            conn.execute(insert(self._t.batch_jobs).values(row))
            for part in _batches(intake.chunks, 1000):
                conn.execute(insert(self._t.batch_chunks), [_chunk_row(job_id, c) for c in part])
            self.audit.append_in(conn, [self._event("batch.create", job_id, caller, {
                "format": fmt.value, "rows": intake.rows, "bytes": intake.size, "chunks": len(intake.chunks),
                "monitor": monitor})])
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        """Raises NotFoundError."""
        jobs = self._t.batch_jobs
        with self.store.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no batch job {job_id!r}")
        return Job.from_row(row)

    def cancel(self, job_id: str, caller: Caller) -> Job:
        """Stop a queued or running job: no chunk is leased again; committed results stay.

        Cancelling a cancelled job changes nothing; a done or failed one raises JobStateError.
        """
        jobs = self._t.batch_jobs
        with self.store.begin_write() as conn:
            state = conn.scalar(select(jobs.c.state).where(jobs.c.id == job_id))
            if state is None:
                raise NotFoundError(f"no batch job {job_id!r}")
            if state in ACTIVE:
                conn.execute(update(jobs).where(jobs.c.id == job_id)
                             .values(state=JobState.CANCELLED, finished_at=datetime.now(UTC)))
                self.audit.append_in(conn, [self._event("batch.cancel", job_id, caller, {"was": state})])
            elif state != JobState.CANCELLED:
                raise JobStateError(f"batch job {job_id} has ended ({state}): there is nothing to cancel")
        return self.get(job_id)

    def rate(self, job: Job, now: datetime | None = None) -> tuple[float, float | None]:
        """(rows per second, seconds left or None): over the last RATE_WINDOW while running."""
        now = now or datetime.now(UTC)
        if job.started_at is None:
            return 0.0, None
        if job.state.ended:
            seconds = max((job.finished_at or now) - job.started_at, timedelta(milliseconds=1)).total_seconds()
            return job.rows_done / seconds, 0.0 if job.state is JobState.DONE else None
        since = max(job.started_at, now - RATE_WINDOW)
        chunks = self._t.batch_chunks
        with self.store.engine.connect() as conn:
            recent = conn.scalar(select(func.coalesce(func.sum(chunks.c.row_count), 0))
                                 .where(chunks.c.job_id == job.id, chunks.c.finished_at >= since))
        rate = (recent or 0) / max((now - since).total_seconds(), 1.0)
        return rate, (job.rows_total - job.rows_done) / rate if rate > 0 else None

    def _event(self, action: str, job_id: str, caller: Caller, detail: dict[str, Any]) -> AuditEvent:
        return AuditEvent(action=action, actor=caller.actor, request_id=caller.request_id, client=caller.client,
                          batch_id=job_id, detail=detail)


def fail_in(conn: Connection, jobs: Table, job_id: str, reason: str) -> None:
    """End an active job as failed, within the caller's transaction. `reason` holds no row content."""
    conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.state.in_(ACTIVE))
                 .values(state=JobState.FAILED, finished_at=datetime.now(UTC), error=reason))


def _chunk_row(job_id: str, chunk: Chunk) -> dict[str, Any]:
    return {"job_id": job_id, "seq": chunk.seq, "start_offset": chunk.start, "stop_offset": chunk.stop,
            "first_line": chunk.first_line, "row_count": chunk.rows, "state": "queued", "attempts": 0}


def _batches(items: list[Chunk], size: int) -> list[list[Chunk]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
