"""The service's background batch supervisor (compliance.batch.pool.start_background) stops as
asked: one SIGTERM lets the work end and exits 0; a second exits at once with 128 + SIGTERM,
which is a requested stop, not a failure (exit 1, logged as an error)."""
import atexit
import os
import signal
import time

import pytest

from compliance.batch import pool


def _started(ignore_stop: bool) -> tuple[pool.Background, int]:
    """A supervisor running one worker in itself, and the read end of a pipe that it writes
    to once its signal handlers are in place (the work has started)."""
    ready, told = os.pipe()

    def work(stopping):
        os.write(told, b"x")
        while ignore_stop or not stopping():
            time.sleep(0.01)

    background = pool.start_background(work, 1, lambda: None)
    atexit.unregister(background.stop)
    os.close(told)
    assert os.read(ready, 1) == b"x"
    os.close(ready)
    return background, background.pid


def _exit_code(pid: int, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    pytest.fail("the supervisor did not stop")


def test_one_sigterm_lets_the_work_end():
    _, pid = _started(ignore_stop=False)
    os.kill(pid, signal.SIGTERM)
    assert _exit_code(pid) == 0


def test_a_second_sigterm_is_a_stop_not_a_failure():
    _, pid = _started(ignore_stop=True)
    os.kill(pid, signal.SIGTERM)
    time.sleep(0.1)  # the first one only sets the flag, which this work ignores
    os.kill(pid, signal.SIGTERM)
    assert _exit_code(pid) == 128 + signal.SIGTERM
