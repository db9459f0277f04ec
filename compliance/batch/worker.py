"""A batch worker: lease a chunk, screen its rows, and commit in ONE transaction their results, one
"screen.batch_item" audit record per screened row, the enrollment of the screened accounts of a
monitor=true job, and the chunk's completion (`ChunkQueue.complete`): killed at any point, it
leaves all of a chunk or none of it. Screening is `Screener.screen_unrecorded`.

The commit holds the store's write lock, which every worker needs in turn: whatever does not
depend on the audit chain's head (the records' JSON, most of their hashed text, the result rows)
is built before it (`_Commit`), and the transaction only seals, inserts and counts.
"""
from __future__ import annotations

import gc
import logging
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from compliance.audit import AuditLog, Prepared, prepare
from compliance.batch.accounts import account_id_of, csv_account, json_account
from compliance.batch.inputs import Format, Record, RowError, json_object
from compliance.batch.intake import BatchFiles
from compliance.batch.jobs import Job, Jobs
from compliance.batch.queue import ChunkQueue, Lease, LeaseLostError, Tally
from compliance.batch.results import ResultRow, Results, result_row, stored
from compliance.errors import InvalidInputError, NotFoundError
from compliance.models import Query
from compliance.monitoring import Monitor
from compliance.reloading import ListReloader
from compliance.service import Account, Screener

if TYPE_CHECKING:
    from compliance.matching.engine import Engine

# Distinct queries whose screening a worker keeps (a clear result is a few hundred bytes).
CACHE_SIZE = 20_000
# The cyclic GC's thresholds while a worker runs (its process's: a pool child's, or the CLI's
# for a local job; the previous ones are back when it stops). What it keeps beyond the frozen
# index is large and acyclic: the engine's kept name work (~5 tracked objects an entry) and
# this cache of results (~4.5 an entry), ~200,000 objects once full. Python's defaults
# (700, 10, 10) walk them all in a full collection every ~2,900 rows, 180-300 ms each. With
# (50_000, 20, 100) a young collection waits until 50,000 more containers are alive than at
# the last one, which a worker (its objects die by reference counting) seldom reaches;
# garbage cycles, rare here, are still collected, later. `bench/batch.py --sample 60000
# --rows 100000`, with and without `--gc-thresholds 700,10,10`, alternating, two rounds each:
# the in-process pass 2,341 / 2,456 -> 3,137 / 3,163 rows/s (GC 20.5-21.4% -> 3.0-3.1% of
# its time, 3,334 -> 12 collections), end to end 3,502 / 3,461 -> 4,373 / 4,386 rows/s,
# verdicts identical; the largest worker 423 -> 447 MB. Not for the HTTP service: set in the
# engine for every process, they made gunicorn's workers' pauses longer (bench/http_api.py,
# two rounds against c27c684: p99 at concurrency 4 23.9 / 25.8 ms against 17.6 / 20.4, the
# longest request 58-63 ms against 25-30, the longest screen in-process 34-36 ms against
# 10-13).
GC_THRESHOLDS = (50_000, 20, 100)
# A worker in a pool of processes retires after screening this many rows: it ends after its
# chunk (committed, so nothing is lost or done twice) and the pool forks a fresh one from the
# process that built the engine, as gunicorn's max_requests and Celery's max_tasks_per_child
# do. Why: a worker's live data stops growing early (its caches are bounded, and their entries
# and items are level from 50,000 rows on), but its resident memory kept rising for millions
# of rows as Python's and the C library's allocators fragmented. At 50,000 rows each worker
# of a 100,000-row job on 2 processes does about all its rows before it would retire, and no
# worker of a longer job grows beyond that: `bench/batch.py --rows 1000000 --sample 2000`
# before and after, one after the other: the largest worker 433 -> 414 MB (417 MB at 100,000
# rows before), 4,414 -> 4,356 rows/s end to end, 2,631 -> 2,577 rows per CPU-second (fresh
# workers start with cold caches; one pair of runs cannot tell 2% from noise), verdicts
# identical. A worker that has reloaded refreshed lists keeps going: its replacement, forked
# from the process that built the first engine, would build the new one again.
RETIRE_AFTER_ROWS = 50_000
# After a database or file system error, a worker tries again this much later.
RETRY_SECONDS = 5.0
log = logging.getLogger(__name__)
Screened = tuple[dict[str, Any], tuple[str, ...]]


