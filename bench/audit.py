"""Benchmark: the audit append cost per record, single and batched, on SQLite and PostgreSQL.

Baseline, run in the same process and database: a plain INSERT of the same, already sealed
rows into a copy of the audit table (no hashing, no write lock, no chain head, no index rows).
Each measurement stops after --seconds or --records, whichever comes first. PostgreSQL is
measured when --pg (default: COMPLIANCE_TEST_DATABASE_URL) reaches a server. Last, the latency
of single appends on SQLite: most commits are cheap, a few also run SQLite's automatic WAL
checkpoint (every 1,000 pages of log) and stall the appender for milliseconds; and the same with
the checkpoints left to a thread (`Store.checkpoints_in_background`, as batch workers do). And
contended appends on SQLite: 2 processes of 4 threads, each thread ~2 ms of CPU (a screening's
share) then one append, with the writers queued on `store.WriterQueue` and, as the baseline in
the same run, on SQLite's busy handler alone; --rounds alternates the two.

    .venv/bin/python bench/audit.py [--seconds 5] [--batch 500] [--pg URL] [--contended 300] [--rounds 3]
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import (Column, Index, MetaData, NullPool, Table, create_engine, make_url,  # noqa: E402
                        text)

from compliance.audit import Actor, AuditEvent, AuditLog  # noqa: E402
from compliance.audit_records import prepare, seal  # noqa: E402
from compliance.store import Store  # noqa: E402


def screening_event(n: int) -> AuditEvent:
    """A single screening with three matches and their explanations (~3 kB of JSON)."""
    explanation = {"summary": "Name 'Ali Hosseini Khamenei' met listed primary name 'KHAMENEI, Ali' " * 3,
                   "alignment": [{"query": t, "candidate": t, "similarity": 0.97, "weight": 0.3}
                                 for t in ("ali", "hosseini", "khamenei")],
                   "evidence": {"dob": {"query": "1939-04-19", "listed": "1939-04-19", "contribution": 0.05}}}
    matches = [{"entity_id": f"ofac_sdn:{26945 + i}", "list": "ofac_sdn", "score": 0.95 - i / 10,
                "verdict": "match", "matched_name": "KHAMENEI, Ali", "explanation": explanation} for i in range(3)]
    return AuditEvent("screen", Actor("c890223d64c97850", "billing", "screener"),
                      input={"account_id": f"acc-{n}", "names": ["Ali Hosseini Khamenei"], "country": "IR"},
                      account_id=f"acc-{n}", verdict="match", matches=matches,
                      list_versions={"ofac_sdn": "2024-05-03-ofac_csv-210ca6b4", "un_sc": "2026-02-27-un_xml"},
                      engine_version="e1", policy_version="p1", request_id=uuid.uuid4().hex, client="127.0.0.1")


def measure(step: Callable[[int], int], seconds: float, records: int) -> float:
    """Microseconds per record: call step(i) (it returns the records it wrote) until a bound is hit."""
    done, start = 0, time.perf_counter()
    while done < records and time.perf_counter() - start < seconds:
        done += step(done)
    return (time.perf_counter() - start) / done * 1e6


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def plain_copy(store: Store) -> Table:
    """A table like audit_records, with the same columns and indexes (the baseline's target)."""
    source = store.tables.audit_records
    plain = Table("bench_plain", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key,
                                                       autoincrement=False) for c in source.columns))
    for index in source.indexes:
        Index(f"bench_{index.name}", *(plain.c[c.name] for c in index.columns))
    plain.metadata.create_all(store.engine)
    return plain


