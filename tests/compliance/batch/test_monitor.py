"""Batch jobs with monitor=true, on SQLite and PostgreSQL: every screened account is enrolled for
monitoring in the commit of its chunk (under the batch id in the audit log); rows without an
account id are bad rows; a CSV with no account_id column is refused before anything is queued."""
from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from compliance.audit import AuditFilter
from compliance.batch.inputs import Format, InputError
from compliance.batch.jobs import JobState
from compliance.batch.queue import ChunkQueue, LeaseLostError

from .conftest import csv_bytes, submit

ACCOUNTS = csv_bytes(["customer_no", "full_name", "country"], ("c1", "Ali Khamenei", "IR"), ("c2", "Jane Doe", ""),
                     ("", "Vladimir Putin", "RU"), ("c4", "Kim Jong Un", ""), ("c1", "Ali Khamenei", "IR"))
MAPPING = ("account_id=customer_no", "name=full_name")


def enrolled(service) -> dict[str, dict]:
    return {a["account_id"]: a for a in service.monitor.page(limit=100)["accounts"]}


def test_monitor_true_enrolls_every_screened_account_in_its_chunks_commit(batches):
    job = submit(batches, ACCOUNTS, mapping=MAPPING, monitor=True)
    assert job["monitor"] is True
    done = batches.run_job(job["id"], 1)
    assert done.state is JobState.DONE and (done.rows_done, done.rows_failed) == (5, 1)
    accounts = enrolled(batches)
    assert sorted(accounts) == ["c1", "c2", "c4"]  # c1 twice: enrolled once; the row without an id is not
    assert accounts["c1"]["input"] == {"customer_no": "c1", "full_name": "Ali Khamenei", "country": "IR"}
    assert batches.monitor.accounts(["c1"])["c1"].query.names == ("Ali Khamenei",)
    assert batches.monitor.accounts(["c1"])["c1"].query.countries == ("IR",)
    assert accounts["c1"]["enrolled_by"] == "test-screener"
    enrolls = batches.audit.query(AuditFilter(batch_id=job["id"], action="monitor.enroll")).records
    assert len(enrolls) == done.chunks_done == 2  # chunks of 3 rows: one enrollment record per chunk
    assert sorted(i for r in enrolls for i in r.detail["account_ids"]) == ["c1", "c1", "c2", "c4"]
    assert batches.audit.verify().ok
    errors = {r.line: r.error for r in _results(batches, job["id"]) if r.error}
    assert errors == {4: "line 4: account_id: monitor=true enrolls each account by its id, and this row has none"}


def test_without_monitor_nothing_is_enrolled(batches):
    job = submit(batches, ACCOUNTS, mapping=MAPPING)
    assert job["monitor"] is False
    done = batches.run_job(job["id"], 1)
    assert (done.rows_done, done.rows_failed) == (5, 0) and enrolled(batches) == {}
    [created] = batches.audit.query(AuditFilter(batch_id=job["id"], action="batch.create")).records
    assert created.detail["monitor"] is False


def test_a_csv_without_an_account_id_column_is_refused_before_anything_is_queued(batches):
    with pytest.raises(InputError, match="no `account_id` column: monitor=true") as refused:
        submit(batches, csv_bytes(["name"], ("Ali Khamenei",)), monitor=True)
    assert refused.value.status == 422
    jobs = batches.store.tables.batch_jobs
    with batches.store.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(jobs)) == 0
    assert batches.files.job_ids() == []


def test_jsonl_rows_without_an_account_id_are_bad_rows(batches):
    data = "".join(json.dumps(r) + "\n" for r in (
        {"account_id": "j1", "names": ["Kim Jong Un"]}, {"names": ["Jane Doe"]})).encode()
    done = batches.run_job(submit(batches, data, Format.JSONL, monitor=True)["id"], 1)
    assert (done.rows_done, done.rows_failed) == (2, 1) and sorted(enrolled(batches)) == ["j1"]


def test_a_chunk_whose_lease_was_lost_enrolls_nothing(batches):
    job = submit(batches, ACCOUNTS, mapping=MAPPING, monitor=True)
    worker = batches.worker()
    worker.queue = ChunkQueue(batches.store, lease_seconds=0.05)
    first = worker.queue.claim(job["id"])
    time.sleep(0.1)
    assert worker.queue.claim(job["id"]).chunk == first.chunk  # expired: another worker has it now
    with pytest.raises(LeaseLostError):
        worker._process(first)
    assert enrolled(batches) == {}
    assert batches.audit.query(AuditFilter(batch_id=job["id"], action="monitor.enroll")).records == []


def _results(service, job_id):
    t = service.store.tables.batch_results
    with service.store.engine.connect() as conn:
        return conn.execute(select(t).where(t.c.job_id == job_id).order_by(t.c.line)).all()