class ScreeningCache:
    """The last CACHE_SIZE screenings by query; each hit is the same result with the row's account id.

    A query is everything screened (names, handle, type, date, countries, identifiers, lists);
    the engine is deterministic, so a row gets exactly the result it would get alone. The review
    memory is per account: the worker applies it to the results, never through the cache.
    """

    def __init__(self, screener: Screener, size: int = CACHE_SIZE) -> None:
        self.screener = screener
        self.size = size
        self.hits = 0
        self._found: OrderedDict[Query, Screened] = OrderedDict()

    def screen(self, account: Account) -> Screened:
        found = self._found.get(account.query)
        if found is None:
            found = self._found[account.query] = self.screener.screen_unrecorded(account)
            if len(self._found) > self.size:
                self._found.popitem(last=False)
        else:
            self.hits += 1
            self._found.move_to_end(account.query)
        result, lists = found
        return {**result, "account_id": account.account_id}, lists


@dataclass
class _Outcome:
    line: int
    given: Any
    account: Account | None = None
    result: dict[str, Any] | None = None
    lists: tuple[str, ...] = ()
    error: str | None = None
    account_id: str | None = None  # of a row that is no account, if readable


@dataclass
class WorkerStats:
    """Where a worker's time went (seconds), for benchmarks and logs."""

    chunks: int = 0
    rows: int = 0
    read: float = 0.0
    screen: float = 0.0
    commit: float = 0.0


