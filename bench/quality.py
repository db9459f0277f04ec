"""Quality benchmark: precision, recall and F1 per file and kind, and the false-alert rate of
screening negatives against all default lists, for our engine beside its peers: each at its
own thresholds, then each peer at the threshold that gives it our false-alert rate on the
label-false pairs (equal_false_alert_levels).

Reads only bench/data (the development sets and hard_negatives.jsonl.gz). Pairs are scored
with each matcher's `compare`; query-only records (candidate null) are screened against all
default lists: our engine with `engine.screen`, peers on a rapidfuzz shortlist (see
peers.NameBlocker). Offline; runs in .venv-bench (nomenklatura), or in .venv for ours,jw.

    .venv-bench/bin/python bench/quality.py [--matchers ours,logic-v2,logic-v1,ofac,jw]
        [--limit N] [--json FILE] [--workers N] [--shortlist K]
"""
from __future__ import annotations

import argparse
import gzip
import json
import math
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peers import (NameBlocker, Matcher, OursMatcher, Scored, build_peer, record_names,  # noqa: E402
                   sls_normalize)
from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import JaroWinkler  # noqa: E402
from watchlists.catalog import Catalog  # noqa: E402
from watchlists.model import Entity  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
MATCHERS = ("ours", "logic-v2", "logic-v1", "ofac", "jw")
LEVELS = ("review", "match")
SHORTLIST = 50  # entities per query a peer scores when screening (rapidfuzz blocking)

Record = dict[str, Any]


# -- data -------------------------------------------------------------------------------