def run(url: str, seconds: float, records: int, batch: int) -> dict[str, float]:
    store = Store.connect(url)
    log = AuditLog(store)
    plain = plain_copy(store)
    ts, events = datetime.now(UTC), [screening_event(n) for n in range(batch)]
    rows = [seal(prepare(e), n, ts, date(2036, 1, 1), "0" * 64)[1] for n, e in enumerate(events)]
    offset = [0]

    def plain_rows(count: int) -> list[dict]:
        offset[0] += count  # fresh primary keys for every insert
        return [r | {"seq": offset[0] + i, "id": f"{offset[0] + i}"} for i, r in enumerate(rows[:count])]

    def plain_insert(count: int) -> int:
        with store.engine.begin() as conn:
            conn.execute(plain.insert(), plain_rows(count))
        return count

    results = {
        "prepare + seal (JSON, hash), no database": measure(
            lambda i: len([seal(prepare(events[i % batch]), i, ts, date(2036, 1, 1), "0" * 64)]), seconds,
            records),
        "baseline: plain INSERT, 1 per transaction": measure(lambda i: plain_insert(1), seconds, records),
        "append(), 1 per transaction": measure(lambda i: len([log.append(events[i % batch])]), seconds, records),
        f"baseline: plain INSERT, {batch} per transaction": measure(lambda i: plain_insert(batch), seconds, records),
        f"append_many(), {batch} per transaction": measure(lambda i: len(log.append_many(events)), seconds, records),
    }
    started = time.perf_counter()
    report = log.verify()
    results[f"verify(), {report.checked:,} records (ok={report.ok})"] = (
        (time.perf_counter() - started) / max(report.checked, 1) * 1e6)
    store.close()
    return results


def append_latencies(url: str, seconds: float, records: int, background: bool = False) -> dict[str, float]:
    """Single appends, one per transaction, on a fresh store: p50/p99/max in microseconds, and the
    share of all their time spent in the slowest 2% (on SQLite: the commits that also ran a WAL
    checkpoint, which copies the log into the database file and syncs it, in the appender's
    request). `background`: with the checkpoints left to a thread."""
    store = Store.connect(url)
    log = AuditLog(store)
    events = [screening_event(n) for n in range(100)]
    times: list[int] = []
    with store.checkpoints_in_background() if background else nullcontext():
        start = time.perf_counter()
        while len(times) < records and time.perf_counter() - start < seconds:
            began = time.perf_counter_ns()
            log.append(events[len(times) % len(events)])
            times.append(time.perf_counter_ns() - began)
    store.close()
    times.sort()
    rank = lambda p: times[min(len(times) - 1, int(p * len(times)))] / 1e3  # noqa: E731
    slowest = sum(times[int(0.98 * len(times)):]) / sum(times)
    return {"appends": len(times), "p50": rank(0.5), "p99": rank(0.99), "max": times[-1] / 1e3,
            "slowest 2% share": slowest}


CONTENDED_PROCESSES, CONTENDED_THREADS, CONTENDED_WORK_MS = 2, 4, 2.0


def _spin(milliseconds: float) -> None:
    end = time.perf_counter() + milliseconds / 1000
    while time.perf_counter() < end:
        pass


