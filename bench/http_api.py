"""HTTP benchmark: POST /v1/screen under gunicorn (gunicorn.conf.py, app preloaded, 2 workers)
on a loopback port, driven by a closed-loop load generator in this process.

The server starts as in tests/e2e (its own temporary instance dir and store, a screener key made
with the CLI). Queries are bench/speed.py's fixed-seed mix (`build_queries`: 71% non-listed
people, near misses, perturbed and true listed names, some in Arabic and Cyrillic script), sent
as /v1/screen bodies after a disjoint warm-up. Each concurrency level screens its own queries (so
every level sees them first, as production does) and sends --requests requests or runs --seconds,
whichever ends first. Each client thread keeps one HTTP/1.1 connection (http.client, cheaper
than requests.Session for the same keep-alive): gunicorn.conf.py's gthread workers keep it open
between requests; sync workers close it after each response, and then every request reconnects.
Baselines in the same run, on the same queries:
  - GET /healthz at the same concurrency: the HTTP + gunicorn floor (no key, no body, no store);
  - the Flask app in-process through its test client, on the first level's queries and a fresh
    engine warmed the same way: everything but gunicorn and the socket, with engine.screen and
    the audit append timed inside each request;
  - the audit append cost per record, and a plain INSERT of the same rows (bench/audit.py).
The load generator shares the machine's cores with gunicorn: its own CPU time per request is
printed beside the server's (master and workers, from /proc).

--compare runs only the two HTTP loads, under each gunicorn configuration given (options as in
GUNICORN_CMD_ARGS, over gunicorn.conf.py), a fresh server each, for --rounds rounds in alternating
order, and prints the medians over rounds beside the first configuration's:

    .venv/bin/python bench/http_api.py [--requests 2000] [--seconds 30] [--concurrency 1,4] [--workers 2]
        [--pg URL] [--json FILE]
    .venv/bin/python bench/http_api.py --compare 'sync=--worker-class sync --threads 1' --compare 'gthread='
        [--rounds 2]
"""
from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import runpy
import shlex
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import AbstractContextManager as ContextManager
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Not bench/http.py: run as a script, bench/ is first on sys.path, and a bench/http.py would
# shadow the standard library's `http` for every script in bench/ (werkzeug, requests).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit import postgres_schema  # noqa: E402
from bench.audit import run as audit_costs  # noqa: E402
from bench.speed import SEED, SLICES, Probe, build_queries, engine_fingerprint, percentiles  # noqa: E402
from compliance import create_app  # noqa: E402
from compliance.api.schemas import MAX_IDENTIFIERS, MAX_NAMES, AccountSchema  # noqa: E402
from compliance.audit import Actor, AuditFilter, AuditLog  # noqa: E402
from compliance.config import Settings  # noqa: E402
from compliance.keys import Role  # noqa: E402
from compliance.lists import Watchlists  # noqa: E402
from compliance.matching.engine import Engine  # noqa: E402
from compliance.models import Query  # noqa: E402
from compliance.service import MATCH_LIMIT  # noqa: E402
from compliance.store import Store  # noqa: E402
from tests.e2e.server import Gunicorn  # noqa: E402
from watchlists.model import EntityType  # noqa: E402

# An in-process pass with less CPU time than this share of its wall time was kept waiting.
NOISY_CPU_SHARE = 0.9
# Goals from issue 4.
GOAL_SCREENS_PER_S = 1000.0
GOAL_P99_MS = 20.0
TICKS = os.sysconf("SC_CLK_TCK")
ACCOUNT_TYPES = {EntityType.PERSON: "person", EntityType.ORGANIZATION: "organization"}


class Server(Gunicorn):
    """The e2e server, with extra gunicorn options in GUNICORN_CMD_ARGS (they override
    gunicorn.conf.py; the command line's --workers overrides them)."""

    def __init__(self, *args: Any, options: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options = options

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **({"GUNICORN_CMD_ARGS": self.options} if self.options else {})}


