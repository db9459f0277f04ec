"""gunicorn settings for `make run` and the container (override with GUNICORN_CMD_ARGS)."""
import multiprocessing
from typing import Any

# Load the app (lists, engine, store) once in the master, then fork: workers share the pages.
preload_app = True
workers = multiprocessing.cpu_count()
# Threaded workers: connections stay open between a client's requests (a sync worker closes
# each one), a slow client (an upload) holds one thread rather than the whole worker, and a
# worker's other threads use its core while one waits on the store (a PostgreSQL round trip,
# SQLite's write lock). Screening itself is CPU-bound under one GIL per worker, so threads add
# no throughput: on 2 cores, screens/s and server CPU per screen measured the same as with sync
# workers, within the noise (+-5% in the steadiest run): `bench/http_api.py --compare
# 'sync=--worker-class sync' --compare gthread=`.
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
