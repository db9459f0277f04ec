"""gunicorn settings for `make run` and the container (override with GUNICORN_CMD_ARGS)."""
import multiprocessing
from typing import Any

# Load the app (lists, engine, store) once in the master, then fork: workers share the pages.
preload_app = True
workers = multiprocessing.cpu_count()
worker_class = "sync"
timeout = 60
graceful_timeout = 30
keepalive = 5
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
