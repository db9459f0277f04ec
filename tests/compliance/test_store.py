"""The store: schema creation, SQLite settings, the write lock, UTC timestamps, fork safety."""
from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, create_engine, inspect, select, text, update

from compliance.audit import Actor, AuditEvent, AuditLog
from compliance.store import BACKSTOP_CHECKPOINT_PAGES, Store, execute_plain, insert_rows

TABLES = {"audit_records", "audit_terms", "audit_head", "api_keys"}


def test_connect_creates_the_tables_once(store_url):
    first = Store.connect(store_url)
    AuditLog(first).append(AuditEvent("screen", Actor(name="t")))
    assert TABLES <= set(inspect(first.engine).get_table_names())
    again = Store.connect(store_url)  # tables exist: nothing recreated, the chain head is kept
    head = again.tables.audit_head
    with again.engine.connect() as conn:
        assert conn.execute(select(head.c.seq)).scalars().all() == [1]
    first.close()
    again.close()


def test_connect_adds_the_columns_a_store_made_by_an_earlier_release_lacks(store_url):
    first = Store.connect(store_url)
    jobs = first.tables.batch_jobs
    with first.begin_write() as conn:  # a job stored before batch_jobs.monitor existed
        conn.execute(text("ALTER TABLE batch_jobs DROP COLUMN monitor"))
        conn.execute(text("INSERT INTO batch_jobs (id, state, format, input_columns, mapping, input_path, input_bytes, "
                          "rows_total, rows_done, rows_failed, chunks_total, chunks_done, count_match, count_review, "
                          "count_clear, created_at) VALUES ('old', 'done', 'csv', '[]', '{}', 'x', 0, 0, 0, 0, 0, 0, "
                          "0, 0, 0, CURRENT_TIMESTAMP)"))
    first.close()
    again = Store.connect(store_url)
    assert "monitor" in {c["name"] for c in inspect(again.engine).get_columns("batch_jobs")}
    with again.engine.connect() as conn:
        assert conn.execute(select(jobs.c.id, jobs.c.monitor)).all() == [("old", False)]
    again.close()


def test_sqlite_settings(tmp_path):
    store = Store.connect(f"sqlite:///{tmp_path / 'new' / 'dir' / 'db.sqlite3'}")  # missing dirs are made
    with store.engine.connect() as conn:
        pragma = lambda name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") >= 5000
    store.close()


def test_unsupported_database_is_refused():
    with pytest.raises(ValueError, match="unsupported database"):
        Store.connect("mysql://localhost/x")


