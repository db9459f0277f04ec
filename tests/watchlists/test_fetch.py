"""Refresh against a loopback HTTP server serving the bundled files, and against failures.

In every failure the version in force stays, the outcome says what went wrong, and the
outcome is logged; the CLI exits non-zero.
"""
from __future__ import annotations

import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli import run_cli
from watchlists.catalog import Catalog
from watchlists.fetch import REFRESH_LOG, FetchPolicy, refresh
from watchlists.lists import LISTS
from watchlists.model import read_bytes

FAST = FetchPolicy(connect_timeout=2, read_timeout=0.5, retries=1, backoff=0.01, max_bytes=50_000_000)


def bundled_bytes(list_id: str) -> bytes:
    version = Catalog(store_dir=Path("/nonexistent")).active(list_id)
    return read_bytes(version.file_paths()["primary"])


UN = bundled_bytes("un_sc")
# The same list one entity shorter, with a new generation date: a genuine new version.
_cut_start = UN.index(b"<INDIVIDUAL>")
_cut_end = UN.index(b"</INDIVIDUAL>", _cut_start) + len(b"</INDIVIDUAL>")
UN_NEXT = (UN[:_cut_start] + UN[_cut_end:]).replace(b'dateGenerated="2026-02-27', b'dateGenerated="2026-03-06', 1)
SDN_2021_XML = read_bytes(Catalog(store_dir=Path("/nonexistent")).find("ofac_sdn", "2021-03-10").file_paths()["primary"])


class Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        Handler.hits[self.path] = Handler.hits.get(self.path, 0) + 1
        route = self.path.strip("/")
        if route == "un.xml":
            return self._send(200, UN)
        if route == "un-next.xml":
            return self._send(200, UN_NEXT, last_modified="Fri, 06 Mar 2026 10:00:00 GMT")
        if route == "sdn-2021.xml":
            return self._send(200, SDN_2021_XML)
        if route == "missing":
            return self._send(404, b"not here")
        if route == "broken":
            return self._send(500, b"oops")
        if route == "flaky":
            return self._send(503, b"busy") if Handler.hits[self.path] == 1 else self._send(200, UN_NEXT)
        if route == "slow":
            time.sleep(2)
            return self._send(200, UN)
        if route == "truncated":
            self.send_response(200)
            self.send_header("Content-Length", str(len(UN)))
            self.end_headers()
            self.wfile.write(UN[: len(UN) // 2])
            self.wfile.flush()
            self.close_connection = True
            return None
        if route == "cut-xml":  # complete HTTP body, but the XML itself stops half-way
            return self._send(200, UN[: len(UN) // 2])
        if route == "html":
            return self._send(200, b"<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>")
        if route == "empty":
            return self._send(200, b"")
        return self._send(404, b"unknown route")

    def _send(self, status: int, body: bytes, last_modified: str | None = None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if last_modified:
            self.send_header("Last-Modified", last_modified)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
            pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def catalog(tmp_path):
    Handler.hits.clear()
    return Catalog(store_dir=tmp_path / "store", cache_dir=tmp_path / "cache")


def logged(catalog: Catalog) -> list[dict]:
    return [json.loads(line) for line in (catalog.store_dir / REFRESH_LOG).read_text().splitlines()]


def test_same_bytes_as_in_force_is_unchanged(server, catalog):
    before = catalog.active("un_sc")
    outcome = refresh(catalog, LISTS["un_sc"], f"{server}/un.xml", FAST)
    assert outcome.status == "unchanged"
    assert outcome.sha256 == before.sha256
    assert catalog.active("un_sc") == before
    assert logged(catalog)[-1]["status"] == "unchanged"


def test_new_version_is_swapped_in_and_previous_kept(server, catalog):
    before = catalog.active("un_sc")
    outcome = refresh(catalog, LISTS["un_sc"], f"{server}/un-next.xml", FAST)
    assert outcome.status == "updated", outcome.error
    after = catalog.active("un_sc")
    assert after.version == outcome.version and after.version.startswith("2026-03-06-un_xml-")
    assert after.entities == before.entities - 1 == outcome.entities
    assert after.source == f"{server}/un-next.xml"
    assert before.path.is_dir()  # the previous version stays
    assert {v.version for v in catalog.versions("un_sc")} >= {before.version, after.version}
    loaded = catalog.load(after)
    assert len(loaded.entities) == after.entities
    assert all(e.list_version == after.version for e in loaded.entities)
    record = logged(catalog)[-1]
    assert record["status"] == "updated" and record["previous"] == before.ref and record["version"] == after.version


def test_retry_after_a_transient_503(server, catalog):
    outcome = refresh(catalog, LISTS["un_sc"], f"{server}/flaky", FAST)
    assert outcome.status == "updated", outcome.error
    assert Handler.hits["/flaky"] == 2


@pytest.mark.parametrize(
    "route, message",
    [
        ("missing", "HTTP 404"),
        ("broken", "after 2 attempts: HTTP 500"),
        ("slow", "after 2 attempts: ReadTimeout"),
        ("truncated", "truncated"),
        ("cut-xml", "line"),
        ("html", "HTML page"),
        ("empty", "empty"),
    ],
)
def test_failures_keep_the_version_in_force(server, catalog, route, message):
    before = catalog.active("un_sc")
    outcome = refresh(catalog, LISTS["un_sc"], f"{server}/{route}", FAST)
    assert outcome.status == "failed"
    assert message in outcome.error
    assert catalog.active("un_sc") == before
    assert not (catalog.store_dir / "un_sc" / "CURRENT").exists()
    assert [p.name for p in (catalog.store_dir / "un_sc").iterdir()] == []  # no half-written version
    assert logged(catalog)[-1] == {**logged(catalog)[-1], "status": "failed", "previous": before.ref}


def test_404_is_not_retried(server, catalog):
    refresh(catalog, LISTS["un_sc"], f"{server}/missing", FAST)
    assert Handler.hits["/missing"] == 1


def test_count_collapse_is_refused(server, catalog):
    # The 2021 SDN XML (8,832 entries) offered as the successor of the 2024 CSV (14,965).
    before = catalog.active("ofac_sdn")
    outcome = refresh(catalog, LISTS["ofac_sdn"], f"{server}/sdn-2021.xml", FAST)
    assert outcome.status == "failed"
    assert "entity count collapsed: 8832 against 14965" in outcome.error
    assert catalog.active("ofac_sdn") == before


def test_wrong_list_format_is_refused(server, catalog):
    outcome = refresh(catalog, LISTS["eu_fsf"], f"{server}/un.xml", FAST)
    assert outcome.status == "failed"
    assert "un_xml" in outcome.error and "eu_fsf" in outcome.error


def test_size_cap(server, catalog):
    outcome = refresh(catalog, LISTS["un_sc"], f"{server}/un-next.xml", FetchPolicy(max_bytes=1000, retries=0))
    assert outcome.status == "failed" and "exceeds the cap of 1000" in outcome.error


def run_fast_cli(*args: str, instance: Path) -> subprocess.CompletedProcess:
    return run_cli(*args, instance=instance, COMPLIANCE_FETCH_RETRIES="0", COMPLIANCE_FETCH_READ_TIMEOUT="2")


def audited_list_operations(instance: Path) -> list[dict]:
    """The list operations in the instance's audit log, through `audit export`."""
    done = run_cli("audit", "export", "--format", "jsonl", instance=instance)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return [r for r in records if r["action"].startswith("lists.")]


def test_cli_refresh_failure_exits_non_zero(server, tmp_path):
    done = run_fast_cli("lists", "refresh", "--list", "un_sc", "--url", f"{server}/html", instance=tmp_path)
    assert done.returncode == 1
    assert "un_sc: FAILED: the server sent an HTML page" in done.stderr
    assert "in force: un_sc@2026-02-27-un_xml" in done.stderr
    [record] = audited_list_operations(tmp_path)
    assert record["action"] == "lists.refresh" and record["detail"]["status"] == "failed"
    assert record["detail"]["list"] == "un_sc" and "HTML page" in record["detail"]["error"]


def test_cli_refresh_success(server, tmp_path):
    done = run_fast_cli("lists", "refresh", "--list", "un_sc", "--url", f"{server}/un-next.xml", instance=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "un_sc: updated to 2026-03-06-un_xml-" in done.stdout
    [record] = audited_list_operations(tmp_path)
    assert record["detail"]["status"] == "updated" and record["detail"]["version"].startswith("2026-03-06-un_xml-")
    assert record["detail"]["previous"].startswith("un_sc@2026-02-27-un_xml") and record["actor"]["name"].startswith("cli:")
    shown = json.loads(run_fast_cli("lists", "--json", instance=tmp_path).stdout)
    un = next(row for row in shown if row["id"] == "un_sc")
    assert un["published"] == "2026-03-06" and un["entities"] == 1002
