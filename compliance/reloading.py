"""Refreshed lists put in force in running processes, without a restart.

`python -m compliance lists refresh` (from cron, say) writes a new version and its CURRENT
pointer; the service's workers and the batch workers were started with the lists of their
time. Each process polls: at most every `lists_check_seconds` it compares the versions the
catalog puts in force (CURRENT pointers, pins, bundled defaults: a few small file reads) with
the ones it screens against. When they differ it loads the lists and builds a new engine, then
swaps it in at once: every screening uses one consistent set of lists, and its audit record
names their versions, so a screening on either side of the swap is explained by its record.

The service builds in a background thread (requests go on with the lists in force, a few
seconds); a batch worker builds between chunks. Each reload is audited ("lists.reload": the
versions before and after, and which process). A failed load is logged and retried at the next
check; the lists in force stay.

Engine.__init__ freezes every object alive out of the cyclic garbage collector (gc.freeze), the
engine being replaced included: a thread waits until nothing uses that one any more, then
unfreezes, collects and freezes the rest again. Without this every reload would keep the old
index. An engine preloaded before a fork stays referenced by the objects made with it (and is
shared with the parent anyway): it is left as it is.
"""
from __future__ import annotations

import gc
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from compliance.audit import Actor, AuditEvent, AuditLog
from compliance.config import Settings
from compliance.lists import Watchlists, build_catalog
from watchlists.catalog import CatalogError
from watchlists.model import ListParseError

if TYPE_CHECKING:
    from compliance.matching.engine import Engine

Versions = tuple[tuple[str, str, str], ...]  # (list id, version, sha256) of each list in use
# How long a replaced engine may stay in use (a request or chunk begun before the swap) before
# it is left as it is (logged).
RETIRE_SECONDS = 120.0
log = logging.getLogger(__name__)


def versions_of(watchlists: Watchlists | None) -> Versions | None:
    if watchlists is None:
        return None
    return tuple((item.meta.list_id, item.meta.version, item.meta.sha256) for item in watchlists.lists)


def versions_in_force(settings: Settings) -> Versions:
    """What the catalog puts in force now, without loading any list."""
    catalog = build_catalog(settings)
    return tuple((v.list_id, v.version, v.sha256) for v in map(catalog.active, catalog.enabled))


def load(settings: Settings) -> tuple[Watchlists, Engine]:
    """The lists in force and an engine built over them (seconds: parse cache, then the index)."""
    from compliance.matching.engine import Engine

    watchlists = Watchlists.load(settings)
    return watchlists, Engine.build(e for item in watchlists.lists for e in item.entities)


class ListReloader:
    """Polls for lists newer than the ones in use and hands a new (lists, engine) to `install`,
    which returns the engine it replaced (None if there was none).

    `poll()` is cheap between checks (a clock read); `background=True` builds in a thread,
    else in the caller. `install` runs in whichever thread built.
    """

    def __init__(self, settings: Settings, loaded: Watchlists | None,
                 install: Callable[[Watchlists, Engine], Engine | None], audit: AuditLog, process: str,
                 background: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.audit = audit
        self.process = process  # "service" or "batch worker", in the audit record
        self.interval = settings.lists_check_seconds
        self.install = install
        self.background = background
        self.clock = clock
        self.loaded = versions_of(loaded)
        self.reloads = 0
        self._next_check = clock() + self.interval
        self._lock = threading.Lock()
        self._building: threading.Thread | None = None

    def poll(self) -> None:
        """Check for newer lists if the interval has passed; start (or run) a reload if there are."""
        if self.interval <= 0 or self.clock() < self._next_check:
            return
        with self._lock:
            if self.clock() < self._next_check or (self._building is not None and self._building.is_alive()):
                return
            self._next_check = self.clock() + self.interval
            try:
                wanted = versions_in_force(self.settings)
            except (CatalogError, OSError) as exc:
                log.error("lists check failed: %s", exc)
                return
            if wanted == self.loaded:
                return
            if not self.background:
                self._reload(wanted)
                return
            self._building = threading.Thread(target=self._reload, args=(wanted,), name="list-reload", daemon=True)
            self._building.start()

    def wait(self, timeout: float | None = None) -> None:
        """Until a reload under way has ended (tests; shutdown)."""
        building = self._building
        if building is not None:
            building.join(timeout)

    def _reload(self, wanted: Versions) -> None:
        started = time.perf_counter()
        try:
            watchlists, engine = load(self.settings)
        except (ListParseError, CatalogError, OSError) as exc:
            log.error("lists could not be reloaded (the lists in force stay): %s", exc)
            return
        retired = self.install(watchlists, engine)
        previous, self.loaded = self.loaded, versions_of(watchlists)
        self.reloads += 1
        self._record(previous)
        log.info("lists reloaded in %.1f s: %s", time.perf_counter() - started,
                 ", ".join(f"{list_id}@{version}" for list_id, version, _ in self.loaded or ()))
        if self.loaded != wanted:  # a refresh landed while this one loaded: check again soon
            self._next_check = self.clock()
        if retired is not None:
            threading.Thread(target=_retire, args=(weakref.ref(retired),), name="engine-retire", daemon=True).start()

    def _record(self, previous: Versions | None) -> None:
        """The reload in the audit log; a store that cannot be reached does not undo it."""
        event = AuditEvent("lists.reload", Actor.system(f"{self.process}:{os.getpid()}"), detail={
            "lists": {list_id: version for list_id, version, _ in self.loaded or ()},
            "previous": {list_id: version for list_id, version, _ in previous or ()}})
        try:
            self.audit.append(event)
        except Exception as exc:  # noqa: BLE001 - the lists are in force whatever the store does
            log.error("the list reload could not be audited: %s", type(exc).__name__)


def _retire(engine: weakref.ref) -> None:
    """Once the replaced engine is out of use, collect its frozen objects; freeze the rest again."""
    deadline = time.monotonic() + RETIRE_SECONDS
    while engine() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    if engine() is not None:
        log.info("the replaced engine is still referenced after %.0f s (preloaded before a fork?): left as is",
                 RETIRE_SECONDS)
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
