"""Database access with SQLAlchemy Core: one Engine, the schema, and serialized write transactions.

SQLite (WAL) by default, PostgreSQL (psycopg 3) by URL; tables are created when missing.

SQLite copies its write-ahead log back into the database file (a checkpoint, which syncs the
file to disk) inside whichever commit makes the log cross 1,000 pages: that writer then waits
for the disk. A process that writes a lot (a batch worker) can hand that to a thread of its own
instead (`Store.checkpoints_in_background`).
"""
from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (BigInteger, Boolean, Column, Connection, Date, DateTime, Dialect, Engine, Float, ForeignKey,
                        Index, Integer, MetaData, String, Table, Text, create_engine, event, false, insert, inspect,
                        make_url, select, text)
from sqlalchemy.engine.interfaces import Compiled
from sqlalchemy.sql.base import Executable
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from compliance.review_tables import ReviewTables

# Waiting writers queue for up to this long before SQLite gives up with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000
# A process checkpointing in the background does so this often; its commits still checkpoint
# past this many pages of log (40 MB: 10 times SQLite's default), should the thread fall behind.
# bench/audit.py, single appends: p99 10.5-10.8 ms inline, 4.9 ms with the thread; replayed batch
# chunks wait 3-7 us per row inside COMMIT inline, 0.1-0.2 us with it.
CHECKPOINT_SECONDS = 0.25
BACKSTOP_CHECKPOINT_PAGES = 10_000
# Execution option that makes the next BEGIN on a SQLite connection take the write lock.
_WRITE_OPTION = "compliance_write"
# The one row of audit_head: the chain's last seq and hash.
HEAD_ID = 1
GENESIS_HASH = "0" * 64
log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and read back timezone-aware (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# On SQLite a BIGINT primary key is not the rowid; INTEGER is, and holds 64 bits all the same.
SEQ = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class Tables:
    """The store's tables; later issues add theirs here and in `_define_tables`."""

    audit_records: Table
    audit_terms: Table
    audit_head: Table
    api_keys: Table
    batch_jobs: Table
    batch_chunks: Table
    batch_results: Table
    review: ReviewTables  # decisions, review queue, monitoring (compliance/review_tables.py)


def _define_tables(metadata: MetaData) -> Tables:
    records = _audit_records(metadata)
    # What a record can be found by beyond its columns: "entity:<id>" for each match,
    # "version:<v>" for each list in force (records written before the tenth session's release
    # also have "list_version:<list>@<v>"). Derived from the hashed content, and checked against
    # it by verify().
    terms = Table(
        "audit_terms", metadata,
        Column("term", String(), primary_key=True),
        Column("seq", SEQ, ForeignKey("audit_records.seq"), primary_key=True, autoincrement=False),
        Index("ix_audit_terms_seq", "seq"),
    )
    head = Table(
        "audit_head", metadata,
        Column("id", Integer(), primary_key=True, autoincrement=False),
        Column("seq", SEQ, nullable=False),
        Column("hash", String(64), nullable=False),
    )
    keys = Table(
        "api_keys", metadata,
        Column("id", String(32), primary_key=True),
        Column("name", String(), nullable=False),
        Column("role", String(16), nullable=False),
        Column("secret_hash", String(64), nullable=False),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("revoked_at", UTCDateTime()),
    )
    from compliance.review_tables import review_tables  # imports this module's column types

    return Tables(records, terms, head, keys, *_batch_tables(metadata), review_tables(metadata))


def _audit_records(metadata: MetaData) -> Table:
    records = Table(
        "audit_records", metadata,
        Column("seq", SEQ, primary_key=True, autoincrement=False),
        Column("id", String(36), nullable=False, unique=True),
        Column("ts", UTCDateTime(), nullable=False, index=True),
        Column("retain_until", Date(), nullable=False),
        Column("action", String(), nullable=False),
        *(Column(name, String()) for name in ("actor_key_id", "actor_name", "actor_role", "account_id",
                                              "verdict", "batch_id", "request_id", "client",
                                              "engine_version", "policy_version")),
        Column("status", Integer()),
        # JSON text, canonical (sorted keys, no whitespace), exactly as hashed
        *(Column(name, Text()) for name in ("input", "matches", "list_versions", "detail")),
        Column("hash_scheme", String(16), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )
    # (column, seq) indexes serve both the filter and the newest-first order of a page
    for name in ("action", "actor_key_id", "actor_name", "account_id", "verdict", "batch_id"):
        Index(f"ix_audit_records_{name}_seq", records.c[name], records.c.seq)
    return records


def _batch_tables(metadata: MetaData) -> tuple[Table, Table, Table]:
    """Batch screening (compliance/batch): jobs, their chunks (the work queue) and one result per row."""
    jobs = Table(
        "batch_jobs", metadata,
        Column("id", String(32), primary_key=True),
        Column("state", String(16), nullable=False, index=True),
        Column("format", String(8), nullable=False),
        Column("input_columns", Text(), nullable=False),  # JSON: the input's column names, in order
        Column("mapping", Text(), nullable=False),  # JSON: account field -> input columns
        Column("input_path", String(), nullable=False),  # the UTF-8 copy, relative to the instance dir
        Column("input_bytes", BigInteger(), nullable=False),
        *(Column(name, Integer(), nullable=False, default=0)
          for name in ("rows_total", "rows_done", "rows_failed", "chunks_total", "chunks_done",
                       "count_match", "count_review", "count_clear")),
        # who submitted it: the actor of every row's audit record
        *(Column(name, String()) for name in ("actor_key_id", "actor_name", "actor_role", "request_id", "client")),
        Column("created_at", UTCDateTime(), nullable=False),
        Column("started_at", UTCDateTime()),
        Column("finished_at", UTCDateTime()),
        Column("error", Text()),  # why the job failed (never row content)
        # monitor=true: each screened row's account is enrolled for monitoring in its chunk's commit
        Column("monitor", Boolean(), nullable=False, default=False, server_default=false()),
    )
    chunks = Table(
        "batch_chunks", metadata,
        Column("job_id", String(32), ForeignKey("batch_jobs.id"), primary_key=True),
        Column("seq", Integer(), primary_key=True, autoincrement=False),
        Column("start_offset", BigInteger(), nullable=False),  # bytes of the input copy
        Column("stop_offset", BigInteger(), nullable=False),
        Column("first_line", BigInteger(), nullable=False),  # the line number at start_offset
        Column("row_count", Integer(), nullable=False),
        Column("state", String(16), nullable=False),  # queued, leased, done
        Column("lease_token", String(32)),
        Column("lease_expires", UTCDateTime()),
        Column("attempts", Integer(), nullable=False, default=0),
        Column("finished_at", UTCDateTime()),
        Index("ix_batch_chunks_state", "state", "job_id", "seq"),
    )
    results = Table(
        "batch_results", metadata,
        Column("job_id", String(32), ForeignKey("batch_jobs.id"), primary_key=True),
        Column("line", BigInteger(), primary_key=True, autoincrement=False),  # where the record starts
        Column("account_id", String()),
        Column("input", Text(), nullable=False),  # JSON: the record as given (CSV cells, or the JSONL object)
        Column("verdict", String(8)),  # null for a row that could not be screened
        Column("top_entity_id", String()),
        Column("top_list", String()),
        Column("top_name", String()),
        Column("top_programs", Text()),  # JSON list
        Column("top_score", Float()),
        Column("match_count", Integer(), nullable=False),
        Column("error", Text()),
        Column("screening_id", String(36)),  # the row's audit record
        Index("ix_batch_results_verdict", "job_id", "verdict", "line"),
    )
    return jobs, chunks, results


class Store:
    """SQLAlchemy Core access: one Engine, the tables, schema creation."""

    def __init__(self, engine: Engine, metadata: MetaData, tables: Tables) -> None:
        self.engine = engine
        self.metadata = metadata
        self.tables = tables
        self._checkpointer: Checkpointer | None = None
        self._checkpoint_users = 0
        self._checkpointing = threading.Lock()
        self._writers: WriterQueue | None = None
        if self.backend == "sqlite":
            event.listen(engine, "connect", self._on_connect)
            if _sqlite_file(engine.url.database):
                self._writers = WriterQueue(f"{engine.url.database}.writers")

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        if self._checkpointer is not None:
            dbapi_connection.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_CHECKPOINT_PAGES}")

    @classmethod
    def connect(cls, url: str) -> Store:
        """Open the database at `url`, creating the tables (and the chain head) if missing."""
        metadata = MetaData()
        store = cls(_create_engine(url), metadata, _define_tables(metadata))
        with store.begin_write() as conn:
            metadata.create_all(conn)
            _add_missing_columns(conn, metadata)
            head = store.tables.audit_head
            if conn.scalar(select(head.c.id).where(head.c.id == HEAD_ID)) is None:
                conn.execute(insert(head).values(id=HEAD_ID, seq=0, hash=GENESIS_HASH))
        return store

    @property
    def backend(self) -> str:
        """The database in use: "sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @contextmanager
    def begin_write(self) -> Iterator[Connection]:
        """A transaction that holds the store's write lock from its first statement.

        Writers are serialized, readers never blocked. SQLite: BEGIN IMMEDIATE takes the database
        write lock at once (a deferred BEGIN could fail to upgrade later). PostgreSQL: a
        transaction-scoped advisory lock keyed by the current schema, so test schemas or several
        deployments in one database do not wait on each other. SQLite files: writers first queue
        on an OS lock (`WriterQueue`).
        """
        queued: AbstractContextManager = self._writers.held() if self._writers is not None else nullcontext()
        with queued, self.engine.connect() as conn:
            conn.execution_options(**{_WRITE_OPTION: True})
            with conn.begin():
                if self.backend == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock("
                                      "hashtextextended('compliance.store:' || current_schema(), 0))"))
                yield conn

    @contextmanager
    def checkpoints_in_background(self) -> Iterator[None]:
        """SQLite (a file): while the block runs, this process's connections leave checkpoints to a
        thread (`Checkpointer`, one for all the blocks running); nothing on PostgreSQL, which has
        no such wait. Enter it where the process will not fork (a batch worker's run): a forked
        child would not have the thread.
        """
        if self.backend != "sqlite" or not _sqlite_file(self.engine.url.database):
            yield
            return
        with self._checkpointing:
            self._checkpoint_users += 1
            if self._checkpoint_users == 1:
                self._checkpointer = Checkpointer(self.engine.url.database)
                self.engine.dispose()  # the connections opened from now on skip the inline checkpoint
        try:
            yield
        finally:
            with self._checkpointing:
                self._checkpoint_users -= 1
                if self._checkpoint_users == 0 and self._checkpointer is not None:
                    self._checkpointer.stop()
                    self._checkpointer = None
                    self.engine.dispose()  # and those opened after checkpoint inline again

    def read_one(self, statement: Executable, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first row of a read, as `execute_plain` gives it, on a pooled connection outside any
        transaction of ours: for the lookup every request makes (its API key)."""
        rows = self._read(statement, params, first_only=True)
        return rows[0] if rows else None

    def read_all(self, statement: Executable, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a read, as `read_one` gives the first: for the reads a screening makes."""
        return self._read(statement, params, first_only=False)

    def _read(self, statement: Executable, params: Mapping[str, Any] | None, first_only: bool) -> list[dict[str, Any]]:
        dbapi_connection = self.engine.raw_connection()
        try:
            return _plain_rows(dbapi_connection, self.engine.dialect, statement, params, first_only)
        finally:
            dbapi_connection.close()  # back to the pool, which ends the driver's transaction

    def dispose(self) -> None:
        """Drop the pool without closing its connections: call in a freshly forked worker.

        The parent's connections stay the parent's (closing a shared PostgreSQL socket from the
        child would end the parent's session); the worker opens its own on first use.
        """
        self.engine.dispose(close=False)

    def close(self) -> None:
        """Close every pooled connection (at shutdown, and in tests)."""
        self.engine.dispose()


class WriterQueue:
    """The writers of one SQLite file, queued on an exclusive `flock` of a file beside it.

    SQLite's own wait for its write lock (busy_timeout) polls in sleeps that grow to 100 ms: in a
    two-process test on the development machine, a writer whose rival let go after 230 ms got the
    lock only at 330 ms. The kernel hands a `flock` to the next waiter as soon as it is released,
    so BEGIN IMMEDIATE then finds SQLite's lock free. Every thread of every process holds its own
    descriptor (a lock belongs to a descriptor, which a fork would otherwise share).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()

    @contextmanager
    def held(self) -> Iterator[None]:
        fd = self._descriptor()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        own = getattr(self._local, "own", None)
        if own is None or own.pid != os.getpid():  # first use in this thread, or in a forked child
            own = self._local.own = _Descriptor(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        return own.fd


class _Descriptor:
    """A file descriptor of this process, closed when its thread's locals are dropped."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.pid = os.getpid()

    def __del__(self) -> None:
        try:
            os.close(self.fd)  # in a forked child, its copy: the parent's stays open, and its lock
        except OSError:
            pass


class Checkpointer:
    """A daemon thread that checkpoints a SQLite database every CHECKPOINT_SECONDS (PASSIVE: it
    never waits for, nor blocks, readers and writers), on its own connection; `stop` ends it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop checkpointing, and wait for the thread."""
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            while not self._stopping.wait(CHECKPOINT_SECONDS):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the writers' backstop checkpoints still run
                    log.warning("background checkpoint failed: %s", type(exc).__name__)
        finally:
            conn.close()


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT rows that all have the same keys, as `conn.execute(insert(table), rows)` does, in one
    executemany of the driver: without SQLAlchemy's per-row parameter handling, which costs more
    than SQLite's own insert (about 5 us a row; a batch chunk's commit inserts seven rows or more
    per screened row: its result, its audit record, and an index term per list in force and per
    match). Only the columns whose type converts values (timestamps and dates on SQLite) are
    converted, each distinct value once. The rows must give every column that has a Python-side
    default.
    """
    if not rows:
        return
    statement, keys, converters = _insert_plan(conn.dialect, table, tuple(rows[0]))
    if keys is None:  # named parameters (psycopg)
        params: list[Any] = [dict(row) for row in rows] if converters else list(rows)
    else:
        pick = itemgetter(*keys)
        params = [pick(row) for row in rows] if len(keys) > 1 else [(pick(row),) for row in rows]
        if converters:
            params = [list(p) for p in params]
    for where, convert in converters:
        done: dict[Any, Any] = {}
        for p in params:
            value = p[where]
            p[where] = done[value] if value in done else done.setdefault(value, convert(value))
    if keys is not None and converters:
        params = [tuple(p) for p in params]  # the driver's form
    with closing(conn.connection.cursor()) as cursor:
        cursor.executemany(statement, params)


@lru_cache(maxsize=64)
def _insert_plan(dialect: Dialect, table: Table, keys: tuple[str, ...]
                 ) -> tuple[str, tuple[str, ...] | None, tuple[tuple[Any, Callable[[Any], Any]], ...]]:
    """(the INSERT's text for `dialect`, the keys in parameter order or None for named parameters,
    (position or key, bind converter) of the columns that have one)."""
    defaulted = [c.name for c in table.c if c.name not in keys and c.default is not None]
    if defaulted:
        raise ValueError(f"insert_rows into {table.name} needs {', '.join(defaulted)} (Python-side defaults)")
    compiled = table.insert().compile(dialect=dialect, column_keys=list(keys))
    order = _parameter_order(compiled)
    converters = []
    for name in order or keys:
        convert = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if convert is not None:
            converters.append((order.index(name) if order else name, convert))
    return str(compiled), order, tuple(converters)


def execute_plain(conn: Connection, statement: Executable, params: Mapping[str, Any] | None = None
                  ) -> dict[str, Any] | None:
    """Run a statement on the driver's own cursor within `conn`'s transaction; its first row, if
    any, by column name, with values converted as SQLAlchemy would.

    For the statements of every request (the audit append reads and moves the chain head):
    SQLAlchemy's per-statement work (compiled-cache lookup, events, result objects) costs about
    ten times SQLite's own. Measured on a one-row select by primary key: 166 us through
    `conn.execute`, 136 us through `exec_driver_sql`, 12 us on the cursor (same process, this
    2-core machine under load). Each statement is compiled once per dialect and kept
    (`_plain_plan`): pass statements built once, not per call.
    """
    rows = _plain_rows(conn.connection, conn.dialect, statement, params, first_only=True)
    return rows[0] if rows else None


def _plain_rows(dbapi_connection: Any, dialect: Dialect, statement: Executable, params: Mapping[str, Any] | None,
                first_only: bool) -> list[dict[str, Any]]:
    sql, order, defaults, columns = _plain_plan(dialect, statement)
    values = {**defaults, **params} if params else defaults
    with closing(dbapi_connection.cursor()) as cursor:
        cursor.execute(sql, values if order is None else tuple(values[k] for k in order))
        if not cursor.description:
            return []
        if first_only:
            row = cursor.fetchone()
            rows = [] if row is None else [row]
        else:
            rows = cursor.fetchall()
    return [{name: convert(value) if convert is not None and value is not None else value
             for (name, convert), value in zip(columns, row)} for row in rows]


@lru_cache(maxsize=64)
def _plain_plan(dialect: Dialect, statement: Executable
                ) -> tuple[str, tuple[str, ...] | None, dict[str, Any], tuple[tuple[str, Any], ...]]:
    """(`statement`'s text for `dialect`, its parameter names in order or None for named ones,
    the values of the literals it binds, (name, result converter or None) of each column it
    returns). Parameters needing a type conversion are refused."""
    compiled = statement.compile(dialect=dialect)
    for name, bind in compiled.binds.items():
        if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
            raise ValueError(f"execute_plain: parameter {name} needs a type conversion")
    order = _parameter_order(compiled)
    defaults = {name: value for name, value in compiled.params.items() if value is not None}
    selected = getattr(statement, "selected_columns", ())
    columns = tuple((c.key, c.type.dialect_impl(dialect).result_processor(dialect, None)) for c in selected)
    return str(compiled), order, defaults, columns


def _parameter_order(compiled: Compiled) -> tuple[str, ...] | None:
    """The parameter names in the order a positional driver (sqlite3) takes them; None for named
    parameters (psycopg)."""
    return tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None


def _add_missing_columns(conn: Connection, metadata: MetaData) -> None:
    """Columns added to a table after a store was created: ALTER TABLE ... ADD COLUMN, with their
    server default (a later release's additive change; nothing is ever dropped or retyped)."""
    inspector = inspect(conn)
    compiler = conn.dialect.ddl_compiler(conn.dialect, None)
    for table in metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                if not column.nullable and column.server_default is None:
                    raise RuntimeError(f"cannot add {table.name}.{column.name} to an existing store: "
                                       "a NOT NULL column needs a server default")
                conn.execute(text(f"ALTER TABLE {compiler.preparer.format_table(table)} "
                                  f"ADD COLUMN {compiler.get_column_specification(column)}"))


def _sqlite_file(database: str | None) -> bool:
    """Whether a SQLite URL's database is a file (not in memory)."""
    return database not in (None, "", ":memory:")


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        # READ COMMITTED: after taking the write lock, each statement sees the latest commits
        return create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    if _sqlite_file(parsed.database):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # sqlite3 emits BEGIN itself at odd moments; we emit our own (see _sqlite_on_begin)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                   f"busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get(_WRITE_OPTION, False)
    with closing(conn.connection.cursor()) as cursor:  # the driver's: see execute_plain
        cursor.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
