"""The work queue: chunks of active jobs, leased to one worker at a time and committed exactly once.

Leasing, renewing and completing chunks go through `ChunkQueue` alone (jobs.py only stores a new
job's chunks and reads their progress): a distributed queue could take its place.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Select, Table, and_, or_, select, update

from compliance.batch.intake import Chunk
from compliance.batch.jobs import ACTIVE, JobState, fail_in
from compliance.store import Store

# A chunk leased (and never committed) this often is taken to kill its workers.
MAX_ATTEMPTS = 5
LEASED, QUEUED, DONE = "leased", "queued", "done"


class LeaseLostError(Exception):
    """The lease expired and another worker took the chunk, or the job ended: commit nothing."""


@dataclass(frozen=True)
class Lease:
    job_id: str
    chunk: Chunk
    token: str
    attempt: int


@dataclass(frozen=True)
class Tally:
    """What a chunk's commit adds to its job's counts."""

    rows: int
    failed: int
    verdicts: dict[str, int] = field(default_factory=dict)


class ChunkQueue:
    """Leases chunks of active jobs to workers and commits them exactly once.

    claim: the first chunk (oldest job first) that is queued, or leased but expired, is leased to
    a new token (PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so claimers never wait on each
    other; SQLite: under the store's write lock). complete: ONE write transaction flips the chunk
    to done only if it is still leased to that token and its job still runs, writes what the
    caller gives (results, audit records) and moves the job's counts. A chunk whose lease expired
    `max_attempts` times (its workers keep dying on it) fails its job.
    """

    def __init__(self, store: Store, lease_seconds: float, max_attempts: int = MAX_ATTEMPTS) -> None:
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.store = store
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self._t = store.tables

    def claim(self, job_id: str | None = None) -> Lease | None:
        """Lease the next chunk (of `job_id` only, if given); None when there is none to do."""
        c, j = self._t.batch_chunks, self._t.batch_jobs
        now = datetime.now(UTC)
        with self._claiming() as conn:
            while True:
                row = conn.execute(self._next(now, job_id)).first()
                if row is None:
                    return None
                if row.state == LEASED and row.attempts >= self.max_attempts:
                    fail_in(conn, j, row.job_id, f"chunk {row.seq} (rows from line {row.first_line}) was abandoned "
                                               f"{row.attempts} times: its workers died while screening it")
                    continue
                token = uuid.uuid4().hex
                conn.execute(update(c).where(c.c.job_id == row.job_id, c.c.seq == row.seq)
                             .values(state=LEASED, lease_token=token, lease_expires=now + self.lease,
                                     attempts=c.c.attempts + 1))
                conn.execute(update(j).where(j.c.id == row.job_id, j.c.state == JobState.QUEUED)
                             .values(state=JobState.RUNNING, started_at=now))
                chunk = Chunk(row.seq, row.start_offset, row.stop_offset, row.first_line, row.row_count)
                return Lease(row.job_id, chunk, token, row.attempts + 1)

    def renew(self, lease: Lease) -> None:
        """Extend the lease by lease_seconds from now. Raises LeaseLostError if it is no longer ours."""
        c = self._t.batch_chunks
        with self._claiming() as conn:
            moved = conn.execute(update(c).where(*_ours(c, lease))
                                 .values(lease_expires=datetime.now(UTC) + self.lease)).rowcount
        if moved != 1:
            raise LeaseLostError(f"lost the lease on chunk {lease.chunk.seq} of {lease.job_id}")

    def complete(self, lease: Lease, write: Callable[[Connection], Tally]) -> JobState:
        """Commit the chunk: done, `write`'s rows, the job's counts; all or nothing. The job's state after.

        Raises LeaseLostError (nothing written) when the chunk is no longer leased to `lease`.
        """
        c, j = self._t.batch_chunks, self._t.batch_jobs
        now = datetime.now(UTC)
        with self.store.begin_write() as conn:
            taken = conn.execute(update(c).where(*_ours(c, lease))
                                 .values(state=DONE, lease_token=None, lease_expires=None, finished_at=now)).rowcount
            state = conn.scalar(select(j.c.state).where(j.c.id == lease.job_id))
            if taken != 1 or state != JobState.RUNNING:
                raise LeaseLostError(f"chunk {lease.chunk.seq} of {lease.job_id} is no longer ours ({state})")
            tally = write(conn)
            conn.execute(update(j).where(j.c.id == lease.job_id).values(
                rows_done=j.c.rows_done + tally.rows, rows_failed=j.c.rows_failed + tally.failed,
                chunks_done=j.c.chunks_done + 1,
                **{f"count_{v}": j.c[f"count_{v}"] + n for v, n in tally.verdicts.items()}))
            conn.execute(update(j).where(j.c.id == lease.job_id, j.c.chunks_done >= j.c.chunks_total)
                         .values(state=JobState.DONE, finished_at=now))
            return JobState(conn.execute(select(j.c.state).where(j.c.id == lease.job_id)).scalar_one())

    def fail(self, lease: Lease, reason: str) -> None:
        """Fail the lease's job (its input is gone or unreadable). `reason` holds no row content."""
        with self.store.begin_write() as conn:
            fail_in(conn, self._t.batch_jobs, lease.job_id, reason)

    def _next(self, now: datetime, job_id: str | None) -> Select:
        c, j = self._t.batch_chunks, self._t.batch_jobs
        due = or_(c.c.state == QUEUED, and_(c.c.state == LEASED, c.c.lease_expires < now))
        stmt = (select(c.c.job_id, c.c.seq, c.c.start_offset, c.c.stop_offset, c.c.first_line, c.c.row_count,
                       c.c.state, c.c.attempts)
                .join(j, j.c.id == c.c.job_id).where(j.c.state.in_(ACTIVE), due)
                .order_by(j.c.created_at, c.c.job_id, c.c.seq).limit(1))
        if job_id is not None:
            stmt = stmt.where(c.c.job_id == job_id)
        if self.store.backend == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=c)
        return stmt

    @contextmanager
    def _claiming(self) -> Iterator[Connection]:
        """PostgreSQL: a plain transaction (row locks suffice); SQLite: the write lock from the start."""
        if self.store.backend == "postgresql":
            with self.store.engine.begin() as conn:
                yield conn
        else:
            with self.store.begin_write() as conn:
                yield conn


def _ours(c: Table, lease: Lease) -> tuple:
    return c.c.job_id == lease.job_id, c.c.seq == lease.chunk.seq, c.c.state == LEASED, c.c.lease_token == lease.token

