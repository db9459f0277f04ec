"""gunicorn settings for `make run` and the container (override with GUNICORN_CMD_ARGS)."""
import multiprocessing
from typing import Any

# Load the app (lists, engine, store) once in the master, then fork: workers share the pages.
preload_app = True
workers = multiprocessing.cpu_count()
# Threaded workers: connections stay open between a client's requests (a sync worker closes
# each one), a slow client (an upload of up to COMPLIANCE_BATCH_MAX_BYTES) holds one thread
# rather than the whole worker, and no upload is cut off by the worker timeout, which a sync
# worker applies to every request. Screening is CPU-bound under one interpreter lock per
# worker, so a worker runs one screening at a time (`api.context.cpu_bound`) and its other
# threads answer health checks, uploads and the audit log meanwhile.
# (Single screens; a batch of accounts shares the interpreter lock: see cpu_bound.)
# Measured on 2 cores at concurrency 4 (`bench/http_api.py --compare`, 2 rounds, medians):
# with that rule 278 screens/s, p99 39 ms; without it 167/s, p99 84 ms; 2 sync workers
# (`--worker-class sync --threads 1`) 323/s, p99 23 ms. Sync workers spread requests more
# evenly (each request is a new connection, taken by an idle worker) but would stop long
# uploads, so they suit a deployment behind a buffering proxy: set them with GUNICORN_CMD_ARGS.
# (gunicorn runs a sync worker class with more than one thread as gthread: a comparison of
# "sync" needs --threads 1 too.)
worker_class = "gthread"
threads = 4
# A sync worker is killed when one request takes longer than this; a gthread worker only when its
# main loop (accepting, keep-alive) stops answering the arbiter for this long.
timeout = 60
graceful_timeout = 30
keepalive = 5  # seconds an idle kept-alive connection stays open
accesslog = "-"
errorlog = "-"
# Request line, status, size and timing only: no bodies, so no personal data.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss'
# gunicorn >= 25 opens a control socket at one per-user path (~/.gunicorn/gunicorn.ctl), which
# every server of that user shares; nothing here uses gunicornc, so leave it off.
control_socket_disable = True


def post_fork(server: Any, worker: Any) -> None:
    """A forked worker must not use the master's database connections: drop the inherited pool
    (without closing the master's sockets); the worker opens its own on first use."""
    if server.cfg.preload_app:
        server.app.wsgi().extensions["compliance"].store.dispose()
