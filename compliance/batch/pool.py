"""Running batch workers on all cores: processes forked from one that has built the engine (its
pages are shared, as with gunicorn's preload), supervised, and stopped gracefully by SIGTERM.

One process runs the work itself (a SIGKILL kills the only worker); several are children,
replaced when they end (a batch worker retires after some rows, see batch.worker) or die, and
sent SIGTERM when their parent dies (Linux PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import atexit
import ctypes
import logging
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Any, NoReturn

Stopping = Callable[[], bool]
Work = Callable[[Stopping], None]  # runs until its argument returns True
PR_SET_PDEATHSIG = 1
# A child that fails sooner than this after its start is restarted only after this long; one
# that ends its work (exit code 0: a worker retiring, see batch.worker.RETIRE_AFTER_ROWS) is
# replaced at once.
RESTART_DELAY = 5.0
log = logging.getLogger(__name__)


class StopFlag:
    """Set by the first SIGTERM/SIGINT; the second exits at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def install(self) -> StopFlag:
        """Handle SIGTERM and SIGINT (in the main thread only: elsewhere, signals are not ours)."""
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGTERM, signal.SIGINT):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def restore(self) -> None:
        """Put back the handlers that were there before `install`."""
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.requested:
            raise SystemExit(128 + signum)
        self.requested = True

    def __call__(self) -> bool:
        return self.requested


def run(work: Work, processes: int, after_fork: Callable[[], None] = lambda: None,
        watch: Stopping | None = None, poll_seconds: float = 0.1) -> None:
    """Run `work` in `processes` processes until a stop signal, or until `watch()` returns True
    (called between chunks with one process, every `poll_seconds` with several)."""
    if processes < 1:
        raise ValueError("processes must be at least 1")
    stop = StopFlag().install()
    try:
        if processes == 1:
            work(lambda: stop() or (watch is not None and watch()))
        else:
            _supervise(work, processes, after_fork, lambda: stop() or (watch is not None and watch()), poll_seconds)
    finally:
        stop.restore()


def _supervise(work: Work, processes: int, after_fork: Callable[[], None], stopping: Stopping,
               poll_seconds: float) -> None:
    """Keep `processes` children running `work` until `stopping()`, then stop them."""
    parent, children, due = os.getpid(), dict[int, int](), [0.0] * processes
    try:
        while not stopping():
            for slot in range(processes):
                if slot not in children.values() and time.monotonic() >= due[slot]:
                    children[_fork(work, after_fork, parent)] = slot
                    due[slot] = time.monotonic() + RESTART_DELAY
            for slot, code in _reap(children):
                if code == 0:
                    due[slot] = 0.0
            time.sleep(poll_seconds)
    finally:
        _stop_all(children)


def _fork(work: Work, after_fork: Callable[[], None], parent: int) -> int:
    pid = os.fork()
    if pid == 0:
        _child(work, after_fork, parent)
    return pid


def _child(work: Work, after_fork: Callable[[], None], parent: int) -> NoReturn:
    code = 0
    try:
        die_with_parent()
        stop = StopFlag().install()
        after_fork()
        work(lambda: stop() or os.getppid() != parent)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # noqa: BLE001 - report and leave: the parent restarts us
        # the type and frames only: an exception's message may quote row content
        log.error("batch worker %d failed with %s\n%s", os.getpid(), type(exc).__name__,
                  "".join(traceback.format_tb(exc.__traceback__)))
        code = 1
    finally:
        os._exit(code)


def _reap(children: dict[int, int]) -> list[tuple[int, int]]:
    """Forget the children that have ended; their (slot, exit code)."""
    ended = []
    for pid in list(children):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            ended.append((children.pop(pid), code))
            log.log(logging.WARNING if code else logging.INFO, "batch worker %d exited with %d", pid, code)
    return ended


def _stop_all(children: dict[int, int], timeout: float = 60.0) -> None:
    for pid in children:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while children and time.monotonic() < deadline:
        for pid in list(children):
            if os.waitpid(pid, os.WNOHANG)[0]:
                del children[pid]
        time.sleep(0.05)
    for pid in children:
        _signal(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def die_with_parent() -> None:
    """Ask Linux to send this process SIGTERM when its parent dies (elsewhere: nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
    except (OSError, AttributeError):
        pass


class Background:
    """A supervisor process running a worker pool beside the service; stopped at exit."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.owner = os.getpid()  # processes forked later (gunicorn's workers) inherit the atexit hook

    def stop(self, timeout: float = 60.0) -> None:
        """SIGTERM the supervisor (it stops its workers after their chunks) and wait for it."""
        if os.getpid() != self.owner:
            return
        _signal(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        try:
            while not os.waitpid(self.pid, os.WNOHANG)[0]:
                if time.monotonic() > deadline:
                    _signal(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
                    return
                time.sleep(0.05)
        except ChildProcessError:  # already reaped (e.g. by gunicorn's arbiter)
            pass


def start_background(work: Work, processes: int, after_fork: Callable[[], None]) -> Background:
    """Fork a supervisor that runs `run(work, processes)` until stopped or its parent dies."""
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            die_with_parent()
            after_fork()
            run(work, processes, after_fork, watch=lambda: os.getppid() != parent)
        except SystemExit as exc:  # a second stop signal: asked to stop at once, not a failure
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException as exc:  # noqa: BLE001
            log.error("batch supervisor failed with %s", type(exc).__name__)
            code = 1
        finally:
            os._exit(code)
    background = Background(pid)
    atexit.register(background.stop)
    return background