def gunicorn_settings(options: str = "") -> tuple[Any, bool]:
    """gunicorn's own Config for gunicorn.conf.py with these options over it (as GUNICORN_CMD_ARGS
    gives them), and whether the options set the number of workers."""
    from gunicorn.config import Config

    cfg = Config()
    for name, value in runpy.run_path(str(ROOT / "gunicorn.conf.py")).items():
        if name in cfg.settings:
            cfg.set(name, value)
    given = cfg.parser().parse_args([*shlex.split(options), "app:app"])
    for name, value in vars(given).items():
        if value is not None and name != "args":
            cfg.set(name, value)
    return cfg, given.workers is not None


def served_by(options: str = "") -> str:
    """How gunicorn.conf.py (with these options over it) runs its workers, e.g. "gthread workers
    (4 threads each)". Taken from gunicorn's own Config, which runs a sync worker class with more
    than one thread as gthread."""
    cfg, _ = gunicorn_settings(options or os.environ.get("GUNICORN_CMD_ARGS", ""))
    if cfg.worker_class_str == "gthread":
        kept = "connections kept alive" if cfg.keepalive else "each connection closed after its response"
        return f"gthread workers ({cfg.threads} threads each, {kept})"
    return f"{cfg.worker_class_str} workers"


# -- queries ----------------------------------------------------------------------------

def account_body(probe: Probe, n: int) -> dict[str, Any]:
    """A /v1/screen body carrying what the probe's query carries."""
    q = probe.query
    body: dict[str, Any] = {"account_id": f"bench-{n}", "names": list(q.names[:MAX_NAMES])}
    if q.type is not None:
        body["type"] = ACCOUNT_TYPES.get(q.type, "unknown")
    if q.birth_date:
        body["date_of_birth"] = q.birth_date
    for field, country in zip(("country", "nationality"), q.countries):
        body[field] = country
    if q.identifiers:
        body["identifiers"] = [{"type": t, "value": v} for t, v in q.identifiers[:MAX_IDENTIFIERS]]
    return body


def valid_bodies(probes: list[Probe], start: int) -> tuple[list[dict[str, Any]], list[Query], Counter[str]]:
    """Bodies the API accepts, the Query it makes of each, and the fields dropped to get there
    (a bench/data value the API refuses, e.g. a birth date that is not YYYY[-MM[-DD]])."""
    schema, bodies, queries, dropped = AccountSchema(), [], [], Counter[str]()
    for n, probe in enumerate(probes, start):
        body = account_body(probe, n)
        errors = schema.validate(body)
        for field in errors:
            dropped[field] += 1
            body.pop(field, None)
        bodies.append(body)
        queries.append(schema.load(body)["query"])
    return bodies, queries, dropped


# -- load -------------------------------------------------------------------------------

@dataclass
class Load:
    """One closed-loop run: per request (latency ns, status), and the CPU the run cost."""

    label: str
    concurrency: int
    times: list[int]
    statuses: Counter[int]
    wall_s: float
    client_cpu_s: float
    server_cpu_s: float
    response_bytes: int
    worker_cpu_s: list[float]  # per gunicorn process (master first): how evenly the workers were loaded

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def errors(self) -> int:
        return len(self.times) - self.ok

    def row(self) -> dict[str, Any]:
        n = max(len(self.times), 1)
        return {"target": self.label, "concurrency": self.concurrency, "requests": len(self.times),
                "errors": self.errors, "per_s": self.ok / self.wall_s, **percentiles(self.times),
                "server_cpu_ms": self.server_cpu_s / n * 1e3, "client_cpu_ms": self.client_cpu_s / n * 1e3,
                "response_bytes": self.response_bytes / n,
                "busiest_worker_share": max(self.worker_cpu_s) / max(sum(self.worker_cpu_s), 1e-9)}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def _client(port: int, request: tuple[str, str, dict[str, str]], bodies: list[bytes], count: int, deadline: float,
            counter: itertools.count, out: list[tuple[int, int, int]], start: threading.Barrier) -> None:
    method, path, headers = request
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    start.wait()
    while True:
        i = next(counter)  # atomic under the GIL
        if i >= count or time.perf_counter() > deadline:
            break
        began = time.perf_counter_ns()
        try:
            conn.request(method, path, body=bodies[i % len(bodies)] if bodies else None, headers=headers)
            response = conn.getresponse()
            status, size = response.status, len(response.read())
        except (OSError, http.client.HTTPException):
            conn.close()  # the next request reconnects
            status, size = 0, 0
        out.append((time.perf_counter_ns() - began, status, size))
    conn.close()


