"""Batch jobs as the API and the CLI use them: submit a file, follow a job, read its results,
cancel it, and run workers (in this process, in a pool, or until one job has ended).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from compliance.alerts import Alerts
from compliance.audit import AuditLog
from compliance.batch import pool
from compliance.batch.inputs import Format, Reader
from compliance.batch.intake import BatchFiles
from compliance.batch.jobs import Job, Jobs
from compliance.batch.queue import ChunkQueue
from compliance.batch.results import Results
from compliance.batch.worker import RETIRE_AFTER_ROWS, Worker
from compliance.config import Settings
from compliance.errors import NotReadyError
from compliance.monitoring import Monitor
from compliance.reloading import ListReloader
from compliance.service import Caller, Screener
from compliance.store import Store


# How often run_job looks whether its job has ended (with several processes): every look is one
# read; the job's end is noticed this much later at most (0.5 s, pool's default, was 1% of a
# 100,000-row job's 44 s).
JOB_POLL_SECONDS = 0.1


class BatchService:
    """Jobs, results and workers over one store and instance directory."""

    def __init__(self, store: Store, audit: AuditLog, settings: Settings, screener: Screener | None = None) -> None:
        self.store = store
        self.audit = audit
        self.settings = settings
        self.screener = screener
        self.jobs = Jobs(store, audit)
        self.results = Results(store)
        self.files = BatchFiles(settings.instance_dir)
        self.queue = ChunkQueue(store, settings.batch_lease_seconds)
        self.monitor = Monitor(store, audit, Alerts(store, audit))  # enrolls the accounts of monitor=true jobs

    def submit(self, read: Reader, fmt: Format, caller: Caller, mapping: Iterable[str] = (),
               encoding: str | None = None, monitor: bool = False) -> dict[str, Any]:
        """Take a file in (copied, checked, split into chunks) and queue it; the job's document.
        `monitor`: each screened row's account is also enrolled for monitoring (it needs an account id).

        Raises InputError (422: encoding, header, mapping) or TooLargeError (413); nothing is queued then.
        """
        job_id = uuid.uuid4().hex
        required = {"account_id": "monitor=true enrolls each account by its id"} if monitor else {}
        intake = self.files.take_in(job_id, read, fmt, self.settings.batch_chunk_rows, mapping, encoding,
                                    self.settings.batch_max_bytes, required)
        try:
            job = self.jobs.create(job_id, fmt, intake, caller, monitor)
        except BaseException:
            self.files.remove(job_id)
            raise
        if job.state.ended:
            self.files.remove(job_id)
        return self.document(job)

    def status(self, job_id: str) -> dict[str, Any]:
        """Raises NotFoundError."""
        return self.document(self.jobs.get(job_id))

    def page(self, job_id: str, limit: int = 100, cursor: str | None = None, verdict: str | None = None,
             failed: bool | None = None) -> dict[str, Any]:
        """One page of results in row order, with the cursor of the next."""
        return self.results.page(self.jobs.get(job_id), limit, cursor, verdict, failed)

    def csv(self, job_id: str) -> Iterator[str]:
        """The results CSV, streamed (the rows committed so far, if the job is still running)."""
        return self.results.csv(self.jobs.get(job_id))

    def cancel(self, job_id: str, caller: Caller) -> dict[str, Any]:
        """Cancel a queued or running job (audited); its input copy is deleted, its results kept."""
        job = self.jobs.cancel(job_id, caller)
        self.files.remove(job_id)
        return self.document(job)

    def worker(self) -> Worker:
        """A worker screening with this service's screener, and with the lists in force after a
        refresh (checked between chunks). Raises NotReadyError without one."""
        if self.screener is None:
            raise NotReadyError("the lists are not loaded: batch jobs cannot be screened")
        worker = Worker(self.queue, self.jobs, self.results, self.files, self.screener, self.audit, self.monitor)
        screener = self.screener
        worker.reloader = ListReloader(self.settings, screener.watchlists, lambda watchlists, engine: worker.use(
            Screener(engine, watchlists, self.audit, self.settings, screener.match_limit, screener.memory)),
            self.audit, "batch worker", background=False)  # between chunks: one set of lists per chunk
        return worker

    def serve(self, processes: int) -> None:
        """Process every job's chunks in `processes` processes until SIGTERM/SIGINT."""
        pool.run(self._work(processes), processes, after_fork=self.store.dispose)

    def start_background(self, processes: int) -> pool.Background:
        """Workers beside the service, in a supervisor process (forked now: call after loading the lists)."""
        return pool.start_background(self._work(processes), processes, self.store.dispose)

    def _work(self, processes: int, job_id: str | None = None, idle_seconds: float = 1.0) -> pool.Work:
        """A worker's run for `pool`: with several processes (children the pool replaces when
        they end), each retires after RETIRE_AFTER_ROWS rows; one process runs until stopped."""
        worker, retire_after = self.worker(), RETIRE_AFTER_ROWS if processes > 1 else None
        return lambda stopping: worker.run(stopping, job_id, idle_seconds, retire_after)

    def run_job(self, job_id: str, processes: int, progress: Callable[[Job], None] = lambda _: None) -> Job:
        """Work on one job until it ends (or a stop signal), reporting progress; the job as it is then."""
        work = self._work(processes, job_id, idle_seconds=0.2)

        def ended() -> bool:
            job = self.jobs.get(job_id)
            progress(job)
            return job.state.ended

        pool.run(work, processes, after_fork=self.store.dispose, watch=ended, poll_seconds=JOB_POLL_SECONDS)
        return self.jobs.get(job_id)

    def document(self, job: Job) -> dict[str, Any]:
        """A job as shown to people: state, counts, rate (rows/s) and ETA (seconds)."""
        rate, eta = self.jobs.rate(job)
        return {
            "id": job.id, "state": job.state.value, "format": job.format.value,
            "rows": {"total": job.rows_total, "done": job.rows_done, "failed": job.rows_failed},
            "verdicts": job.verdicts, "rate": round(rate, 1), "eta_seconds": None if eta is None else round(eta, 1),
            "created_at": _stamp(job.created_at), "started_at": _stamp(job.started_at),
            "finished_at": _stamp(job.finished_at), "error": job.error,
            "mapping": job.mapping.describe() if job.mapping is not None else None,
            "columns": list(job.columns), "monitor": job.monitor,
        }


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
