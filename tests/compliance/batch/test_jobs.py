"""Job lifecycle on SQLite and PostgreSQL: queued -> running -> done, every row exactly one result,
audited under the batch id; bad rows reported; cancel; leases that expire, are lost, or keep dying."""
from __future__ import annotations

import gc
import threading
import time

import pytest
from sqlalchemy import func, select

from compliance.audit import AuditFilter
from compliance.batch import pool
from compliance.batch import service as batch_service
from compliance.batch.inputs import Format
from compliance.batch.jobs import JobState, JobStateError
from compliance.batch.queue import ChunkQueue, LeaseLostError, Tally
from compliance.batch.worker import GC_THRESHOLDS
from compliance.errors import NotFoundError
from compliance.matching.engine import Engine
from compliance.service import Screener

from .conftest import CALLER, csv_bytes, submit

NAMES = ["Ali Khamenei", "Jane Doe", "Vladimir Putin", "Wilhelmina Quartermaine", "Ali Khamenei", "Kim Jong Un",
         "Joseph Bloggs"]
ACCOUNTS = csv_bytes(["account_id", "name"], *[(f"a{i}", n) for i, n in enumerate(NAMES)])


def results_of(service, job_id):
    t = service.store.tables.batch_results
    with service.store.engine.connect() as conn:
        return conn.execute(select(t).where(t.c.job_id == job_id).order_by(t.c.line)).all()


def batch_items(service, job_id):
    return service.audit.query(AuditFilter(batch_id=job_id, action="screen.batch_item"), limit=1000).records


def test_a_job_runs_from_queued_to_done_with_one_result_and_one_audit_record_per_row(batches):
    job = submit(batches, ACCOUNTS)
    assert job["state"] == "queued" and job["rows"] == {"total": 7, "done": 0, "failed": 0}
    assert job["mapping"] == {"account_id": ["account_id"], "name": ["name"]}
    assert batches.worker().step(job["id"])
    assert batches.status(job["id"])["state"] == "running"
    done = batches.run_job(job["id"], 1)
    assert done.state is JobState.DONE and (done.rows_done, done.rows_failed, done.chunks_done) == (7, 0, 3)
    assert done.verdicts["match"] >= 3 and sum(done.verdicts.values()) == 7
    rows = results_of(batches, job["id"])
    assert [r.line for r in rows] == list(range(2, 9)) and [r.account_id for r in rows] == [f"a{i}" for i in range(7)]
    items = batch_items(batches, job["id"])
    assert sorted(r.detail["row"] for r in items) == list(range(2, 9))
    assert {r.id for r in items} == {r.screening_id for r in rows}
    assert all(r.actor == CALLER.actor and r.request_id == "req-1" for r in items)
    assert [r.action for r in batches.audit.query(AuditFilter(batch_id=job["id"], action="batch.create")).records]
    assert batches.audit.verify().ok
    assert not (batches.settings.instance_dir / "batches" / job["id"]).exists()  # the copy goes when the job ends
    status = batches.status(job["id"])
    assert status["rate"] > 0 and status["eta_seconds"] == 0.0 and status["finished_at"]


def test_a_chunk_commit_only_seals_and_inserts_under_the_write_lock(batches, monkeypatch):
    """The rows' audit records are encoded before the chunk's transaction takes the write lock."""
    import compliance.audit

    job = submit(batches, ACCOUNTS)
    encoded_under_lock = []
    prepare = compliance.audit.prepare
    monkeypatch.setattr(compliance.audit, "prepare", lambda event: encoded_under_lock.append(event) or prepare(event))
    batches.run_job(job["id"], 1)
    assert not encoded_under_lock
    assert len(batch_items(batches, job["id"])) == 7 and batches.audit.verify().ok


def test_identical_rows_are_screened_once_with_exactly_the_result_of_screening_alone(batches):
    job = submit(batches, ACCOUNTS)
    worker = batches.worker()
    worker.run(lambda: False, job["id"])
    assert worker.cache.hits >= 1  # "Ali Khamenei" twice
    rows = {r.account_id: r for r in results_of(batches, job["id"])}
    first, again = rows["a0"], rows["a4"]
    assert (first.verdict, first.top_entity_id, first.top_score, first.match_count) == \
        (again.verdict, again.top_entity_id, again.top_score, again.match_count)
    records = {r.account_id: r for r in batch_items(batches, job["id"])}
    assert records["a0"].matches == records["a4"].matches and records["a4"].input["account_id"] == "a4"


