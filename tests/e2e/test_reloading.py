"""A refresh lands while gunicorn serves: every worker puts the new lists in force at its next
check, without a restart, and each answer names the version it was screened against."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.compliance.test_reloading import KATANGA, put_excerpt_in_force
from tests.e2e.server import Gunicorn

WORKERS = 2
DEADLINE = 120.0  # seconds for every worker to reload: a bound, not an expectation
CLIENTS = 4  # concurrent clients: more than the workers, so that each worker takes requests


def test_workers_reload_refreshed_lists_without_a_restart(tmp_path):
    instance = tmp_path / "instance"
    server = Gunicorn(instance, f"sqlite:///{tmp_path / 'store.sqlite3'}", tmp_path / "gunicorn.log", WORKERS,
                      settings={"COMPLIANCE_LISTS": "un_sc", "COMPLIANCE_LISTS_CHECK_SECONDS": "0.5"})
    headers = {"Authorization": f"Bearer {server.create_key('screener', 'e2e-reload')}"}

    def screen(_: int = 0) -> tuple[str, str]:
        answer = requests.post(f"{server.url}/v1/screen", json={"names": ["Germain Katanga"]}, headers=headers,
                               timeout=60).json()
        return answer["lists"][0]["version"], answer["verdict"]

    def reloaded() -> int:
        return server.log_path.read_text(errors="replace").count("lists reloaded")

    with server, ThreadPoolExecutor(CLIENTS) as pool:
        bundled, verdict = screen()
        assert verdict == "match"
        workers = booted(server)
        excerpt = put_excerpt_in_force(instance)
        seen, deadline = set(), time.monotonic() + DEADLINE
        while reloaded() < WORKERS and time.monotonic() < deadline:
            seen |= set(pool.map(screen, range(CLIENTS * 2)))
        assert reloaded() == WORKERS, server.log_tail()
        assert seen <= {(bundled, "match"), (excerpt, "clear")}  # each answer from one consistent version
        assert set(pool.map(screen, range(CLIENTS * 5))) == {(excerpt, "clear")}
        assert set(server.pids()) == workers  # the same processes: nothing restarted


def booted(server: Gunicorn) -> set[int]:
    """The master's and its workers' pids, once every worker has started (they boot one by one)."""
    deadline = time.monotonic() + DEADLINE
    while len(pids := set(server.pids())) < WORKERS + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(pids) == WORKERS + 1, server.log_tail()
    return pids