def run_load(server: Gunicorn, label: str, request: tuple[str, str, dict[str, str]], bodies: list[bytes],
             count: int, seconds: float, concurrency: int) -> Load:
    """Send `count` requests (or for `seconds`) from `concurrency` threads, each waiting for its answer."""
    port = int(server.url.rsplit(":", 1)[1])
    out: list[tuple[int, int, int]] = []
    counter, start = itertools.count(), threading.Barrier(concurrency + 1)
    deadline = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, args=(port, request, bodies, count, deadline, counter, out, start))
               for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    pids = server.pids()
    each0, client0 = [cpu_seconds([pid]) for pid in pids], time.process_time()
    start.wait()
    wall0 = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - wall0
    each = [cpu_seconds([pid]) - before for pid, before in zip(pids, each0)]
    return Load(label, concurrency, [t for t, _, _ in out], Counter(s for _, s, _ in out), wall,
                time.process_time() - client0, sum(each), sum(b for _, _, b in out), each)


# -- in-process baselines ---------------------------------------------------------------

def timed(call, items: list[Any], seconds: float) -> list[int]:
    """Per-item ns of call(item), in order, until the items or `seconds` run out."""
    times, wall0 = [], time.perf_counter()
    for item in items:
        began = time.perf_counter_ns()
        call(item)
        times.append(time.perf_counter_ns() - began)
        if time.perf_counter() - wall0 > seconds:
            break
    return times


class Stopwatch:
    """Times every call of `owner.name` (an instance attribute shadows the method) until undone."""

    def __init__(self, owner: Any, name: str) -> None:
        self.times: list[int] = []
        self.owner, self.name, inner = owner, name, getattr(owner, name)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter_ns()
            try:
                return inner(*args, **kwargs)
            finally:
                self.times.append(time.perf_counter_ns() - began)

        setattr(owner, name, timed_call)

    def undo(self) -> None:
        delattr(self.owner, self.name)


def in_process(watchlists: Watchlists, bodies: list[dict[str, Any]], warm: list[Query], seconds: float,
               tmp: Path, database_url: str) -> dict[str, list[int]]:
    """The whole app through Flask's test client, on a fresh engine warmed like the server's, with
    its own store; engine.screen and the audit append are timed inside each request."""
    engine = Engine.build(e for item in watchlists.lists for e in item.entities)
    for query in warm:
        engine.screen(query, MATCH_LIMIT)
    app = create_app({"instance_dir": tmp / "inprocess", "watchlists": watchlists, "engine": engine,
                      "database_url": database_url})
    services = app.extensions["compliance"]
    secret = services.keys.create("bench", Role.SCREENER, Actor.system("bench"))[1]
    client, headers = app.test_client(), {"Authorization": f"Bearer {secret}"}

    def post(body: dict[str, Any]) -> None:
        response = client.post("/v1/screen", json=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)

    screens, appends = Stopwatch(engine, "screen"), Stopwatch(services.audit, "append")
    cpu0, wall0 = time.process_time(), time.perf_counter()
    times = timed(post, bodies, seconds)
    share = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
    if share < NOISY_CPU_SHARE:
        print(f"NOISE: the in-process run had the CPU {share:.0%} of its wall time (other processes took the "
              "rest): its times, and the breakdown below, are inflated\n")
    screens.undo()
    appends.undo()
    services.store.close()
    return {"Flask app in-process (test client)": times, "  of which engine.screen": screens.times,
            "  of which audit append": appends.times}