def test_a_worker_runs_at_its_own_gc_thresholds_and_gives_the_process_back_its_own(batches):
    """Python's defaults cost a batch worker a fifth of its time (see GC_THRESHOLDS); the
    process (the CLI's, here the tests') has its thresholds back when the worker stops, even
    by an exception."""
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    seen = []

    def stopping():
        seen.append(gc.get_threshold())
        if len(seen) > 1:
            raise KeyboardInterrupt
        return False

    try:
        job = submit(batches, ACCOUNTS)
        with pytest.raises(KeyboardInterrupt):
            batches.worker().run(stopping, job["id"])
        assert seen == [GC_THRESHOLDS, GC_THRESHOLDS] and GC_THRESHOLDS != (700, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_a_worker_retires_after_its_rows_between_chunks_and_the_next_one_finishes_the_job(batches):
    """Three chunks (3 + 3 + 1 rows): a worker told to retire after 3 rows ends after its first
    chunk, committed; another finishes the job; every row has exactly one result and one record."""
    job = submit(batches, ACCOUNTS)
    first = batches.worker()
    first.run(lambda: False, job["id"], idle_seconds=0.01, retire_after=3)
    assert (first.stats.chunks, first.stats.rows) == (1, 3)
    assert batches.status(job["id"])["state"] == "running"
    assert batches.status(job["id"])["rows"]["done"] == 3
    second = batches.worker()
    second.run(lambda: False, job["id"], idle_seconds=0.01)
    assert (second.stats.chunks, second.stats.rows) == (2, 4)
    assert batches.status(job["id"])["state"] == "done"
    assert [r.line for r in results_of(batches, job["id"])] == list(range(2, 9))
    assert sorted(r.detail["row"] for r in batch_items(batches, job["id"])) == list(range(2, 9))
    assert batches.audit.verify().ok


def test_a_worker_that_reloaded_lists_does_not_retire(batches, default_watchlists):
    """Its replacement, forked from the process that built the first engine, would build the
    new one again: it keeps going."""
    job = submit(batches, ACCOUNTS)
    worker = batches.worker()
    screener = batches.screener
    reloaded = Engine.build(default_watchlists.lists[0].entities[:20])  # any engine but the first
    calls = []

    def stopping():
        if not calls:
            worker.use(Screener(reloaded, screener.watchlists, screener.audit, screener.settings))
        calls.append(1)
        return False

    worker.run(stopping, job["id"], idle_seconds=0.01, retire_after=1)
    assert worker.stats.chunks == 3 and batches.status(job["id"])["state"] == "done"


@pytest.mark.timeout(120, method="signal")  # a pool that waited RESTART_DELAY would hang here
def test_a_pool_replaces_its_retiring_workers_until_the_job_is_done(batches, monkeypatch):
    """Processes that retire after every chunk: the pool forks new ones at once (not after the
    delay it gives failing ones), and the job ends with every row exactly once."""
    forks = []
    fork = pool._fork

    def counted(*args):
        forks.append(fork(*args))
        return forks[-1]

    monkeypatch.setattr(pool, "_fork", counted)
    monkeypatch.setattr(batch_service, "RETIRE_AFTER_ROWS", 1)
    monkeypatch.setattr(pool, "RESTART_DELAY", 600.0)  # a child that failed would stall the job
    job = submit(batches, ACCOUNTS)
    done = batches.run_job(job["id"], 2)
    assert done.state is JobState.DONE and (done.rows_done, done.chunks_done) == (7, 3)
    assert len(forks) >= 3  # two children at first, each ending after one chunk
    assert [r.line for r in results_of(batches, job["id"])] == list(range(2, 9))
    assert len(batch_items(batches, job["id"])) == 7 and batches.audit.verify().ok


def test_bad_rows_get_their_line_and_reason_and_the_job_goes_on(batches):
    data = b"account_id,name,date_of_birth\n1,Ali Khamenei,1939\n2,,\n3,Bob,31/12/1980\n\n4,\"unclosed,x\n"
    done = batches.run_job(submit(batches, data)["id"], 1)
    assert done.state is JobState.DONE and (done.rows_total, done.rows_done, done.rows_failed) == (4, 4, 3)
    errors = {r.line: r.error for r in results_of(batches, done.id)}
    assert errors == {2: None, 3: "line 3: nothing to screen: no name, handle or identifiers",
                      4: "line 4: date_of_birth: use YYYY, YYYY-MM or YYYY-MM-DD (a real date)",
                      6: "line 6: not valid CSV: a quoted cell is not closed"}
    assert len(batch_items(batches, done.id)) == 1  # refused rows are not screened, so not recorded


def test_jsonl_jobs_and_rows_naming_lists_not_in_use(batches):
    data = b'{"names": ["Ali Khamenei"], "lists": ["ofac_sdn"]}\n{"names": ["Ali"], "lists": ["nope"]}\n{"x": 1}\n'
    done = batches.run_job(submit(batches, data, Format.JSONL)["id"], 1)
    rows = results_of(batches, done.id)
    assert [r.verdict for r in rows] == ["match", None, None]
    assert "lists:" in rows[1].error and "unknown list 'nope'" in rows[1].error
    assert rows[2].error == "line 3: unknown field 'x': the fields are those of /v1/screen"


def test_a_header_only_file_is_done_at_once(batches):
    job = submit(batches, b"account_id,name\r\n")
    assert job["state"] == "done" and job["rows"]["total"] == 0
    assert batches.worker().step() is False


def test_cancel_stops_leasing_and_keeps_what_was_committed(batches):
    job = submit(batches, ACCOUNTS)
    worker = batches.worker()
    assert worker.step(job["id"])
    cancelled = batches.cancel(job["id"], CALLER)
    assert cancelled["state"] == "cancelled" and cancelled["rows"]["done"] == 3
    assert worker.step() is False and len(results_of(batches, job["id"])) == 3
    assert batches.cancel(job["id"], CALLER)["state"] == "cancelled"  # again: no change
    assert len(batches.audit.query(AuditFilter(batch_id=job["id"], action="batch.cancel")).records) == 1
    finished = batches.run_job(submit(batches, ACCOUNTS)["id"], 1)
    with pytest.raises(JobStateError):
        batches.cancel(finished.id, CALLER)
    with pytest.raises(NotFoundError):
        batches.cancel("nope", CALLER)


def test_an_expired_lease_goes_to_another_worker_and_the_first_commits_nothing(batches):
    job = submit(batches, ACCOUNTS)
    queue = ChunkQueue(batches.store, lease_seconds=0.05)
    first = queue.claim(job["id"])
    time.sleep(0.1)
    second = queue.claim(job["id"])
    assert (second.chunk, second.attempt) == (first.chunk, 2)
    with pytest.raises(LeaseLostError):
        queue.complete(first, lambda conn: pytest.fail("must not write"))
    with pytest.raises(LeaseLostError):
        queue.renew(first)
    assert queue.complete(second, lambda conn: Tally(3, 3)) is JobState.RUNNING
    assert batches.status(job["id"])["rows"] == {"total": 7, "done": 3, "failed": 3}
    with pytest.raises(LeaseLostError):
        queue.complete(second, lambda conn: Tally(3, 3))  # once only


def test_a_chunk_whose_workers_keep_dying_fails_its_job(batches):
    job = submit(batches, ACCOUNTS)
    queue = ChunkQueue(batches.store, lease_seconds=0.01, max_attempts=2)
    for _ in range(2):
        assert queue.claim(job["id"]).chunk.seq == 0
        time.sleep(0.02)
    assert queue.claim(job["id"]) is None
    failed = batches.status(job["id"])
    assert failed["state"] == "failed" and "abandoned 2 times" in failed["error"]
    taking_in = batches.settings.instance_dir / "batches" / ("f" * 32)  # an intake under way: no job yet
    taking_in.mkdir(parents=True)
    batches.worker().sweep()  # what an idle worker does: ended jobs' input copies go
    assert batches.files.job_ids() == ["f" * 32]


def test_concurrent_claims_lease_each_chunk_once(batches):
    rows = [(f"a{i}", f"Person {i}") for i in range(60)]
    job = submit(batches, csv_bytes(["account_id", "name"], *rows))
    claimed, lock = [], threading.Lock()

    def claim_all() -> None:
        while (lease := batches.queue.claim()) is not None:
            with lock:
                claimed.append(lease.chunk.seq)

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(claimed) == list(range(20)) and batches.status(job["id"])["state"] == "running"


def test_a_job_whose_input_copy_is_gone_fails(batches):
    job = submit(batches, ACCOUNTS)
    batches.files.remove(job["id"])
    assert batches.worker().step() is True
    failed = batches.status(job["id"])
    assert failed["state"] == "failed" and "input copy is missing" in failed["error"]
    chunks = batches.store.tables.batch_chunks
    with batches.store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(chunks).where(chunks.c.state == "done")) == 0