class Worker:
    """Processes chunks until told to stop."""

    def __init__(self, queue: ChunkQueue, jobs: Jobs, results: Results, files: BatchFiles, screener: Screener,
                 audit: AuditLog, monitor: Monitor, cache_size: int = CACHE_SIZE) -> None:
        self.queue, self.jobs, self.results, self.files = queue, jobs, results, files
        self.screener, self.audit, self.monitor = screener, audit, monitor
        self.cache = ScreeningCache(screener, cache_size)
        self.reloader: ListReloader | None = None  # polled between chunks: refreshed lists, see use()
        self.stats = WorkerStats()
        self._renew_every = queue.lease.total_seconds() / 3

    def run(self, stopping: Callable[[], bool], job_id: str | None = None, idle_seconds: float = 1.0,
            retire_after: int | None = None) -> None:
        """Process chunks until `stopping()` (checked between chunks), or `job_id` has ended, or
        (`retire_after`) once this run has screened that many rows with the engine it began with.

        A database that cannot be reached is waited for (the lease of the chunk in hand expires
        and the chunk is done again later), not a reason to stop. On SQLite, the log is
        checkpointed by a thread meanwhile, not in the chunks' commits (see `compliance.store`).
        The process's cyclic GC runs at GC_THRESHOLDS meanwhile.
        """
        before = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLDS)
        try:
            with self.queue.store.checkpoints_in_background():
                self._run(stopping, job_id, idle_seconds, retire_after)
        finally:
            gc.set_threshold(*before)

    def _run(self, stopping: Callable[[], bool], job_id: str | None, idle_seconds: float,
             retire_after: int | None) -> None:
        engine, rows = self.screener.engine, self.stats.rows
        while not stopping():
            try:
                if self.reloader is not None:
                    self.reloader.poll()
                if self.step(job_id):
                    if retire_after is not None and self.stats.rows - rows >= retire_after \
                            and self.screener.engine is engine:
                        log.info("batch worker retiring after %d rows", self.stats.rows - rows)
                        return
                    continue
                if job_id is not None and self.jobs.get(job_id).state.ended:
                    return
                self.sweep()
            except (SQLAlchemyError, OSError) as exc:
                log.error("batch worker: %s; retrying in %.0f s", type(exc).__name__, RETRY_SECONDS)
                time.sleep(RETRY_SECONDS)
                continue
            time.sleep(idle_seconds)  # nothing to lease: others hold the rest, or no job is queued

    def use(self, screener: Screener) -> Engine:
        """Screen the next chunks with this screener (reloaded lists); the cached results go.
        The engine replaced."""
        retired = self.screener.engine
        self.screener = screener
        self.cache = ScreeningCache(screener, self.cache.size)
        return retired

    def sweep(self) -> None:
        """Delete the input copies of jobs that have ended (e.g. failed while no worker held them)."""
        for job_id in self.files.job_ids():
            try:
                ended = self.jobs.get(job_id).state.ended
            except NotFoundError:  # still being taken in: its job is not stored yet
                continue
            if ended:
                self.files.remove(job_id)

    def step(self, job_id: str | None = None) -> bool:
        """Lease and process one chunk; False when there was none to lease."""
        lease = self.queue.claim(job_id)
        if lease is None:
            return False
        try:
            self._process(lease)
        except LeaseLostError:
            log.info("batch %s chunk %d: lease lost, nothing committed", lease.job_id, lease.chunk.seq)
        return True

    def _process(self, lease: Lease) -> None:
        job = self.jobs.get(lease.job_id)
        started = time.perf_counter()
        try:
            found = self.files.read_chunk(job.input_path, lease.chunk, job.format)
        except FileNotFoundError:
            if not self.jobs.get(job.id).state.ended:
                self.queue.fail(lease, "the job's input copy is missing from the instance directory")
            return
        if len(found) != lease.chunk.rows:
            self.queue.fail(lease, f"chunk {lease.chunk.seq} no longer holds the rows counted at intake")
            self.files.remove(job.id)
            return
        self.stats.read += time.perf_counter() - started
        outcomes = self._screen_chunk(job, lease, found)
        started = time.perf_counter()
        state = self.queue.complete(lease, self._commit(job, outcomes).write)
        self.stats.commit += time.perf_counter() - started
        self.stats.chunks += 1
        self.stats.rows += len(outcomes)
        if state.ended:
            log.info("batch %s %s: %d rows", job.id, state, job.rows_total)
            self.files.remove(job.id)

    def _screen_chunk(self, job: Job, lease: Lease, found: list[Record]) -> list[_Outcome]:
        started = renewed = time.perf_counter()
        outcomes = []
        for record in found:
            outcomes.append(self._row(job, record))
            if time.perf_counter() - renewed > self._renew_every:
                self.queue.renew(lease)  # a slow chunk keeps its lease; LeaseLostError if it was taken
                renewed = time.perf_counter()
        screened = [o for o in outcomes if o.account is not None and o.result is not None]
        # the review memory: the chunk's decisions in one query, rather than one per row with matches
        for o, result in zip(screened, self.screener.remember_all([(o.account, o.result) for o in screened]),
                             strict=True):
            o.result = result
        self.stats.screen += time.perf_counter() - started
        return outcomes

    def _row(self, job: Job, record: Record) -> _Outcome:
        outcome = _Outcome(record.line, [])
        try:
            if job.format is Format.CSV:
                if record.cells is None:
                    raise RowError(record.error or "not valid CSV")
                outcome.given = record.cells
                outcome.account = csv_account(record.cells, job.mapping)  # type: ignore[arg-type]
            else:
                outcome.given = record.data.decode("utf-8").strip()  # kept as text if it is not JSON
                outcome.given = json_object(record)
                outcome.account = json_account(outcome.given)
            if job.monitor and outcome.account.account_id is None:
                raise RowError("account_id: monitor=true enrolls each account by its id, and this row has none")
            outcome.result, outcome.lists = self.cache.screen(outcome.account)
        except RowError as exc:
            outcome.error = f"line {record.line}: {exc}"
            outcome.account_id = account_id_of(outcome.given, job.mapping)
        except InvalidInputError as exc:  # a `lists` filter naming a list not in use
            outcome.error = f"line {record.line}: lists: {exc.errors[0]['detail'] if exc.errors else exc.detail}"
        except Exception as exc:  # noqa: BLE001 - one row must not stop the job
            log.error("batch %s line %d: screening failed with %s", job.id, record.line, type(exc).__name__)
            outcome.error = f"line {record.line}: internal error while screening this row"
        return outcome

    def _commit(self, job: Job, outcomes: list[_Outcome]) -> _Commit:
        """The chunk's commit, built before it takes the write lock."""
        commit = _Commit(self, job)
        for o in outcomes:
            if o.result is None or o.account is None:
                account_id = o.account.account_id if o.account is not None else o.account_id
                commit.rows.append(stored(job.id, ResultRow(o.line, o.given, account_id, error=o.error)))
                continue
            commit.records.append(prepare(self.screener.batch_event(o.account, o.result, o.lists, job.caller,
                                                                    job.id, {"row": o.line})))
            commit.screened.append(len(commit.rows))
            commit.rows.append(stored(job.id, result_row(o.line, o.given, o.result, None)))
            commit.verdicts[o.result["verdict"]] += 1
            if job.monitor:
                commit.enroll.append(o.account)
        return commit


@dataclass
class _Commit:
    """A chunk's writes: its screened rows' audit records, prepared; its result rows, stored forms
    (each screened row's `screening_id` set once its record is sealed); the accounts to enroll."""

    worker: Worker
    job: Job
    records: list[Prepared] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    screened: list[int] = field(default_factory=list)  # the rows with a record, in the records' order
    verdicts: Counter[str] = field(default_factory=Counter)
    enroll: list[Account] = field(default_factory=list)

    def write(self, conn: Connection) -> Tally:
        """Within the chunk's commit: the audit records (one per screened row, in order), the
        result rows that name them, and for a monitor=true job the screened accounts' enrollment."""
        worker = self.worker
        for index, record in zip(self.screened, worker.audit.append_in(conn, self.records), strict=True):
            self.rows[index]["screening_id"] = record.id
        worker.results.write(conn, self.rows)
        if self.job.monitor:
            worker.monitor.enroll_in(conn, self.enroll, self.job.caller, batch_id=self.job.id)
        return Tally(len(self.rows), len(self.rows) - len(self.records), dict(self.verdicts))