# -- report -----------------------------------------------------------------------------

def print_table(rows: list[dict[str, Any]]) -> None:
    head = (f"  {'target':34} {'conc':>4} {'requests':>8} {'errors':>6} {'per s':>7} {'p50':>6} {'p90':>6} "
            f"{'p99':>6} {'max':>7} {'srv CPU':>8} {'cli CPU':>8} {'resp kB':>7} {'busiest':>7}")
    print(head + "\n  " + "-" * (len(head) - 2))
    for r in rows:
        cpu = lambda key: f"{r[key]:8.2f}" if key in r else f"{'':8}"  # noqa: E731
        size = f"{r['response_bytes'] / 1e3:7.1f}" if "response_bytes" in r else f"{'':7}"
        busiest = f"{r['busiest_worker_share']:7.0%}" if "busiest_worker_share" in r else ""
        print(f"  {r['target']:34} {r['concurrency']:>4} {r['n']:>8,} {r.get('errors', 0):>6} {r['per_s']:7.0f} "
              f"{r['p50']:6.2f} {r['p90']:6.2f} {r['p99']:6.2f} {r['max']:7.1f} {cpu('server_cpu_ms')} "
              f"{cpu('client_cpu_ms')} {size} {busiest}")
    print("  (latencies in ms; CPU in ms per request: gunicorn master + workers, and this load generator;\n"
          "   busiest: the share of the server's CPU spent in its busiest process)")


def in_process_rows(results: dict[str, list[int]]) -> list[dict[str, Any]]:
    """One row per in-process measure; `per s` is calls per second of that part alone on one thread."""
    return [{"target": label, "concurrency": 1, "per_s": len(t) / (sum(t) / 1e9), **percentiles(t)}
            for label, t in results.items()]


def print_breakdown(rows: list[dict[str, Any]], level: int) -> dict[str, float]:
    """Mean time per screen at the first concurrency level (whose queries the in-process run uses),
    split into its parts (means add up; percentiles do not). Above concurrency 1, HTTP latencies
    also hold time queued for a worker."""
    by = {(r["target"], r["concurrency"]): r for r in rows}
    screen = by[("POST /v1/screen", level)]
    http_ms, floor_ms = screen["mean"], by[("GET /healthz (HTTP floor)", level)]["mean"]
    app_ms = by[("Flask app in-process (test client)", 1)]["mean"]
    engine_ms, append_ms = by[("  of which engine.screen", 1)]["mean"], by[("  of which audit append", 1)]["mean"]
    parts = {"engine.screen (matching)": engine_ms,
             "audit append (one record, its own transaction)": append_ms,
             "rest of the app: key check, schema, documents, JSON": app_ms - engine_ms - append_ms,
             "gunicorn + HTTP + socket beyond the floor": http_ms - app_ms - floor_ms,
             "the /healthz floor (connect, parse, route, answer)": floor_ms}
    print(f"\nWhere the time goes: mean per screen, {http_ms:.2f} ms over HTTP at concurrency {level} "
          "(the app's parts measured in-process on the same queries)")
    for name, ms in parts.items():
        print(f"  {name:54} {ms:6.2f} ms  {ms / http_ms:5.0%}")
    print(f"  server CPU per screen (gunicorn, from /proc): {screen['server_cpu_ms']:.2f} ms; "
          f"the same app in-process: {app_ms:.2f} ms wall")
    return parts


def print_audit(audit: dict[str, float], backend: str) -> None:
    print(f"\nAudit append cost per record ({backend}; bench/audit.py in this process, its own database):")
    for name, micros in audit.items():
        print(f"  {name:52} {micros:8.1f} us {1e6 / micros:10,.0f}/s")


