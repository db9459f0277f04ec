"""Batch screening benchmark: rows/s end to end and peak resident memory for files of realistic
accounts, against all default lists, beside a baseline in the same process (reading and parsing
the same file into accounts, no screening), and where the time goes (parse, engine, store).

Accounts (fixed seed, streamed to a CSV): 79.5% people recombined from the qarin synthetic
people's given, middle and family names within one script (bench/data/dev_negatives_qarin: real
name distributions in many scripts), drawn with Zipf weights so common names recur as in a real
customer base; 20% listed given names with another listed person's surname (bench/speed.py's
`recombined_people`: near misses); 0.5% listed people as a customer would enter them (from
bench/data/hard_negatives). 60% carry a birth date and 70% a country.

Each size runs the whole path: intake (copy + split), the job on --processes worker processes
(forked after the engine is built, as `python -m compliance worker` does; each retires after
compliance.batch.worker.RETIRE_AFTER_ROWS rows and a fresh one is forked), and the results CSV
download. Progress lines show the workers' resident memory now and the largest of those that
have ended (the workers retire in step, so a line may fall between two generations). A first
in-process pass over --sample rows (its own job) splits the time into reading, parsing +
screening (and within it, the engine) and committing (results + audit records), and
estimates how long each size will take before it starts, with the time the cyclic garbage
collector took in that pass. --gc-thresholds sets the collector's thresholds while a worker
runs: `--gc-thresholds 700,10,10` runs with Python's defaults instead of the workers' own
(compliance.batch.worker.GC_THRESHOLDS), to compare.

    .venv/bin/python bench/batch.py [--rows 100000 1000000] [--processes 2] [--sample 5000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--monitor]
        [--gc-thresholds 700,10,10] [--json FILE]
"""
from __future__ import annotations

import argparse
import bisect
import csv
import itertools
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from compliance.audit import Actor, AuditLog  # noqa: E402
from compliance.batch import worker as batch_worker  # noqa: E402
from compliance.batch.accounts import csv_account  # noqa: E402
from compliance.batch.columns import ColumnMap  # noqa: E402
from compliance.batch.inputs import Format, RowError, records, split_lines, utf8_blocks  # noqa: E402
from compliance.batch.service import BatchService  # noqa: E402
from compliance.config import Settings  # noqa: E402
from compliance.lists import Watchlists  # noqa: E402
from compliance.matching.engine import Engine  # noqa: E402
from compliance.service import Caller, Screener  # noqa: E402
from compliance.store import Store  # noqa: E402
from audit import postgres_schema  # noqa: E402  (bench/, this script's directory)
from speed import collections_timed, memory_mb, read_jsonl, recombined_people  # noqa: E402
from watchlists.model import Entity, script_of  # noqa: E402

SEED = 20261121
GOAL_ROWS_PER_S = 4000.0
ZIPF_EXPONENT = 1.0  # name frequencies in a population fall roughly as 1/rank
HEADER = ["account_id", "name", "date_of_birth", "country", "type"]
CALLER = Caller(Actor.system("bench:batch"))