def _contended_process(url: str, queued: bool, appends: int, out) -> None:
    store = Store.connect(url)
    if not queued:
        store._writers = None  # the baseline: SQLite's busy handler alone
    log = AuditLog(store)
    waits: list[float] = []
    lock = threading.Lock()

    def thread() -> None:
        own = []
        for n in range(appends):
            _spin(CONTENDED_WORK_MS)
            began = time.perf_counter()
            log.append(screening_event(n))
            own.append(time.perf_counter() - began)
        with lock:
            waits.extend(own)

    threads = [threading.Thread(target=thread) for _ in range(CONTENDED_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(waits)


def contended(directory: str, queued: bool, appends: int) -> dict[str, float]:
    """Append latency (ms, lock wait included) and wall seconds of CONTENDED_PROCESSES forked
    processes of CONTENDED_THREADS threads appending to one fresh SQLite store."""
    url = f"sqlite:///{directory}/contended-{uuid.uuid4().hex}.sqlite3"
    Store.connect(url).close()
    fork = multiprocessing.get_context("fork")
    out = fork.Queue()
    processes = [fork.Process(target=_contended_process, args=(url, queued, appends, out))
                 for _ in range(CONTENDED_PROCESSES)]
    start = time.perf_counter()
    for process in processes:
        process.start()
    waits = sorted(w for _ in processes for w in out.get())
    for process in processes:
        process.join()
    rank = lambda p: waits[min(len(waits) - 1, int(p * len(waits)))] * 1e3  # noqa: E731
    return {"appends": len(waits), "p50": rank(0.5), "p99": rank(0.99), "p99.9": rank(0.999),
            "max": waits[-1] * 1e3, "wall": time.perf_counter() - start}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time bound per measurement")
    parser.add_argument("--records", type=int, default=20_000, help="record bound per measurement")
    parser.add_argument("--batch", type=int, default=500, help="records per append_many() call")
    parser.add_argument("--pg", default=os.environ.get("COMPLIANCE_TEST_DATABASE_URL"),
                        help="PostgreSQL URL (postgresql+psycopg://...)")
    parser.add_argument("--contended", type=int, default=300, help="appends per thread, contended (0: skip)")
    parser.add_argument("--rounds", type=int, default=3, help="contended runs each way, alternating")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        backends = {"SQLite (WAL, synchronous=NORMAL)": run(f"sqlite:///{tmp}/audit.sqlite3", args.seconds,
                                                              args.records, args.batch)}
        latencies = append_latencies(f"sqlite:///{tmp}/latency.sqlite3", args.seconds, args.records)
        background = append_latencies(f"sqlite:///{tmp}/background.sqlite3", args.seconds, args.records, True)
        rounds = [(queued, contended(tmp, queued, args.contended)) for _ in range(args.rounds if args.contended else 0)
                  for queued in (False, True)]
    if args.pg:
        try:
            with postgres_schema(args.pg) as url:
                backends["PostgreSQL"] = run(url, args.seconds, args.records, args.batch)
        except Exception as exc:  # noqa: BLE001 - a missing server is reported, not fatal
            print(f"PostgreSQL skipped: {str(exc).splitlines()[0]}\n")
    else:
        print("PostgreSQL skipped: pass --pg or set COMPLIANCE_TEST_DATABASE_URL\n")
    for backend, results in backends.items():
        print(f"{backend}\n  {'measure':52} {'us/record':>10} {'records/s':>10}")
        for name, micros in results.items():
            print(f"  {name:52} {micros:10.1f} {1e6 / micros:10,.0f}")
        print()
    print(f"SQLite append() latency, 1 per transaction, {latencies['appends']:,} appends on a fresh store: "
          f"p50 {latencies['p50']:.0f} us, p99 {latencies['p99']:.0f} us, max {latencies['max']:.0f} us; the slowest "
          f"2% (commits that ran a WAL checkpoint) hold {latencies['slowest 2% share']:.0%} of the total time")
    print(f"  checkpoints in a thread, {background['appends']:,} appends: p50 {background['p50']:.0f} us, "
          f"p99 {background['p99']:.0f} us, max {background['max']:.0f} us; the slowest 2% hold "
          f"{background['slowest 2% share']:.0%} of the total time")
    if rounds:
        print(f"\nSQLite contended appends: {CONTENDED_PROCESSES} processes x {CONTENDED_THREADS} threads, each "
              f"{CONTENDED_WORK_MS:g} ms of CPU then one append; append latency in ms, lock wait included")
        print(f"  {'writers':40} {'appends':>8} {'p50':>7} {'p99':>7} {'p99.9':>7} {'max':>8} {'wall s':>7}")
        for queued, r in rounds:
            label = "queued on WriterQueue (flock)" if queued else "baseline: SQLite's busy handler alone"
            print(f"  {label:40} {r['appends']:8,} {r['p50']:7.2f} {r['p99']:7.2f} {r['p99.9']:7.2f} "
                  f"{r['max']:8.1f} {r['wall']:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
