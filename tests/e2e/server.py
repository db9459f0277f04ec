"""The service as deployed: gunicorn (gunicorn.conf.py, app preloaded) in a subprocess on a loopback
port, with its own instance dir and store, and API keys made with the CLI. Plain Python, so that
bench/http_api.py starts the server the same way as tests/e2e do.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
# The master preloads the app (lists parsed or read from the cache, engine built: 4-8 s cold on
# 2 cores) before it binds; a slow CI machine gets plenty more.
READY_TIMEOUT = 120.0
STOP_TIMEOUT = 20.0
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


class ServerError(RuntimeError):
    """gunicorn did not start, or a CLI call failed; the message ends with the log's tail."""


class Gunicorn:
    """One gunicorn master with `workers` workers (gunicorn.conf.py's class) on 127.0.0.1, for tests and benchmarks.

    The port is 0 on the command line: the kernel picks a free one (no race with other
    processes) and we read it from gunicorn's "Listening at" line. Output goes to `log_path`.
    """

    def __init__(self, instance: Path, database_url: str, log_path: Path, workers: int = 2,
                 settings: Mapping[str, str] | None = None) -> None:
        self.instance = instance
        self.database_url = database_url
        self.settings = dict(settings or {})  # further COMPLIANCE_* variables, e.g. COMPLIANCE_LISTS
        self.log_path = log_path
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self._log: IO[bytes] | None = None
        self._log_start = 0  # where this start's output begins in log_path

    @property
    def env(self) -> dict[str, str]:
        """The environment of the server and its CLI: ours, without any COMPLIANCE_* setting but its own."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("COMPLIANCE_")}
        return {**inherited, **self.settings, "COMPLIANCE_INSTANCE_DIR": str(self.instance),
                "COMPLIANCE_DATABASE_URL": self.database_url, "PYTHONUNBUFFERED": "1"}

    def cli(self, *args: str) -> str:
        """Run `python -m compliance ARGS` against this server's store; its stdout. Raises ServerError."""
        done = subprocess.run([sys.executable, "-m", "compliance", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise ServerError(f"`compliance {' '.join(args)}` exited {done.returncode}: {done.stderr.strip()}")
        return done.stdout

    def create_key(self, role: str, name: str) -> str:
        """A new API key (its secret) made with the CLI, as an operator would."""
        return json.loads(self.cli("keys", "create", "--role", role, "--name", name, "--json"))["key"]

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        """Start gunicorn and wait until GET /readyz answers 200. Raises ServerError."""
        gunicorn = Path(sys.executable).parent / "gunicorn"
        # no control socket: its default path (~/.gunicorn/gunicorn.ctl) is one per user, and would
        # be taken from a `make run` or another test server
        command = [str(gunicorn), "--config", "gunicorn.conf.py", "--bind", "127.0.0.1:0",
                   "--workers", str(self.workers), "--no-control-socket", "app:app"]
        self.instance.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._log_start = self._log.tell()
        # its own session: stop() signals the master, and kills the group if it will not go
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            port = self._wait_for_port(deadline)
            self.url = f"http://127.0.0.1:{port}"
            self._wait_until_ready(deadline)
        except BaseException:
            self.stop()
            raise

    def _wait_for_port(self, deadline: float) -> int:
        while time.monotonic() < deadline:
            self._check_alive()
            with self.log_path.open("rb") as log:
                log.seek(self._log_start)
                found = _LISTENING.search(log.read().decode(errors="replace"))
            if found:
                return int(found[1])
            time.sleep(0.1)
        raise ServerError(f"gunicorn did not listen within the timeout\n{self.log_tail()}")

    def _wait_until_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if requests.get(f"{self.url}/readyz", timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise ServerError(f"{self.url}/readyz did not answer 200 within the timeout\n{self.log_tail()}")

    def _check_alive(self) -> None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise ServerError(f"gunicorn exited with {self.process.returncode}\n{self.log_tail()}")

    def pids(self) -> list[int]:
        """The master's pid and its workers' (children found through /proc)."""
        if self.process is None:
            return []
        master, found = self.process.pid, [self.process.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == master:
                found.append(int(stat.parent.name))
        return found

    def stop(self) -> int | None:
        """SIGTERM (graceful: workers finish their request), then SIGKILL the group. The exit code."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(STOP_TIMEOUT)
            code = process.returncode
        else:
            code = None
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
