"""Threshold calibration: sweeps review/match thresholds over our engine's scores on bench/data
and recommends the lowest ones that keep false alerts within target.

Negatives are the query-only set screened against all default lists (best score per query)
plus the label-false pairs of hard_negatives. Per file: recall, and precision/F1 with that
file's positives against all those negatives. Targets (issue 3): false alerts <= 1% of the
screened negatives at review and <= 0.1% at match; guard: the hard negatives (near misses
built to be hard, some of them names a screener should review, e.g. ssb token_swap's
"Iliana Josefa RUZZA" against "RUZZA TERAN, Iliana Josefa") alert at most 5% at review and
1% at match. `--matcher` runs it on a peer instead (smoke test).

    .venv-bench/bin/python bench/calibrate.py [--matcher ours] [--limit N] [--low 0.50]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from peers import Matcher, NameBlocker, OursMatcher, build_peer  # noqa: E402
from quality import (SHORTLIST, Record, load_entities, load_sets, score_pairs, screen,  # noqa: E402
                     shortlists, split)

TARGETS = {"review": 0.01, "match": 0.001}  # max share of screened negatives alerted
HARD_GUARD = {"review": 0.05, "match": 0.01}  # max share of hard-negative pairs alerted
# Kinds a name matcher is not expected to link (see bench/data/README.md): reported apart.
NOT_NAME_VARIANTS = frozenset({"alias", "former_name"})


@dataclass
class Scores:
    """Scores collected once; every threshold of the sweep is evaluated on them."""

    positives: dict[str, list[float]]  # set label -> scores of its label-true pairs
    screened: list[float]  # best score per query-only negative against all lists
    hard: list[float]  # scores of the label-false pairs

    @property
    def negatives(self) -> int:
        return len(self.screened) + len(self.hard)

    def false_alerts(self, t: float) -> tuple[int, int]:
        """(screened alerts, hard-pair alerts) at threshold t."""
        return sum(s >= t for s in self.screened), sum(s >= t for s in self.hard)


def positive_sets(pairs: list[tuple[str, Record]], scores: list[float]) -> dict[str, list[float]]:
    """Positive scores per file; the SDN alias file also without alias/former_name."""
    sets: dict[str, list[float]] = {}
    for (name, record), score in zip(pairs, scores):
        if not record["label"]:
            continue
        sets.setdefault(f"{name} (ssb positives)" if name == "hard_negatives" else name, []).append(score)
        if name.startswith("dev_ofac") and record.get("kind") not in NOT_NAME_VARIANTS:
            sets.setdefault(f"{name} (name variants)", []).append(score)
    return dict(sorted(sets.items()))


def collect(matcher: Matcher, pairs: list[tuple[str, Record]], queries: list[Record],
            entities: list, workers: int) -> Scores:
    """Pair scores and per-query screening maxima for one matcher."""
    pair_scores = [s.score for s in score_pairs(matcher, pairs, workers)]
    blocker = None if isinstance(matcher, OursMatcher) else NameBlocker(entities, limit=SHORTLIST)
    lists = shortlists(blocker, queries, workers)
    screened = [s.score for s in screen(matcher, queries, lists, workers)]
    hard = [s for (_, r), s in zip(pairs, pair_scores) if not r["label"]]
    return Scores(positive_sets(pairs, pair_scores), screened, hard)


def build(name: str, entities: list, low: float) -> Matcher:
    """Our engine with its review level lowered to `low` (so screening returns every score
    the sweep needs), or a peer."""
    if name != "ours":
        return build_peer(name)
    try:
        return OursMatcher(entities, review_floor=low)
    except TypeError:  # an engine without a policy argument: screening maxima are censored
        print("[warn] Engine.build takes no policy: screened scores below its review level "
              "are not returned", file=sys.stderr)
        return OursMatcher(entities)


# -- report -----------------------------------------------------------------------------

def sweep(low: float, high: float, step: float) -> list[float]:
    count = int(round((high - low) / step)) + 1
    return [round(low + i * step, 4) for i in range(count)]


def short(label: str) -> str:
    return label.removeprefix("dev_").removesuffix("_tokens")


def print_legend(scores: Scores) -> list[str]:
    keys = list(scores.positives)
    print("positive sets:")
    for i, key in enumerate(keys, start=1):
        print(f"  {i}: {key} ({len(scores.positives[key])} positives)")
    print(f"negatives: {len(scores.screened)} screened queries + {len(scores.hard)} hard pairs "
          f"= {scores.negatives}")
    return keys


def print_recall(scores: Scores, keys: list[str], thresholds: list[float]) -> None:
    """Recall per positive set and false alerts, per threshold (percent)."""
    print("\n== recall per set and false alerts (percent) ==")
    print("   t " + "".join(f" {'R' + str(i):>5}" for i in range(1, len(keys) + 1))
          + "  FAscr FAhard FAall")
    for t in thresholds:
        recalls = "".join(f" {100 * recall(scores.positives[k], t):5.1f}" for k in keys)
        screened, hard = scores.false_alerts(t)
        fa = [_share(screened, len(scores.screened)), _share(hard, len(scores.hard)),
              _share(screened + hard, scores.negatives)]
        print(f"{t:4.2f}{recalls}  {fa[0]:5.2f} {fa[1]:6.2f} {fa[2]:5.2f}")


def print_f1(scores: Scores, keys: list[str], thresholds: list[float]) -> None:
    """Precision and F1 per set: its positives against all negatives (percent)."""
    print("\n== precision / F1 per set, each set's positives against all negatives (percent) ==")
    print("   t " + "".join(f" {'P' + str(i):>5} {'F' + str(i):>5}" for i in range(1, len(keys) + 1)))
    for t in thresholds:
        alerts = sum(scores.false_alerts(t))
        cells = ""
        for k in keys:
            tp = sum(s >= t for s in scores.positives[k])
            p = tp / (tp + alerts) if tp + alerts else 0.0
            r = recall(scores.positives[k], t)
            cells += f" {100 * p:5.1f} {100 * (2 * p * r / (p + r) if p + r else 0.0):5.1f}"
        print(f"{t:4.2f}{cells}")


def recall(values: list[float], t: float) -> float:
    return sum(v >= t for v in values) / len(values) if values else 0.0


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


# -- recommendation ---------------------------------------------------------------------

def lowest_within(scores: Scores, thresholds: list[float], target: float, guard: float) -> float | None:
    """The lowest threshold alerting at most `target` of the screened negatives and at most
    `guard` of the hard-negative pairs."""
    for t in thresholds:
        screened, hard = scores.false_alerts(t)
        if screened <= target * len(scores.screened) and hard <= guard * max(len(scores.hard), 1):
            return t
    return None


def evidence(constant: str, t: float, scores: Scores, keys: list[str], matcher: str) -> str:
    """Comment lines to paste beside a threshold constant."""
    screened, hard = scores.false_alerts(t)
    recalls = ", ".join(f"{short(k)} {recall(scores.positives[k], t):.2f}" for k in keys)
    return (f"{constant} = {t:.2f}\n"
            f"# calibrated by bench/calibrate.py on bench/data ({matcher}, {time.strftime('%Y-%m-%d')}):\n"
            f"#   false alerts {screened + hard}/{scores.negatives} negatives "
            f"({_share(screened + hard, scores.negatives):.2f}%: screened {screened}/{len(scores.screened)}, "
            f"hard pairs {hard}/{len(scores.hard)});\n"
            f"#   recall {recalls}")


def print_recommendation(scores: Scores, keys: list[str], thresholds: list[float], matcher: str) -> None:
    print("\n== recommendation (lowest threshold within target; paste beside the constants) ==")
    for level, constant in (("review", "REVIEW_THRESHOLD"), ("match", "MATCH_THRESHOLD")):
        target, guard = TARGETS[level], HARD_GUARD[level]
        t = lowest_within(scores, thresholds, target, guard)
        if t is None:
            print(f"# {constant}: no threshold in {thresholds[0]:.2f}..{thresholds[-1]:.2f} keeps "
                  f"false alerts <= {100 * target:g}% of screened negatives")
            continue
        print(f"# target at {level}: false alerts <= {100 * target:g}% of screened negatives, "
              f"<= {100 * guard:g}% of hard pairs")
        print(evidence(constant, t, scores, keys, matcher))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matcher", default="ours", help="ours, or a peer: logic-v2, logic-v1, ofac, jw")
    parser.add_argument("--limit", type=int, default=None, help="N records of each file (quick run)")
    parser.add_argument("--low", type=float, default=0.50)
    parser.add_argument("--high", type=float, default=0.99)
    parser.add_argument("--step", type=float, default=0.01)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    pairs, queries = split(load_sets(args.limit))
    entities = load_entities()
    try:
        matcher = build(args.matcher, entities, args.low)
    except ImportError as exc:
        print(f"{args.matcher} is not available ({exc}); try --matcher logic-v2", file=sys.stderr)
        return 1
    scores = collect(matcher, pairs, queries, entities, args.workers)
    thresholds = sweep(args.low, args.high, args.step)
    print(f"calibration of {matcher.name} on bench/data (limit {args.limit or 'none'})")
    keys = print_legend(scores)
    print_recall(scores, keys, thresholds)
    print_f1(scores, keys, thresholds)
    print_recommendation(scores, keys, thresholds, matcher.name)
    print(f"\nwall time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