def read_jsonl(path: Path) -> list[Record]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_sets(limit: int | None = None) -> dict[str, list[Record]]:
    """Every bench/data/*.jsonl.gz by file stem; with `limit`, that many of each, evenly spaced."""
    sets = {}
    for path in sorted(DATA.glob("*.jsonl.gz")):
        rows = read_jsonl(path)
        if limit and len(rows) > limit:  # an even spread, so every kind is represented
            rows = [rows[i * len(rows) // limit] for i in range(limit)]
        sets[path.name.removesuffix(".jsonl.gz")] = rows
    if not sets:
        raise SystemExit(f"no data in {DATA}")
    return sets


def load_entities() -> list[Entity]:
    """All entities of every default list (bundled versions, parsed afresh)."""
    with tempfile.TemporaryDirectory() as tmp:
        return [e for loaded in Catalog(store_dir=Path(tmp)).load_active() for e in loaded.entities]


def split(sets: dict[str, list[Record]]) -> tuple[list[tuple[str, Record]], list[Record]]:
    """Labelled pairs (file, record) and the query sides of query-only records (candidate null)."""
    pairs = [(name, r) for name, rows in sets.items() for r in rows if r.get("candidate")]
    queries = [r["query"] for rows in sets.values() for r in rows if not r.get("candidate")]
    return pairs, queries


# -- running matchers -------------------------------------------------------------------

_TASK: tuple[Callable[[Any], Any], list[list[Any]]] | None = None


def _run_chunk(index: int) -> list[Any]:
    assert _TASK is not None
    fn, chunks = _TASK
    return [fn(item) for item in chunks[index]]


def parallel_map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    """`[fn(x) for x in items]` over forked workers (which inherit the built matchers)."""
    global _TASK
    if workers <= 1 or len(items) < 100:
        return [fn(item) for item in items]
    chunks = [list(items[i::workers]) for i in range(workers)]
    _TASK = (fn, chunks)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_run_chunk, range(workers))
    finally:
        _TASK = None
    out: list[Any] = [None] * len(items)
    for i, part in enumerate(parts):
        out[i::workers] = part
    return out


def build_matchers(names: Sequence[str], entities: list[Entity]) -> list[Matcher]:
    """The requested matchers; `ours` is skipped with a message while the engine is missing."""
    built: list[Matcher] = []
    for name in names:
        try:
            matcher = OursMatcher(entities) if name == "ours" else build_peer(name)
        except ImportError as exc:
            print(f"[skip] {name}: not available ({exc})", file=sys.stderr)
            continue
        except LookupError as exc:
            print(f"[skip] {name}: {exc}", file=sys.stderr)
            continue
        built.append(matcher)
    return built


def warm_up(matcher: Matcher, pairs: list[tuple[str, Record]]) -> None:
    """One comparison in the parent, so forked workers inherit loaded reference data."""
    if pairs:
        matcher.compare(pairs[0][1]["query"], pairs[0][1]["candidate"])


def score_pairs(matcher: Matcher, pairs: list[tuple[str, Record]], workers: int) -> list[Scored]:
    return parallel_map(lambda p: matcher.compare(p[1]["query"], p[1]["candidate"]), pairs, workers)


def shortlists(blocker: NameBlocker | None, queries: list[Record], workers: int) -> list[list[Record]]:
    """The blocker's candidate records per query (shared objects: matchers cache per record)."""
    if blocker is None:
        return []
    found = parallel_map(blocker.shortlist, queries, workers)
    return [[blocker.record(i) for i in indexes] for indexes in found]


def screen(matcher: Matcher, queries: list[Record], lists: list[list[Record]], workers: int) -> list[Scored]:
    """The top verdict per query against all default lists."""
    if isinstance(matcher, OursMatcher):
        return parallel_map(matcher.screen_query, queries, workers)
    items = list(zip(queries, lists))
    return parallel_map(lambda item: matcher.screen(item[0], item[1]), items, workers)


def brute_force_jw(entities: list[Entity], queries: list[Record], workers: int) -> list[float]:
    """The Jaro-Winkler baseline's best score per query over every list name, no blocking:
    the yardstick for what blocking loses (STYLE: retrieval recall against brute force)."""
    keys = list(dict.fromkeys(sls_normalize(n.full) for e in entities for n in e.names))

    def best(query: Record) -> float:
        hits = [process.extractOne(sls_normalize(name), keys, scorer=JaroWinkler.similarity)
                for name in record_names(query)]
        return max((h[1] for h in hits if h is not None), default=0.0)

    return parallel_map(best, queries, workers)


# -- metrics ----------------------------------------------------------------------------

@dataclass
class Counts:
    """Confusion counts at one level: an alert is a verdict at or above the level."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: bool, alert: bool) -> None:
        if label:
            self.tp, self.fn = self.tp + alert, self.fn + (not alert)
        else:
            self.fp, self.tn = self.fp + alert, self.tn + (not alert)

    @property
    def precision(self) -> float | None:
        """None unless the slice has positives and negatives and something was alerted
        (on a positive-only slice it would be 1, on a negative-only one 0, by construction)."""
        if self.tp + self.fp == 0 or self.fp + self.tn == 0 or self.tp + self.fn == 0:
            return None
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def false_alerts(self) -> float | None:
        """Share of the negatives alerted."""
        return self.fp / (self.fp + self.tn) if self.fp + self.tn else None

    def as_dict(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
                "precision": self.precision, "recall": self.recall, "f1": self.f1,
                "false_alert_rate": self.false_alerts}


@dataclass
class Slice:
    """One row of the tables: a file, or one kind within a file."""

    label: str
    positives: int = 0
    negatives: int = 0
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)  # (matcher, level)

    def add(self, matcher: str, label: bool, scored: Scored) -> None:
        for rank, level in enumerate(LEVELS, start=1):
            self.counts.setdefault((matcher, level), Counts()).add(label, scored.rank >= rank)


def build_slices(pairs: list[tuple[str, Record]], results: dict[str, list[Scored]]) -> list[Slice]:
    """Per file, then per kind within it, in file order; plus all hard negatives pooled."""
    slices: dict[str, Slice] = {}
    for i, (name, record) in enumerate(pairs):
        label = bool(record["label"])
        keys = [name, f"{name} / {record.get('kind', '?')}"]
        if not label:
            keys.append("all label-false pairs")
        for key in keys:
            row = slices.setdefault(key, Slice(key))
            row.positives += label
            row.negatives += not label
            for matcher, scored in results.items():
                row.add(matcher, label, scored[i])
    return sorted(slices.values(), key=lambda s: (s.label.startswith("all "), s.label))


def screening_counts(results: dict[str, list[Scored]]) -> dict[str, dict[str, Counts]]:
    """Per matcher and level: every screened query is a negative; any alert is a false one."""
    out: dict[str, dict[str, Counts]] = {}
    for matcher, scored in results.items():
        out[matcher] = {}
        for rank, level in enumerate(LEVELS, start=1):
            counts = Counts()
            for s in scored:
                counts.add(False, s.rank >= rank)
            out[matcher][level] = counts
    return out


def equal_false_alert_levels(pairs: list[tuple[str, Record]], results: dict[str, list[Scored]],
                             reference: str = "ours") -> dict[str, dict[str, float]]:
    """Per peer and level: the lowest score threshold at which the peer alerts on no larger
    share of the label-false pairs than `reference` does at that level with its own verdicts.

    Each matcher's own thresholds put it at its own false-alert rate (logic-v2's review at
    0.50 alerts on about a third of the hard negatives), so recall at those thresholds
    compares operating points, not matchers. At these levels every matcher pays the same
    false-alert cost, and recall compares how much each finds for it. The levels are fitted
    on the very negatives they are judged on, which favours the peers.
    """
    negatives = [i for i, (_, record) in enumerate(pairs) if not record["label"]]
    if reference not in results or not negatives:
        return {}
    allowed = {level: sum(results[reference][i].rank >= rank for i in negatives)
               for rank, level in enumerate(LEVELS, start=1)}
    out: dict[str, dict[str, float]] = {}
    for matcher, scored in results.items():
        if matcher == reference:
            continue
        ranked = sorted((scored[i].score for i in negatives), reverse=True)
        # alert at score >= threshold: just above the (allowed + 1)-th highest negative (ties
        # with it stay below too, so the peer never alerts on more than allowed)
        out[matcher] = {level: 0.0 if n >= len(ranked) else math.nextafter(ranked[n], math.inf)
                        for level, n in allowed.items()}
    return out


def equal_false_alert_slices(pairs: list[tuple[str, Record]], results: dict[str, list[Scored]],
                             levels: dict[str, dict[str, float]], reference: str = "ours") -> list[Slice]:
    """build_slices, with each peer alerting at its equal_false_alert_levels instead of its own."""
    rethresholded: dict[str, list[Scored]] = {reference: results[reference]}
    for matcher, by_level in levels.items():
        rethresholded[matcher] = [Scored(s.score, "match" if s.score >= by_level["match"] else
                                         "review" if s.score >= by_level["review"] else "clear")
                                  for s in results[matcher]]
    return build_slices(pairs, rethresholded)


# -- report -----------------------------------------------------------------------------

def pct(value: float | None) -> str:
    return "    -" if value is None else f"{100 * value:5.1f}"


def print_level(level: str, slices: list[Slice], matchers: list[str], how: str = "") -> None:
    """One table: a row per slice, P/R/F1/FA per matcher side by side."""
    print(f"\n== pairs at `{level}`{how} (percent; P precision, R recall, F1, FA false alerts "
          "among label-false pairs; - undefined: P needs positives, negatives and an alert) ==")
    head = f"{'file / kind':34} {'n+':>5} {'n-':>5}"
    print(head + "".join(f" | {m:^23}" for m in matchers))
    print(" " * len(head) + " |     P     R    F1    FA" * len(matchers))
    for row in slices:
        cells = ""
        for m in matchers:
            c = row.counts[(m, level)]
            cells += f" | {pct(c.precision)} {pct(c.recall)} {pct(c.f1)} {pct(c.false_alerts)}"
        label = row.label if " / " not in row.label else "  " + row.label.split(" / ", 1)[1]
        print(f"{label[:34]:34} {row.positives:5} {row.negatives:5}{cells}")


def print_screening(counts: dict[str, dict[str, Counts]], n: int, blocked: str) -> None:
    print(f"\n== negatives screened against all default lists ({n} query-only records; "
          "any alert is a false one) ==")
    print(f"{'matcher':10} {'alerts at review':>18} {'alerts at match':>18}  retrieval")
    for matcher, by_level in counts.items():
        how = "engine.screen(query, limit=10)" if matcher == "ours" else blocked
        cells = "".join(f" {by_level[level].fp:7} ({100 * (by_level[level].false_alerts or 0):5.2f}%)"
                        for level in LEVELS)
        print(f"{matcher:10}{cells}  {how}")


def print_alerts(result: Run, shown: int) -> None:
    """The first screening alerts of each matcher: what a reviewer would be shown."""
    for matcher, scored in result.screen_results.items():
        alerts = [(q, s) for q, s in zip(result.queries, scored) if s.rank >= 1]
        if not alerts:
            continue
        print(f"{matcher} alerts ({len(alerts)}, first {min(shown, len(alerts))}):")
        for query, s in alerts[:shown]:
            print(f"    {s.verdict:6} {s.score:.2f}  {query.get('name')!r} -> {s.detail}")


def print_matchers(matchers: list[Matcher], seconds: dict[str, float]) -> None:
    print("\n== matchers: thresholds (score >= level) and wall time ==")
    for m in matchers:
        t = m.thresholds
        levels = "-" if t.review is None or t.match is None else f"review {t.review:.2f} match {t.match:.2f}"
        total, screening = seconds.get(m.name, 0.0), seconds.get(f"{m.name} screening", 0.0)
        print(f"{m.name:10} {total:6.1f} s ({total - screening:5.1f} pairs, {screening:5.1f} screening)"
              f"  {levels:26} {t.source}")
    for extra, what in (("blocking", "shortlists shared by the peers' screening"),
                        ("jw brute force", "blocking check")):
        if extra in seconds:
            print(f"{extra:14} {seconds[extra]:6.1f} s  {what}")


def write_json(path: Path, result: Run, slices: list[Slice], screening: dict[str, dict[str, Counts]],
               meta: dict[str, Any], equal: Sequence[Slice] = ()) -> None:
    """The numbers of the tables (`equal`: with the peers at equal false alerts), plus every
    screening alert, as JSON."""
    alerts = {m: [{"query": q.get("name"), "score": s.score, "verdict": s.verdict, "entity": s.detail}
                  for q, s in zip(result.queries, scored) if s.rank >= 1]
              for m, scored in result.screen_results.items()}
    payload = {
        "meta": meta,
        "matchers": {m.name: {"review": m.thresholds.review, "match": m.thresholds.match,
                              "source": m.thresholds.source} for m in result.matchers},
        "pairs": [{"slice": s.label, "positives": s.positives, "negatives": s.negatives,
                   "results": {f"{m}@{lvl}": c.as_dict() for (m, lvl), c in s.counts.items()}}
                  for s in slices],
        "pairs_at_equal_false_alerts": [{"slice": s.label, "positives": s.positives, "negatives": s.negatives,
                                         "results": {f"{m}@{lvl}": c.as_dict() for (m, lvl), c in s.counts.items()}}
                                        for s in equal],
        "screening": {m: {lvl: c.as_dict() for lvl, c in by.items()} for m, by in screening.items()},
        "screening_alerts": alerts,
        "seconds": result.seconds,
    }
    path.write_text(json.dumps(payload, indent=1, allow_nan=False, ensure_ascii=False) + "\n", "utf-8")


# -- main -------------------------------------------------------------------------------

@dataclass
class Run:
    """Everything one benchmark run computed."""

    matchers: list[Matcher]
    pairs: list[tuple[str, Record]]
    queries: list[Record]
    pair_results: dict[str, list[Scored]] = field(default_factory=dict)
    screen_results: dict[str, list[Scored]] = field(default_factory=dict)
    brute_jw: list[float] | None = None  # jw's unblocked best score per screened query
    seconds: dict[str, float] = field(default_factory=dict)


def run(names: Sequence[str], limit: int | None, workers: int, shortlist: int) -> Run:
    """Load data and lists, build the matchers, score every pair and screen every query."""
    pairs, queries = split(load_sets(limit))
    entities = load_entities()
    result = Run(build_matchers(names, entities), pairs, queries)
    peers = [m for m in result.matchers if not isinstance(m, OursMatcher)]
    blocker = NameBlocker(entities, limit=shortlist) if peers else None
    start = time.perf_counter()
    lists = shortlists(blocker, queries, workers)
    if blocker is not None:
        result.seconds["blocking"] = time.perf_counter() - start
    for matcher in result.matchers:
        start = time.perf_counter()
        warm_up(matcher, pairs)
        result.pair_results[matcher.name] = score_pairs(matcher, pairs, workers)
        middle = time.perf_counter()
        result.screen_results[matcher.name] = screen(matcher, queries, lists, workers)
        result.seconds[f"{matcher.name} screening"] = time.perf_counter() - middle
        result.seconds[matcher.name] = time.perf_counter() - start
        print(f"[done] {matcher.name}: {len(pairs)} pairs, {len(queries)} screened, "
              f"{result.seconds[matcher.name]:.1f} s", file=sys.stderr)
    if "jw" in result.screen_results:
        start = time.perf_counter()
        result.brute_jw = brute_force_jw(entities, queries, workers)
        result.seconds["jw brute force"] = time.perf_counter() - start
    return result


def print_blocking_check(result: Run) -> None:
    """How many of jw's screening alerts blocking loses, against brute force."""
    if result.brute_jw is None:
        return
    jw = next(m for m in result.matchers if m.name == "jw")
    blocked = result.screen_results["jw"]
    for level in LEVELS:
        t = getattr(jw.thresholds, level)
        brute = sum(jw.verdict(score) in LEVELS[LEVELS.index(level):] for score in result.brute_jw)
        kept = sum(s.rank >= LEVELS.index(level) + 1 for s in blocked)
        print(f"blocking check (jw at {level} {t:.2f}): brute force over every list name alerts "
              f"{brute}/{len(blocked)} queries, blocked screening {kept}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matchers", default=",".join(MATCHERS),
                        help=f"comma-separated, from {', '.join(MATCHERS)}")
    parser.add_argument("--limit", type=int, default=None,
                        help="N records of each file, evenly spaced (quick run)")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--shortlist", type=int, default=SHORTLIST,
                        help="entities per query a peer scores when screening")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    result = run([m.strip() for m in args.matchers.split(",") if m.strip()],
                 args.limit, args.workers, args.shortlist)
    if not result.matchers:
        print("no matcher could run", file=sys.stderr)
        return 1
    names = [m.name for m in result.matchers]
    slices = build_slices(result.pairs, result.pair_results)
    screening = screening_counts(result.screen_results)
    blocked = (f"peer scores the top {args.shortlist} entities by rapidfuzz token_sort_ratio "
               "over all normalized list names (blocking, not brute force)")
    for level in LEVELS:
        print_level(level, slices, names)
    levels = equal_false_alert_levels(result.pairs, result.pair_results)
    equal = equal_false_alert_slices(result.pairs, result.pair_results, levels) if levels else []
    if levels:
        print("\n== peers at equal false alerts: each peer's lowest threshold that alerts on no more "
              "label-false pairs than ours does at our level ==")
        for matcher, by_level in levels.items():
            print(f"{matcher:10} " + "  ".join(f"{level} >= {t:.4f}" for level, t in by_level.items()))
        for level in LEVELS:
            print_level(level, equal, names, how=", peers at equal false alerts")
    print_screening(screening, len(result.queries), blocked)
    print_blocking_check(result)
    print_alerts(result, shown=5)
    print_matchers(result.matchers, result.seconds)
    total = time.perf_counter() - started
    print(f"\ntotal wall time {total:.1f} s ({args.workers} workers, limit {args.limit or 'none'})")
    if args.json is not None:
        meta = {"limit": args.limit, "workers": args.workers, "shortlist": args.shortlist,
                "total_seconds": total, "files": sorted({name for name, _ in result.pairs})}
        meta["equal_false_alert_levels"] = levels
        write_json(args.json, result, slices, screening, meta, equal)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