def test_a_write_transaction_holds_the_write_lock_from_its_start(store, store_url):
    """A second writer cannot start while the first is open, even before the first has written."""
    with store.begin_write():
        if store.backend == "sqlite":
            other = sqlite3.connect(store.engine.url.database, timeout=0.05, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        else:
            other = create_engine(store_url)
            with other.begin() as conn:
                got = conn.execute(text("SELECT pg_try_advisory_xact_lock("
                                        "hashtextextended('compliance.store:' || current_schema(), 0))")).scalar()
            other.dispose()
            assert got is False


def test_writers_wait_for_each_other(store):
    """A writer that finds the lock taken waits (busy timeout / lock wait) instead of failing."""
    log = AuditLog(store)
    holding, done = threading.Event(), []

    def second_writer() -> None:
        holding.wait(5)
        done.append(log.append(AuditEvent("screen", Actor(name="second"))))

    thread = threading.Thread(target=second_writer)
    thread.start()
    with store.begin_write() as conn:
        log.append_in(conn, [AuditEvent("screen", Actor(name="first"))])
        holding.set()
        thread.join(0.5)
        assert thread.is_alive() and not done  # still waiting for our lock
    thread.join(10)
    assert [r.seq for r in done] == [2] and log.verify().ok


def test_a_failed_write_transaction_leaves_nothing(store):
    log = AuditLog(store)
    with pytest.raises(RuntimeError), store.begin_write() as conn:
        log.append_in(conn, [AuditEvent("screen", Actor(name="x"))])
        raise RuntimeError("boom")
    report = log.verify()
    assert report.ok and report.checked == 0
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_records")).scalar() == 0


@pytest.mark.parametrize("given, stored", [
    (datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)),
    (datetime(2026, 1, 2, 5, 4, 5, tzinfo=timezone(timedelta(hours=2))), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
    (datetime(2026, 1, 2, 3, 4, 5), datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),  # naive: taken as UTC
])
def test_timestamps_are_stored_and_read_as_utc(store, given, stored):
    keys = store.tables.api_keys
    with store.begin_write() as conn:
        conn.execute(keys.insert().values(id="k", name="n", role="admin", secret_hash="0" * 64, created_at=given))
    with store.engine.connect() as conn:
        got = conn.execute(select(keys.c.created_at)).scalar_one()
    assert got == stored and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize("rows", [1, 3])
def test_insert_rows_stores_what_a_core_insert_stores(store, rows):
    """Timestamps (naive, other zones), dates and floats converted as SQLAlchemy would, on both backends."""
    keys, results, jobs = store.tables.api_keys, store.tables.batch_results, store.tables.batch_jobs
    zones = [UTC, timezone(timedelta(hours=2)), None]
    made = [{"id": f"k{n}", "name": "n", "role": "admin", "secret_hash": "0" * 64,
             "created_at": datetime(2026, 1, 2, 3, 4, 5, n, tzinfo=zones[n % 3]), "revoked_at": None}
            for n in range(rows)]
    job = {"id": "j", "state": "done", "format": "csv", "input_columns": "[]", "mapping": "{}", "input_path": "x",
           "input_bytes": 0, "created_at": datetime(2026, 1, 2, tzinfo=UTC)}
    found = [{"job_id": "j", "line": n + 2, "account_id": None if n else "a", "input": '["é"]', "verdict": "clear",
              "top_entity_id": None, "top_list": None, "top_name": None, "top_programs": None,
              "top_score": 0.5 + n, "match_count": 0, "error": None, "screening_id": None} for n in range(rows)]
    with store.begin_write() as conn:
        insert_rows(conn, keys, made)
        conn.execute(jobs.insert().values(job))
        insert_rows(conn, results, found)
        insert_rows(conn, results, [])
    with store.engine.connect() as conn:
        assert [dict(r._mapping) for r in conn.execute(select(keys).order_by(keys.c.id))] == [
            {**k, "created_at": k["created_at"].astimezone(UTC) if k["created_at"].tzinfo else
             k["created_at"].replace(tzinfo=UTC)} for k in made]
        assert [dict(r._mapping) for r in conn.execute(select(results).order_by(results.c.line))] == found


def test_plain_statements_read_and_write_as_sqlalchemy_does(store):
    """execute_plain, Store.read_one and read_all, on the driver's cursor: rows by column name with their
    values converted (UTC timestamps, None kept), literals bound, the caller's transaction used."""
    keys = store.tables.api_keys
    by_id = select(keys).where(keys.c.id == bindparam("key_id"))
    revoke = update(keys).where(keys.c.id == "k").values(revoked_at=text("created_at"))
    created = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    with store.begin_write() as conn:
        conn.execute(keys.insert().values(id="k", name="n", role="admin", secret_hash="0" * 64, created_at=created))
        assert execute_plain(conn, by_id, {"key_id": "k"}) == {
            "id": "k", "name": "n", "role": "admin", "secret_hash": "0" * 64, "created_at": created,
            "revoked_at": None}
        assert execute_plain(conn, revoke) is None
    with store.engine.connect() as conn:
        expected = dict(conn.execute(by_id, {"key_id": "k"}).one()._mapping)
    assert store.read_one(by_id, {"key_id": "k"}) == expected and expected["revoked_at"] == created
    assert store.read_one(by_id, {"key_id": "nosuchkey"}) is None
    with store.begin_write() as conn:
        conn.execute(keys.insert().values(id="l", name="n", role="auditor", secret_hash="1" * 64, created_at=created))
    by_name = select(keys).where(keys.c.name == bindparam("name")).order_by(keys.c.id.desc())
    with store.engine.connect() as conn:
        both = [dict(r._mapping) for r in conn.execute(by_name, {"name": "n"})]
    assert store.read_all(by_name, {"name": "n"}) == both and [r["id"] for r in both] == ["l", "k"]
    assert store.read_all(by_name, {"name": "nobody"}) == []
    with pytest.raises(ValueError, match="type conversion"), store.begin_write() as conn:
        execute_plain(conn, select(keys).where(keys.c.created_at > bindparam("since", type_=keys.c.created_at.type)),
                      {"since": created})


def test_insert_rows_refuses_rows_without_the_columns_that_have_python_defaults(store):
    with pytest.raises(ValueError, match="rows_total"), store.begin_write() as conn:
        insert_rows(conn, store.tables.batch_jobs, [{"id": "j"}])


def test_checkpoints_in_background_leave_the_log_to_a_thread(tmp_path, monkeypatch):
    """Inside the block, a commit does not checkpoint below the backstop; the thread does, soon after."""
    monkeypatch.setattr("compliance.store.CHECKPOINT_SECONDS", 0.01)
    path = tmp_path / "db.sqlite3"
    store = Store.connect(f"sqlite:///{path}")
    log = AuditLog(store)

    def pragma() -> int:
        with store.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()

    def grow() -> int:  # a few hundred pages of log, below SQLite's 1,000: never checkpointed inline
        before = path.stat().st_size
        log.append_many([AuditEvent("screen", Actor(name="x"), detail={"pad": "x" * 4000}) for _ in range(200)])
        return before

    assert pragma() == 1000
    before = grow()
    time.sleep(0.2)
    assert path.stat().st_size == before  # still only in the log
    with store.checkpoints_in_background(), store.checkpoints_in_background():  # one thread for both
        assert pragma() == BACKSTOP_CHECKPOINT_PAGES
        assert [t.name for t in threading.enumerate()].count("sqlite-checkpoint") == 1
        before = grow()
        deadline = time.monotonic() + 10
        while path.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert path.stat().st_size > before  # copied into the database file by the thread
    assert pragma() == 1000 and "sqlite-checkpoint" not in [t.name for t in threading.enumerate()]
    assert log.verify().ok
    store.close()


def test_checkpoints_in_background_end_with_their_block(store):
    with store.checkpoints_in_background():
        AuditLog(store).append(AuditEvent("screen", Actor(name="x")))
    assert "sqlite-checkpoint" not in [t.name for t in threading.enumerate()]


def _forked_worker(store: Store, worker: int) -> None:
    store.dispose()  # what gunicorn's post_fork does: never reuse the parent's connections
    log = AuditLog(store)
    for i in range(20):
        log.append(AuditEvent("screen", Actor(name=f"worker-{worker}"), detail={"i": i}))


def test_sqlite_writers_queue_across_threads_and_forked_processes(tmp_path):
    """A SQLite file's writers queue on WriterQueue's lock before BEGIN IMMEDIATE: a forked child
    (which inherits the parent's descriptor of the lock file, and must not share its lock) and
    another thread of the parent wait while the parent holds it, and go once it lets go."""
    store = Store.connect(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    queue = store._writers
    assert queue is not None and Store.connect("sqlite://")._writers is None  # files only
    fork = multiprocessing.get_context("fork")
    child_has_it = fork.Event()
    thread_has_it = threading.Event()

    def take(flag) -> None:
        with queue.held():
            flag.set()

    with queue.held():  # this thread's descriptor exists before the fork
        child = fork.Process(target=take, args=(child_has_it,))
        child.start()
        thread = threading.Thread(target=take, args=(thread_has_it,))
        thread.start()
        assert not child_has_it.wait(0.5) and not thread_has_it.is_set()  # both still waiting
    assert child_has_it.wait(10) and thread_has_it.wait(10)
    child.join(10)
    thread.join(10)
    assert child.exitcode == 0
    with store.begin_write() as conn:  # and the store's writes still go through it
        conn.execute(text("SELECT 1"))


def test_forked_workers_keep_one_chain_after_dispose(store):
    """gunicorn preloads the app, then forks: the workers' appends and the parent's form one chain."""
    log = AuditLog(store)
    log.append(AuditEvent("screen", Actor(name="parent")))  # the parent's pool now holds a connection
    fork = multiprocessing.get_context("fork")
    workers = [fork.Process(target=_forked_worker, args=(store, n)) for n in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
    assert [p.exitcode for p in workers] == [0, 0]
    last = log.append(AuditEvent("screen", Actor(name="parent")))
    report = log.verify()
    assert last.seq == 42 and report.ok and report.checked == 42