def print_goals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    screens = [r for r in rows if r["target"] == "POST /v1/screen"]
    best = max(screens, key=lambda r: r["per_s"])
    met_rate, met_p99 = best["per_s"] >= GOAL_SCREENS_PER_S, best["p99"] <= GOAL_P99_MS
    print(f"\nGoals (issue 4), best throughput at concurrency {best['concurrency']}:")
    print(f"  >= {GOAL_SCREENS_PER_S:,.0f} screens/s: {best['per_s']:,.0f} ({'met' if met_rate else 'missed'})")
    print(f"  p99 <= {GOAL_P99_MS:.0f} ms at that load: {best['p99']:.1f} ms ({'met' if met_p99 else 'missed'})")
    return {"screens_per_s": best["per_s"], "p99_ms": best["p99"], "rate_met": met_rate, "p99_met": met_p99}


# -- main -------------------------------------------------------------------------------

def fresh_store(args: argparse.Namespace, tmp: Path, name: str) -> ContextManager[str]:
    """The URL of an empty store: a SQLite file in tmp, or a fresh schema on --pg (dropped after)."""
    return postgres_schema(args.pg) if args.pg else nullcontext(f"sqlite:///{tmp / f'{name}.sqlite3'}")


def check_audit(url: str, screened: int) -> str:
    """The server's audit chain after the run: whole, and one "screen" record per answered screen."""
    store = Store.connect(url)
    try:
        log = AuditLog(store)
        report = log.verify()
        found, cursor = 0, None
        while True:
            page = log.query(AuditFilter(action="screen"), limit=1000, cursor=cursor)
            found, cursor = found + len(page.records), page.next_cursor
            if cursor is None:
                break
    finally:
        store.close()
    agree = "matches" if found == screened else "DOES NOT match"
    return (f"audit chain after the run: ok={report.ok}, {report.checked:,} records; {found:,} screen records "
            f"{agree} the {screened:,} screens answered 200")


def query_sets(args: argparse.Namespace, watchlists: Watchlists) -> tuple[list[list[Probe]], list[Probe], str]:
    """Disjoint measured queries per concurrency level (first sight on every level), the warm-up
    set, and a note when the pools are too small for that and the levels share one set."""
    entities = [e for item in watchlists.lists for e in item.entities]
    levels = len(args.concurrency)
    try:
        probes, warm = build_queries(entities, args.requests * levels, args.warm, args.seed)
        return [probes[i::levels] for i in range(levels)], warm, ""
    except SystemExit:
        probes, warm = build_queries(entities, args.requests, args.warm, args.seed)
        return [probes] * levels, warm, "  (too many for disjoint sets: every level screens the same queries)"