class Accounts:
    """Deterministic realistic account rows (see the module docstring for the mix)."""

    def __init__(self, entities: Sequence[Entity], seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        people = [r["query"] for r in read_jsonl("dev_negatives_qarin.jsonl.gz")]
        parts: dict[str, dict[str, list[str]]] = {}
        for p in people:
            group = parts.setdefault(script_of(p["name"]) or "Latin", {"firstName": [], "middleName": [],
                                                                      "lastName": []})
            for key, value in (p.get("name_parts") or {}).items():
                if key in group and value:
                    group[key].append(value)
        self.groups = [(g, self._zipf(sorted(set(v["firstName"]))), self._zipf(sorted(set(v["middleName"]))),
                        self._zipf(sorted(set(v["lastName"])))) for g, v in sorted(parts.items()) if v["lastName"]]
        self.group_weights = list(itertools.accumulate(len(parts[g]["lastName"]) for g, *_ in self.groups))
        self.births = [p["birth_date"] for p in people if p.get("birth_date")]
        self.countries = sorted({p["country"] for p in people if p.get("country")})
        self.near = recombined_people(entities, random.Random(f"{seed}:recombined"), 4000)
        hard = read_jsonl("hard_negatives.jsonl.gz")
        self.listed = [r["query"] for r in hard if r.get("kind_origin") == "generated"]

    def _zipf(self, names: list[str]) -> tuple[list[str], list[float]]:
        self.rng.shuffle(names)
        return names, list(itertools.accumulate(1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in range(len(names))))

    def _pick(self, pool: tuple[list[str], list[float]]) -> str | None:
        names, cumulative = pool
        if not names:
            return None
        return names[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def rows(self, count: int) -> Iterator[list[str]]:
        rng = self.rng
        for i in range(count):
            draw = rng.random()
            if draw < 0.005:
                record = rng.choice(self.listed)
                name, birth, country = record["name"], record.get("birth_date", ""), record.get("country", "")
            else:
                name = rng.choice(self.near)["name"] if draw < 0.205 else self._person()
                birth = rng.choice(self.births) if rng.random() < 0.6 else ""
                country = rng.choice(self.countries) if rng.random() < 0.7 else ""
            yield [f"acct-{i:08d}", name, birth, country, "person"]

    def _person(self) -> str:
        _group, first, middle, last = self.groups[bisect.bisect(self.group_weights,
                                                                 self.rng.random() * self.group_weights[-1])]
        names = [self._pick(first), self._pick(middle) if self.rng.random() < 0.2 else None, self._pick(last)]
        return " ".join(n for n in names if n)


def write_accounts(path: Path, accounts: Accounts, count: int) -> float:
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(accounts.rows(count))
    return time.perf_counter() - started


def baseline(path: Path) -> dict[str, float]:
    """Reading and parsing the file into accounts, as workers do, without screening: rows/s."""
    started, cpu, rows, columns = time.perf_counter(), time.process_time(), 0, None
    with path.open("rb") as fh:
        for record in records(split_lines(utf8_blocks(fh.read)), Format.CSV):
            if columns is None:
                columns = ColumnMap.build(record.cells or [])
                continue
            try:
                csv_account(record.cells or [], columns)
            except RowError:
                pass
            rows += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "rows_per_cpu_s": rows / cpu}


@contextmanager
def database(url: str | None, directory: Path) -> Iterator[str]:
    """A fresh database: a SQLite file, or a new schema (dropped after) on the PostgreSQL at `url`."""
    if url is None:
        yield f"sqlite:///{directory / 'bench.sqlite3'}"
        return
    with postgres_schema(url) as scoped:
        yield scoped


def service_for(store_url: str, instance: Path, engine: Engine, watchlists: Watchlists) -> BatchService:
    settings = Settings.from_env({}, instance_dir=instance, database_url=store_url)
    store = Store.connect(store_url)
    audit = AuditLog(store)
    return BatchService(store, audit, settings, Screener(engine, watchlists, audit, settings))


def children_rss() -> list[float]:
    """Resident MB of this process's children now (the forked workers; Linux /proc)."""
    found = []
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            found += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS")]
    return found


@contextmanager
def timing_engine(engine: Engine) -> Iterator[list[float]]:
    """Seconds spent inside engine.screen while the block runs (this process only)."""
    spent, screen = [0.0], engine.screen

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return screen(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    engine.screen = timed  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        del engine.screen


def breakdown(service: BatchService, path: Path, engine: Engine, monitor: bool = False) -> dict[str, Any]:
    """One in-process worker over a job of the sample file: where each row's time goes."""
    with path.open("rb") as fh:
        job = service.submit(fh.read, Format.CSV, CALLER, monitor=monitor)
    worker = service.worker()
    started, cpu = time.perf_counter(), time.process_time()
    with timing_engine(engine) as in_engine, collections_timed((0, 1, 2)) as pauses:
        worker.run(lambda: False, job["id"], idle_seconds=0.05)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    s, rows = worker.stats, worker.stats.rows
    per_row = lambda seconds: round(seconds / rows * 1000, 3)  # noqa: E731 - ms per row
    return {"rows": rows, "wall_s": round(wall, 2), "rows_per_s": round(rows / wall, 1),
            "cpu_share": round(cpu / wall, 2),
            "ms_per_row": {"read_and_csv": per_row(s.read), "engine": per_row(in_engine[0]),
                           "parse_and_screener_other": per_row(s.screen - in_engine[0]),
                           "commit_results_and_audit": per_row(s.commit),
                           "other": per_row(wall - s.read - s.screen - s.commit)},
            "cache_hits": worker.cache.hits,
            "gc": {"collections": len(pauses), "seconds": round(sum(pauses), 2),
                   "share": round(sum(pauses) / wall, 3), "longest_ms": round(max(pauses, default=0) * 1e3, 1)}}


def end_to_end(service: BatchService, path: Path, processes: int, monitor: bool = False) -> dict[str, Any]:
    """Intake, the job on `processes` workers, and the results download, each timed."""
    started = time.perf_counter()
    with path.open("rb") as fh:
        job = service.submit(fh.read, Format.CSV, CALLER, monitor=monitor)
    intake = time.perf_counter() - started
    total, marks = job["rows"]["total"], [0.1 * i for i in range(1, 10)]

    def progress(current: Any) -> None:
        if marks and current.rows_done >= marks[0] * total:
            while marks and current.rows_done >= marks[0] * total:
                marks.pop(0)
            ended = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"    {current.rows_done:>9,} rows  {time.perf_counter() - started:7.1f} s  "
                  f"worker RSS {' '.join(f'{mb:.0f}' for mb in children_rss())} MB, "
                  f"largest of the workers that ended {ended:.0f} MB", flush=True)

    work_started, cpu_before = time.perf_counter(), os.times()
    done = service.run_job(job["id"], processes, progress)
    work, cpu_after = time.perf_counter() - work_started, os.times()
    cpu = sum(getattr(cpu_after, f) - getattr(cpu_before, f) for f in (
        ("user", "system") if processes == 1 else ("children_user", "children_system")))
    download_started = time.perf_counter()
    size = sum(len(chunk) for chunk in service.csv(job["id"]))
    download = time.perf_counter() - download_started
    elapsed = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"rows": done.rows_done, "state": done.state.value, "verdicts": done.verdicts,
            "intake_s": round(intake, 2), "work_s": round(work, 2), "download_s": round(download, 2),
            "csv_mb": round(size / 1e6, 1), "total_s": round(elapsed, 2),
            "rows_per_s": round(done.rows_done / elapsed, 1), "work_rows_per_s": round(done.rows_done / work, 1),
            # workers' CPU time over wall time x processes: well below 1 means other processes took the CPU
            "cpu_share": round(cpu / (work * processes), 2), "rows_per_cpu_s": round(done.rows_done / cpu, 1),
            "peak_rss_mb": {"parent": memory_mb()["VmHWM"], "worker_max": round(children, 1)}}


