"""Benchmark: loading all default lists, cold (parse) and warm (parsed cache).

Baseline, run in the same process: just decompressing and reading every file's bytes,
the floor any loader pays. Prints seconds per list and in total, the ratio to the
baseline, and resident memory. Goal (issue 2): warm load of all default lists <= 3 s.

    .venv/bin/python bench/load.py [--repeat N]
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from watchlists.catalog import Catalog  # noqa: E402
from watchlists.lists import LISTS  # noqa: E402
from watchlists.model import read_bytes  # noqa: E402

GOAL_WARM_SECONDS = 3.0


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _best(fn, repeat: int) -> float:
    return min(_timed(fn)[0] for _ in range(repeat))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (best is kept)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(store_dir=Path(tmp) / "store", cache_dir=Path(tmp) / "cache")
        versions = [catalog.active(list_id) for list_id in LISTS]
        rows, totals = [], [0.0, 0.0, 0.0]
        for v in versions:
            paths = list(v.file_paths().values())
            base = _best(lambda: [read_bytes(p) for p in paths], args.repeat)
            cold = _best(lambda: Catalog(store_dir=Path(tmp) / "store", cache_dir=None).load(v), args.repeat)
            catalog.load(v)  # fills the cache
            warm = _best(lambda: catalog.load(v), args.repeat)
            rows.append((v.ref, v.entities, base, cold, warm))
            for i, value in enumerate((base, cold, warm)):
                totals[i] += value
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'list version':48} {'entities':>8} {'read (s)':>9} {'parse (s)':>9} {'cached (s)':>10}")
    for ref, count, base, cold, warm in rows:
        print(f"{ref:48} {count:8,} {base:9.3f} {cold:9.3f} {warm:10.3f}")
    base, cold, warm = totals
    print(f"{'all default lists':48} {sum(r[1] for r in rows):8,} {base:9.3f} {cold:9.3f} {warm:10.3f}")
    print(f"\nbaseline (decompress + read bytes): {base:.3f} s")
    print(f"cold parse: {cold:.3f} s ({cold / base:.1f}x baseline); "
          f"warm from cache: {warm:.3f} s ({warm / base:.1f}x baseline)")
    print(f"peak resident memory: {rss_mb:.0f} MB")
    verdict = "meets" if warm <= GOAL_WARM_SECONDS else "MISSES"
    print(f"goal: warm load <= {GOAL_WARM_SECONDS:.1f} s: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
