"""`python -m compliance batch screen` and `batch submit`, run as a user runs them (subprocesses).

The subprocesses screen against the UN list only (a small engine, built in about a second).
"""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from compliance import create_app
from compliance.alerts import Alerts
from compliance.audit import Actor, AuditFilter, AuditLog
from compliance.config import Settings
from compliance.keys import KeyStore, Role
from compliance.monitoring import Monitor
from compliance.review import ReviewDesk
from compliance.service import Caller
from compliance.store import Store
from tests.cli import ROOT, run_cli

UN_ONLY = {"COMPLIANCE_LISTS": "un_sc"}
ACCOUNTS = "account_id,full_name,dob\r\n1,Ayman al-Zawahiri,\r\n2,Jane Doe,1980\r\n3,,\r\n4,Jane Doe,1980\r\n"


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_batch_screen_writes_the_results_csv_and_audits_every_row(tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    done = run_cli("batch", "screen", str(tmp_path / "accounts.csv"), "-o", str(tmp_path / "out.csv"),
                   "--workers", "2", instance=tmp_path / "instance", COMPLIANCE_BATCH_CHUNK_ROWS="1", **UN_ONLY)
    assert done.returncode == 0, done.stderr
    assert "done: 4 of 4 rows, 1 match, 0 review, 2 clear, 1 failed" in done.stderr
    rows = read_csv(tmp_path / "out.csv")
    assert list(rows[0])[:3] == ["account_id", "full_name", "dob"]
    assert [(r["account_id"], r["verdict"]) for r in rows] == [("1", "match"), ("2", "clear"), ("3", ""),
                                                               ("4", "clear")]
    assert rows[0]["top_list"] == "un_sc" and rows[0]["top_programs"] == "Al-Qaida"
    assert rows[2]["error"] == "line 4: nothing to screen: no name, handle or identifiers"
    verify = run_cli("audit", "verify", "--json", instance=tmp_path / "instance")
    assert verify.returncode == 0 and '"checked": 4' in verify.stdout  # batch.create + 3 screened rows


def test_batch_screen_with_monitor_enrolls_the_screened_accounts(tmp_path):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    done = run_cli("batch", "screen", str(tmp_path / "accounts.csv"), "-o", str(tmp_path / "out.csv"), "--monitor",
                   instance=tmp_path / "instance", **UN_ONLY)
    assert done.returncode == 0, done.stderr
    store = Store.connect(Settings.from_env({}, instance_dir=tmp_path / "instance").store_url)
    monitor = Monitor(store, AuditLog(store), Alerts(store, AuditLog(store)))
    assert [a["account_id"] for a in monitor.page()["accounts"]] == ["1", "2", "4"]  # row 3 has nothing to screen
    store.close()


def test_batch_screen_applies_the_review_memory(tmp_path):
    """A false positive recorded for an account clears it in the next `batch screen`, as in the service."""
    (tmp_path / "accounts.csv").write_text(ACCOUNTS, encoding="utf-8")
    first = run_cli("batch", "screen", str(tmp_path / "accounts.csv"), "-o", str(tmp_path / "out.csv"),
                    instance=tmp_path / "instance", **UN_ONLY)
    assert first.returncode == 0, first.stderr
    store = Store.connect(Settings.from_env({}, instance_dir=tmp_path / "instance").store_url)
    audit = AuditLog(store)
    [screened] = audit.query(AuditFilter(action="screen.batch_item", account_id="1")).records
    keys = KeyStore(store, audit)
    analyst = Caller(keys.create("alice", Role.ANALYST, Actor.system("test"))[0].actor())
    ReviewDesk(store, audit, keys).decide(screened.id, screened.matches[0]["entity_id"], "false_positive",
                                          "a namesake", analyst)
    store.close()
    again = run_cli("batch", "screen", str(tmp_path / "accounts.csv"), "-o", str(tmp_path / "again.csv"),
                    instance=tmp_path / "instance", **UN_ONLY)
    assert again.returncode == 0, again.stderr
    assert [(r["account_id"], r["verdict"]) for r in read_csv(tmp_path / "again.csv")] == [
        ("1", "clear"), ("2", "clear"), ("3", ""), ("4", "clear")]


def test_batch_screen_refuses_an_unreadable_file(tmp_path):
    (tmp_path / "accounts.csv").write_bytes("name\r\nRenée\r\n".encode("cp1252"))
    done = run_cli("batch", "screen", str(tmp_path / "accounts.csv"), "-o", str(tmp_path / "out.csv"),
                   instance=tmp_path / "instance", **UN_ONLY)
    assert done.returncode == 1 and "not valid utf-8" in done.stderr and not (tmp_path / "out.csv").exists()


@pytest.fixture
def live(tmp_path, default_watchlists, default_engine) -> Iterator[tuple[str, str, object]]:
    """The service on a free local port (threads), a screener key, and its services."""
    app = create_app({"instance_dir": tmp_path / "service", "watchlists": default_watchlists,
                      "engine": default_engine, "database_url": None})
    services = app.extensions["compliance"]
    _, secret = services.keys.create("cli", Role.SCREENER, Actor.system("test"))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", secret, services
    server.shutdown()
    services.store.close()


def test_batch_submit_uploads_follows_and_downloads(tmp_path, live):
    url, secret, services = live
    (tmp_path / "accounts.csv").write_text(ACCOUNTS.replace("Ayman al-Zawahiri", "Ali Khamenei"), encoding="utf-8")
    command = [sys.executable, "-m", "compliance", "batch", "submit", str(tmp_path / "accounts.csv"), "--monitor",
               "--url", url, "--key", secret, "-o", str(tmp_path / "out.csv")]
    client = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "COMPLIANCE_INSTANCE_DIR": str(tmp_path)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    job_id = _queued_job(services)
    services.batches.run_job(job_id, 1)  # the service's worker, here in the test's process
    _, stderr = client.communicate(timeout=60)
    assert client.returncode == 0, stderr
    assert f"batch {job_id} done: 4 of 4 rows, 1 match" in stderr
    assert [r["verdict"] for r in read_csv(tmp_path / "out.csv")] == ["match", "clear", "", "clear"]
    assert services.batches.status(job_id)["monitor"] is True
    assert [a["account_id"] for a in services.monitor.page()["accounts"]] == ["1", "2", "4"]
    refused = subprocess.run([*command[:-4], "--key", "cs_0000000000000000_wrongwrongwrongwrongwrong"], cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "401 Unauthorized" in refused.stderr


def _queued_job(services, timeout: float = 60.0) -> str:
    jobs = services.store.tables.batch_jobs
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with services.store.engine.connect() as conn:
            found = conn.execute(jobs.select()).first()
        if found is not None:
            return found.id
        time.sleep(0.05)
    raise AssertionError("the client queued no job")