def thresholds(text: str) -> tuple[int, int, int]:
    """--gc-thresholds: three non-negative integers, comma-separated."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 0:
        raise argparse.ArgumentTypeError("three non-negative integers, e.g. 700,10,10")
    return values  # type: ignore[return-value]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000], help="file sizes to run (rows)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--sample", type=int, default=5000, help="rows of the in-process breakdown (0: skip)")
    parser.add_argument("--database-url", help="a PostgreSQL to use (a fresh schema); default SQLite")
    parser.add_argument("--monitor", action="store_true", help="jobs with monitor=true (accounts enrolled too)")
    parser.add_argument("--gc-thresholds", type=thresholds, metavar="A,B,C",
                        help="the cyclic GC's thresholds while a worker runs (700,10,10: Python's)")
    parser.add_argument("--json", type=Path, help="write the numbers here too")
    args = parser.parse_args()
    numbers: dict[str, Any] = {"processes": args.processes, "backend": "postgresql" if args.database_url else "sqlite",
                               "monitor": args.monitor}
    started = time.perf_counter()
    watchlists = Watchlists.load(Settings.from_env({}))
    engine = Engine.build(e for item in watchlists.lists for e in item.entities)
    if args.gc_thresholds:
        batch_worker.GC_THRESHOLDS = args.gc_thresholds  # forked workers inherit it
    numbers["gc_thresholds"] = batch_worker.GC_THRESHOLDS
    print(f"engine built over {len(engine.entities):,} entities in {time.perf_counter() - started:.1f} s; "
          f"{args.processes} worker processes; {numbers['backend']}; RSS {memory_mb()['VmRSS']:.0f} MB; "
          f"workers' GC thresholds {numbers['gc_thresholds']}"
          + ("; monitor=true" if args.monitor else ""))
    accounts = Accounts(engine.entities)
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        work = Path(tmp)
        estimate = None
        if args.sample:
            sample = work / "sample.csv"
            write_accounts(sample, Accounts(engine.entities, SEED + 1), args.sample)
            with database(args.database_url, work) as url:
                numbers["breakdown"] = split = breakdown(service_for(url, work / "sample", engine, watchlists),
                                                         sample, engine, args.monitor)
            estimate = split["rows_per_s"] * args.processes
            print(f"breakdown, 1 process, {split['rows']:,} rows: {split['rows_per_s']:,.0f} rows/s "
                  f"(CPU share {split['cpu_share']:.2f}); identical queries reused {split['cache_hits']:,}; "
                  f"ms per row: " + ", ".join(f"{k} {v}" for k, v in split["ms_per_row"].items()))
            collected = split["gc"]
            print(f"  cyclic GC in that pass: {collected['collections']:,} collections, {collected['seconds']} s "
                  f"({collected['share']:.1%} of the time), longest {collected['longest_ms']} ms")
        for count in args.rows:
            numbers[str(count)] = run_size(args, work, accounts, count, estimate, engine, watchlists)
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2))
    return 0


def run_size(args: argparse.Namespace, work: Path, accounts: Accounts, count: int, estimate: float | None,
             engine: Engine, watchlists: Watchlists) -> dict[str, Any]:
    path = work / f"accounts-{count}.csv"
    made = write_accounts(path, accounts, count)
    base = baseline(path)
    guess = f"; estimate ~{count / estimate / 60:.0f} min at {estimate:,.0f} rows/s" if estimate else ""
    print(f"\n{count:,} rows ({path.stat().st_size / 1e6:.0f} MB, written in {made:.1f} s){guess}")
    print(f"  baseline, read + parse into accounts: {base['rows_per_s']:,.0f} rows/s ({base['seconds']:.1f} s; "
          f"{base['rows_per_cpu_s']:,.0f} rows per CPU-second)")
    with database(args.database_url, work) as url:
        result = end_to_end(service_for(url, work / f"instance-{count}", engine, watchlists), path, args.processes,
                            args.monitor)
    path.unlink()
    goal = "met" if result["rows_per_s"] >= GOAL_ROWS_PER_S else "missed"
    print(f"  end to end: {result['rows_per_s']:,.0f} rows/s (goal {GOAL_ROWS_PER_S:,.0f}: {goal}) in "
          f"{result['total_s']:,.1f} s = intake {result['intake_s']} + screening {result['work_s']} "
          f"({result['work_rows_per_s']:,.0f} rows/s) + CSV {result['download_s']} s ({result['csv_mb']} MB)")
    print(f"  workers' CPU share {result['cpu_share']:.2f} (1.00: the cores were ours), "
          f"{result['rows_per_cpu_s']:,.0f} rows per CPU-second")
    print(f"  verdicts {result['verdicts']}; peak RSS parent {result['peak_rss_mb']['parent']:.0f} MB, "
          f"largest worker {result['peak_rss_mb']['worker_max']:.0f} MB")
    return {"baseline": base, **result}


if __name__ == "__main__":
    raise SystemExit(main())