def measure(args: argparse.Namespace, tmp: Path, database_url: str, backend: str) -> dict[str, Any]:
    server = Gunicorn(tmp / "instance", database_url, tmp / "gunicorn.log", workers=args.workers)
    secret = server.create_key("screener", "bench-http")
    started = time.perf_counter()
    with server:
        startup_s = time.perf_counter() - started
        watchlists = Watchlists.load(Settings.from_env({}, instance_dir=tmp / "instance"))  # the server's cache
        sets, warm, note = query_sets(args, watchlists)
        bodies = [valid_bodies(probes, 100_000 * level) for level, probes in enumerate(sets)]
        warm_bodies, warm_queries, _ = valid_bodies(warm, 100_000 * len(sets))
        dropped = sum((d for _, _, d in bodies), Counter())
        print_header(args, backend, startup_s, len(sets[0]), len(warm), dropped, note)
        post = ("POST", "/v1/screen", {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"})
        encode = lambda items: [json.dumps(b).encode() for b in items]  # noqa: E731
        warmed = run_load(server, "warm-up", post, encode(warm_bodies), len(warm_bodies), args.seconds,
                          max(args.concurrency))
        loads = [run_load(server, "POST /v1/screen", post, encode(b), len(b), args.seconds, c)
                 for c, (b, _, _) in zip(args.concurrency, bodies)]
        loads += [run_load(server, "GET /healthz (HTTP floor)", ("GET", "/healthz", {}), [], args.requests,
                           args.seconds, c) for c in args.concurrency]
        screened = sum(load.ok for load in loads if load.label.startswith("POST")) + warmed.ok
        audit_check = check_audit(database_url, screened)
    # the queries of the first level, as that level sent them (a level stopped by --seconds sent fewer)
    first = bodies[0][0][:len(loads[0].times)]
    with fresh_store(args, tmp, "inprocess") as url:
        local = in_process(watchlists, first, warm_queries, args.seconds, tmp, url)
    with fresh_store(args, tmp, "audit-bench") as url:
        audit = audit_costs(url, args.audit_seconds, 20_000, 500)
    rows = [load.row() for load in loads] + in_process_rows(local)
    print_table(rows)
    print_audit(audit, backend)
    parts = print_breakdown(rows, args.concurrency[0])
    goals = print_goals(rows)
    print(f"\n{audit_check}")
    return {"backend": backend, "startup_s": startup_s, "rows": rows, "audit_us": audit, "breakdown_ms": parts,
            "goals": goals, "dropped_fields": dict(dropped), "audit_check": audit_check}


def compare(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    """--compare LABEL=OPTIONS...: the POST /v1/screen and GET /healthz loads under each gunicorn
    configuration, on the same queries, a fresh server and store each time; round after round,
    the order reversed every round, so that a change in the machine's load falls on all alike.
    The first configuration is the baseline of the summary."""
    configs = []  # (label, options, workers): --workers unless the options set theirs
    for label, _, options in (given.partition("=") for given in args.compare):
        cfg, own_workers = gunicorn_settings(options)
        configs.append((label, options, cfg.workers if own_workers else args.workers))
    watchlists = Watchlists.load(Settings.from_env({}, instance_dir=tmp / "instance"))  # the servers' cache
    sets, warm, note = query_sets(args, watchlists)
    bodies = [[json.dumps(b).encode() for b in valid_bodies(probes, 100_000 * level)[0]]
              for level, probes in enumerate(sets)]
    warm_bodies = [json.dumps(b).encode() for b in valid_bodies(warm, 100_000 * len(sets))[0]]
    print(f"gunicorn configurations compared on 127.0.0.1, app preloaded, "
          f"{args.rounds} rounds (order reversed every round); {engine_fingerprint()}")
    for label, options, workers in configs:
        print(f"  {label}: {workers} {served_by(options)}; GUNICORN_CMD_ARGS={options!r}")
    print(f"queries: {len(sets[0]):,} per level (at most {args.seconds:.0f} s), after {len(warm):,} warm-up screens; "
          f"machine: {os.cpu_count()} cores, 1-min load average {os.getloadavg()[0]:.2f}{note}\n")
    rows: list[dict[str, Any]] = []
    for round_ in range(args.rounds):
        for label, options, workers in configs if round_ % 2 == 0 else configs[::-1]:
            with fresh_store(args, tmp, f"{label}-{round_}") as url:
                server = Server(tmp / "instance", url, tmp / "gunicorn.log", workers=workers, options=options)
                secret = server.create_key("screener", "bench-http")
                with server:
                    post = ("POST", "/v1/screen", {"Authorization": f"Bearer {secret}",
                                                   "Content-Type": "application/json"})
                    warmed = run_load(server, "warm-up", post, warm_bodies, len(warm_bodies), args.seconds,
                                      max(args.concurrency))
                    loads = [run_load(server, f"{label}: POST /v1/screen", post, b, len(b), args.seconds, c)
                             for c, b in zip(args.concurrency, bodies)]
                    loads += [run_load(server, f"{label}: GET /healthz", ("GET", "/healthz", {}), [], args.requests,
                                       args.seconds, c) for c in args.concurrency]
                screened = sum(load.ok for load in loads if "POST" in load.label) + warmed.ok
                check = check_audit(url, screened)
            for load in loads:
                rows.append({**load.row(), "round": round_, "load_average": os.getloadavg()[0]})
            print(f"round {round_ + 1}, {label}: {check}; 1-min load average {os.getloadavg()[0]:.2f}")
    print()
    print_table(rows)
    summary = print_comparison(rows, [label for label, _, _ in configs])
    return {"configs": {label: options for label, options, _ in configs}, "rows": rows, "summary": summary}


def print_comparison(rows: list[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    """Per configuration and level: the median over rounds of throughput and p99, beside the first's."""
    out = []
    print(f"\nMedians over rounds (ratios to {labels[0]}):")
    for target in ("POST /v1/screen", "GET /healthz"):
        concurrency = sorted({r["concurrency"] for r in rows})
        for level in concurrency:
            base: dict[str, float] = {}
            for label in labels:
                mine = [r for r in rows if r["target"] == f"{label}: {target}" and r["concurrency"] == level]
                per_s = statistics.median(r["per_s"] for r in mine)
                p99 = statistics.median(r["p99"] for r in mine)
                cpu = statistics.median(r["server_cpu_ms"] for r in mine)
                busiest = statistics.median(r["busiest_worker_share"] for r in mine)
                base = base or {"per_s": per_s, "p99": p99}
                out.append({"config": label, "target": target, "concurrency": level, "per_s": per_s, "p99": p99,
                            "server_cpu_ms": cpu, "busiest_worker_share": busiest})
                print(f"  {target:16} conc {level:>2}  {label:14} {per_s:7.0f}/s ({per_s / base['per_s']:5.2f}x)  "
                      f"p99 {p99:7.2f} ms ({p99 / base['p99']:5.2f}x)  server CPU {cpu:5.2f} ms/request, "
                      f"{busiest:.0%} of it in the busiest process")
    return out


def print_header(args: argparse.Namespace, backend: str, startup_s: float, measured: int, warm: int,
                 dropped: Counter[str], note: str) -> None:
    cores = os.cpu_count()
    print(f"HTTP benchmark: POST /v1/screen under gunicorn on 127.0.0.1, {args.workers} {served_by()}, app "
          f"preloaded; store {backend}\n{engine_fingerprint()}")
    print(f"machine: {cores} cores, 1-min load average {os.getloadavg()[0]:.2f}. The load generator "
          f"(closed loop, {'/'.join(map(str, args.concurrency))} threads, this process) shares these {cores} "
          "cores with gunicorn: its CPU per request is shown beside the server's.")
    print(f"server up and /readyz 200 after {startup_s:.1f} s (lists parsed cold, engine built in the master)")
    print(f"queries: {measured:,} per level, a disjoint set each (at most {args.seconds:.0f} s), after {warm:,} warm-up "
          f"screens over HTTP; seed {args.seed}; mix: " + ", ".join(f"{n} {s:.0%}" for n, _, s in SLICES))
    if note:
        print(note)
    if dropped:
        print("  fields the API refuses, dropped from the bodies: "
              + ", ".join(f"{field} in {count}" for field, count in dropped.items()))
    print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per level, at most (default 2000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time bound per level (default 30)")
    parser.add_argument("--concurrency", default="1,4", help="comma-separated levels (default 1,4)")
    parser.add_argument("--warm", type=int, default=300, help="warm-up screens over HTTP, disjoint (default 300)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--audit-seconds", type=float, default=1.5, help="time bound per audit measure")
    parser.add_argument("--pg", help="PostgreSQL URL: the server's store (and the audit measures) in a fresh schema")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    parser.add_argument("--compare", action="append", metavar="LABEL=OPTIONS",
                        help="compare gunicorn configurations instead (repeat; OPTIONS as in GUNICORN_CMD_ARGS, "
                             "e.g. 'sync=--worker-class sync --threads 1': gunicorn runs a sync class with more "
                             "than one thread as gthread; --workers there overrides --workers; the first is "
                             "the baseline)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --compare (default 2)")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        if args.compare:
            numbers = compare(args, Path(tmp))
        else:
            with fresh_store(args, Path(tmp), "server") as url:
                numbers = measure(args, Path(tmp), url, "PostgreSQL" if args.pg else "SQLite (WAL)")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
