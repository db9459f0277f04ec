"""Durability, for real: `python -m compliance worker` is SIGKILLed in the middle of a job (after
some chunks committed), a second worker finishes it, and every row has exactly one result and
exactly one "screen.batch_item" audit record, and the audit chain verifies. SQLite and PostgreSQL.

The workers screen against the UN list only: a small engine, so each starts in about a second.
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from compliance.audit import AuditFilter, AuditLog
from compliance.batch.inputs import Format
from compliance.batch.service import BatchService
from compliance.config import Settings
from compliance.store import Store
from tests.cli import ROOT

from .conftest import CALLER, csv_bytes, reader

ROWS = 4000
CHUNK_ROWS = 100
QARIN = ROOT / "bench" / "data" / "dev_negatives_qarin.jsonl.gz"


def accounts() -> bytes:
    """ROWS accounts named after the qarin synthetic people (real name distributions), cycled."""
    with gzip.open(QARIN, "rt", encoding="utf-8") as fh:
        people = [json.loads(line)["query"] for line in fh]
    rows = [(f"acct-{i}", people[i % len(people)]["name"], people[i % len(people)].get("country", ""))
            for i in range(ROWS)]
    return csv_bytes(["account_id", "name", "country"], *rows)


def start_worker(store_url: str, instance: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "COMPLIANCE_DATABASE_URL": store_url, "COMPLIANCE_INSTANCE_DIR": str(instance),
           "COMPLIANCE_LISTS": "un_sc", "COMPLIANCE_BATCH_LEASE_SECONDS": "2"}
    return subprocess.Popen([sys.executable, "-m", "compliance", "worker", "--processes", "1"], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def wait_for(service: BatchService, job_id: str, ready, timeout: float = 180.0) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = service.status(job_id)
        if ready(status):
            return status
        time.sleep(0.02)
    raise AssertionError(f"timed out; job is {service.status(job_id)}")


def test_a_worker_killed_mid_job_loses_nothing_and_duplicates_nothing(store_url, tmp_path):
    settings = Settings.from_env({}, instance_dir=tmp_path, database_url=store_url, batch_chunk_rows=CHUNK_ROWS)
    store = Store.connect(store_url)
    audit = AuditLog(store)
    service = BatchService(store, audit, settings)
    job = service.submit(reader(accounts()), Format.CSV, CALLER)
    log = tmp_path / "workers.log"
    try:
        first = start_worker(store_url, tmp_path, log)
        at_kill = wait_for(service, job["id"], lambda s: s["rows"]["done"] >= 3 * CHUNK_ROWS)
        first.send_signal(signal.SIGKILL)
        assert first.wait(30) == -signal.SIGKILL
        killed_at = service.status(job["id"])["rows"]["done"]
        assert at_kill["rows"]["done"] <= killed_at < ROWS  # killed mid-job

        second = start_worker(store_url, tmp_path, log)
        done = wait_for(service, job["id"], lambda s: s["state"] != "running")
        second.send_signal(signal.SIGTERM)  # graceful: exits 0
        assert second.wait(60) == 0, log.read_text()
        assert done["state"] == "done" and done["rows"] == {"total": ROWS, "done": ROWS, "failed": 0}

        results = store.tables.batch_results
        with store.engine.connect() as conn:
            lines = conn.execute(select(results.c.line).where(results.c.job_id == job["id"])).scalars().all()
        assert sorted(lines) == list(range(2, ROWS + 2))  # every row once: none lost, none twice
        exported = "".join(audit.export(AuditFilter(batch_id=job["id"], action="screen.batch_item"), "jsonl"))
        audited = [json.loads(line) for line in exported.splitlines()]
        assert Counter(r["detail"]["row"] for r in audited) == Counter(range(2, ROWS + 2))
        assert Counter(r["verdict"] for r in audited) == Counter({v: n for v, n in done["verdicts"].items() if n})
        assert audit.verify().ok
    finally:
        for process in ("first", "second"):
            running = locals().get(process)
            if running is not None and running.poll() is None:
                running.kill()
                running.wait(30)
        store.close()
