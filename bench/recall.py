"""Recall of bounded candidate retrieval: the alerts `engine.screen` raises against the alerts
that scoring every list entity would raise, per threshold (review, match), with the misses.

Brute force scores entities with `engine.compare` (the same scoring screen applies to its
candidates). Scoring all ~23k entities takes seconds per query, so brute force skips the
entities that provably cannot reach review. A query token aligns with a list token (or two
adjacent ones joined, and vice versa) only at token_similarity >= TOKEN_FLOOR, a mean of
normalized Levenshtein similarities of the tokens, their skeletons and their phonetic keys,
so one of those must reach the floor (rapidfuzz tests that over every distinct list token);
a lone letter (an initial) meets every token it begins. A name's score is a product of
coverages raised to exponents, so at most min(query, candidate coverage) ** the smallest
exponent in scoring.py or engine.py, and an entity's at most its best name's plus MAX_BONUS (no query
here carries an identifier). That is the index's bound with exhaustive token reach instead
of key neighbourhoods, a looser exponent and no MAX_CANDIDATES cut. `--verify N` scores
every entity for N queries and checks that the alert sets are identical.

    .venv/bin/python bench/recall.py [--sample N] [--workers N] [--verify N] [--json FILE]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import SEED, Probe, build_queries, counting_scored, engine_fingerprint, load_entities  # noqa: E402  (puts the repo on sys.path)
from rapidfuzz import process  # noqa: E402
from rapidfuzz.distance import Levenshtein  # noqa: E402

from compliance.matching import features  # noqa: E402
from compliance.matching import engine as engine_module  # noqa: E402
from compliance.matching.engine import MAX_CANDIDATES, Engine, query_forms  # noqa: E402
from compliance.matching.index import joined_pairs  # noqa: E402
from compliance.matching import scoring  # noqa: E402
from compliance.matching.translit import _profile  # noqa: E402  (the forms token_similarity compares)

# The sample leans on slices with alerts: recall is only defined where brute force alerts.
RECALL_SLICES: tuple[tuple[str, str, float], ...] = (
    ("qarin", "nonmatch", 0.10),
    ("recombined", "nonmatch", 0.20),
    ("ssb_control", "near_miss", 0.10),
    ("ssb_perturbed", "near", 0.20),
    ("listed", "true", 0.15),
    ("un_treated", "true", 0.10),
    ("sdn_alias_2021", "true", 0.10),
    ("listed_script", "true", 0.05),
)
CUTOFF = scoring.TOKEN_FLOOR - 1e-9  # float noise: never drop a pair that sits exactly on the floor
# A name score is a product of coverages (each <= 1) raised to exponents, one of them the
# query's: so it is at most the query coverage raised to the smallest of those exponents.
BOUND_EXPONENT = min(v for module in (scoring, engine_module) for k, v in vars(module).items()
                     if k.endswith("_EXPONENT") and isinstance(v, float))


class Column:
    """Distinct strings of one form of the list vocabulary, each with its vocabulary ids."""

    def __init__(self, values: Sequence[str]) -> None:
        ids: dict[str, list[int]] = defaultdict(list)
        for i, value in enumerate(values):
            ids[value].append(i)
        self.values = list(ids)
        self.ids = list(ids.values())

    def near(self, text: str) -> set[int]:
        """Vocabulary ids whose form has normalized Levenshtein similarity >= the floor to `text`."""
        hits = process.extract(text, self.values, scorer=Levenshtein.normalized_similarity,
                               score_cutoff=CUTOFF, limit=None)
        return {i for _, _, index in hits for i in self.ids[index]}


class BruteForce:
    """Every entity that can reach the review threshold for a query, found over the whole vocabulary.

    A list name's score is 0 if nothing aligns, else at most the smaller of its query and
    candidate coverage (the weight of the tokens that can align over the side's total;
    credit <= 1, each token used once) raised to BOUND_EXPONENT.
    A query token can only align with a vocabulary token (or two adjacent list tokens joined)
    that `near` finds for it or for a compound of it with a neighbour.
    """

    def __init__(self, engine: Engine) -> None:
        owners: dict[str, set[int]] = defaultdict(set)
        for name_id, item in enumerate(engine.names):
            for token in (*item.form.tokens, *joined_pairs(item.form.tokens)):
                owners[token].add(name_id)
        vocabulary = sorted(owners)
        self.vocabulary = vocabulary
        self.owners = [owners[t] for t in vocabulary]
        self.tokens = [item.form.tokens for item in engine.names]
        self.entity_of = [item.entity for item in engine.names]
        self.weights = engine.weights
        self.floor = engine.policy.review - features.MAX_BONUS - 1e-9
        profiles = [_profile(t) for t in vocabulary]
        self.raw = Column(vocabulary)
        self.skeleton = Column([p[2] for p in profiles])
        # key similarity is the best over (key, second reading) on both sides: one column of both
        self.keys = Column([p[0] for p in profiles] + [p[1] for p in profiles])
        self.size = len(vocabulary)
        # initials (scoring.QueryName._alignable): a lone letter meets every token it begins
        self.starting: dict[str, set[int]] = defaultdict(set)
        self.letters: dict[str, set[int]] = defaultdict(set)
        for i, token in enumerate(vocabulary):
            self.starting[token[0]].add(i)
            if len(token) == 1:
                self.letters[token].add(i)

    def near(self, token: str) -> set[int]:
        """Vocabulary ids token_similarity could put at or above the floor."""
        key, alt, skeleton, _ = _profile(token)
        ids = self.raw.near(token) | self.skeleton.near(skeleton) | self.keys.near(key)
        if alt != key:
            ids |= self.keys.near(alt)
        ids |= self.letters.get(token[0], set())
        if len(token) == 1:
            ids |= self.starting.get(token, set())
        return {i % self.size for i in ids}

    def entities(self, tokens: Sequence[str]) -> set[int]:
        """Entities with a name whose coverage bound for `tokens` reaches review - MAX_BONUS."""
        weight = [self.weights.weight(t) for t in tokens]
        total = sum(weight) or 1.0
        covered: dict[int, set[int]] = defaultdict(set)  # name id -> query positions it may align
        reached: dict[int, set[str]] = defaultdict(set)  # name id -> its tokens (or pairs) reached
        probes: list[tuple[tuple[int, ...], str]] = [((i,), t) for i, t in enumerate(tokens)]
        probes += [((i, i + 1), a + b) for i, (a, b) in enumerate(zip(tokens, tokens[1:]))]
        for positions, token in probes:
            for vocabulary_id in self.near(token):
                for name_id in self.owners[vocabulary_id]:
                    covered[name_id].update(positions)
                    reached[name_id].add(self.vocabulary[vocabulary_id])
        kept = set()
        for name_id, found in covered.items():
            share = min(sum(weight[i] for i in found) / total, self._candidate_share(name_id, reached[name_id]))
            if share ** BOUND_EXPONENT >= self.floor:
                kept.add(self.entity_of[name_id])
        return kept

    def _candidate_share(self, name_id: int, reached: set[str]) -> float:
        """Weight share of a list name's tokens that were reached, alone or joined with a neighbour."""
        tokens = self.tokens[name_id]
        weight = [self.weights.weight(t) for t in tokens]
        joined = [a + b in reached for a, b in zip(tokens, tokens[1:])]
        hit = sum(w for i, (t, w) in enumerate(zip(tokens, weight))
                  if t in reached or (i < len(joined) and joined[i]) or (i > 0 and joined[i - 1]))
        return hit / (sum(weight) or 1.0)


@dataclass(frozen=True)
class Alert:
    entity: int  # position in engine.entities
    id: str
    score: float
    verdict: str
    matched_name: str | None


@dataclass
class Outcome:
    """One query: brute-force alerts, what screen returned, and the work done."""

    brute: list[Alert]
    screened: dict[str, float]  # entity id -> score
    scored: int  # entities brute force scored
    seconds: float
    retrieved: int | None  # entities screen scored (its candidate set), if countable


def alerts_of(engine: Engine, probe: Probe, candidates: Sequence[int]) -> list[Alert]:
    out = []
    for index in candidates:
        result = engine.compare(probe.query, engine.entities[index])
        if result.verdict.rank:
            out.append(Alert(index, engine.entities[index].id, result.score, str(result.verdict),
                             result.matched_name))
    return out


_STATE: tuple[Engine, BruteForce, list[Probe]] | None = None  # set before forking workers


def run_one(i: int) -> Outcome:
    assert _STATE is not None
    engine, brute, probes = _STATE
    probe = probes[i]
    start = time.perf_counter()
    if probe.query.identifiers or features.MAX_BONUS >= engine.policy.review:
        candidates: Sequence[int] = range(len(engine.entities))  # the prefilter would not be exact
    else:
        candidates = sorted(set().union(*(brute.entities(f.tokens) for f in query_forms(probe.query))))
    found = alerts_of(engine, probe, candidates)
    with counting_scored() as calls:
        screened = {m.entity.id: m.score for m in engine.screen(probe.query, limit=1000)}
    return Outcome(found, screened, len(candidates), time.perf_counter() - start, calls[0] if calls else None)


def run_all(engine: Engine, brute: BruteForce, probes: list[Probe], workers: int) -> list[Outcome]:
    """Outcomes in probe order, over forked workers that inherit the engine."""
    global _STATE
    _STATE = (engine, brute, probes)
    try:
        if workers <= 1:
            return [run_one(i) for i in range(len(probes))]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(run_one, range(len(probes)), chunksize=4)
    finally:
        _STATE = None


def verify_one(i: int) -> list[Alert]:
    """Brute force without the prefilter: every entity scored."""
    assert _STATE is not None
    engine, _, probes = _STATE
    return alerts_of(engine, probes[i], range(len(engine.entities)))


def verify(engine: Engine, brute: BruteForce, probes: list[Probe], outcomes: list[Outcome],
           count: int, workers: int) -> dict[str, Any]:
    """Score every entity for `count` queries (the most alerts, one per slice); compare alert sets."""
    chosen: dict[str, int] = {}
    for i in sorted(range(len(probes)), key=lambda i: -len(outcomes[i].brute)):
        chosen.setdefault(probes[i].slice, i)
    chosen_ids = list(chosen.values())[:count]
    global _STATE
    _STATE = (engine, brute, probes)
    try:
        with multiprocessing.get_context("fork").Pool(max(1, min(workers, count))) as pool:
            full = pool.map(verify_one, chosen_ids, chunksize=1)
    finally:
        _STATE = None
    differing = [probes[i].query.names[0] for i, alerts in zip(chosen_ids, full)
                 if {(a.entity, a.verdict) for a in alerts} != {(a.entity, a.verdict) for a in outcomes[i].brute}]
    return {"queries": [probes[i].query.names[0] for i in chosen_ids], "alerts": sum(len(a) for a in full), "differing": differing}


# -- report -----------------------------------------------------------------------------

def pairs(outcomes: Sequence[Outcome], level: str) -> tuple[int, int]:
    """(brute-force pairs at or above `level`, of which screen returned)."""
    ranks = {"review": ("review", "match"), "match": ("match",)}[level]
    total = found = 0
    for out in outcomes:
        for alert in out.brute:
            if alert.verdict in ranks:
                total += 1
                found += alert.id in out.screened
    return total, found


def verdict_recall(outcomes: list[Outcome]) -> tuple[int, int]:
    """(queries with a brute-force alert, of which screen reaches the same strongest verdict)."""
    rank = {"review": 1, "match": 2}
    total = same = 0
    for out in outcomes:
        if not out.brute:
            continue
        total += 1
        best = max(rank[a.verdict] for a in out.brute)
        reached = [rank[a.verdict] for a in out.brute if a.id in out.screened]
        same += max(reached, default=0) == best
    return total, same


def report(probes: list[Probe], outcomes: list[Outcome], engine: Engine, args: argparse.Namespace,
           seconds: float, checked: dict[str, Any] | None) -> dict[str, Any]:
    numbers: dict[str, Any] = {"queries": len(probes), "seconds": seconds, "levels": {}}
    alerting = sum(bool(o.brute) for o in outcomes)
    scored = sum(o.scored for o in outcomes) / len(outcomes)
    print(engine_fingerprint())
    print(f"recall of engine.screen (bounded retrieval: a coverage-bound floor, at most {MAX_CANDIDATES} "
          "entities scored) against brute force")
    print(f"{len(probes)} queries (seed {args.seed}), {alerting} with brute-force alerts; brute force "
          f"scored {scored:,.0f} of {len(engine.entities):,} entities per query on average; "
          f"{seconds:.0f} s on {args.workers} workers")
    print(f"\n{'level':28} {'brute pairs':>11} {'screen found':>12} {'recall':>8}  goal >= 99.5%")
    for level in ("review", "match"):
        total, found = pairs(outcomes, level)
        recall = found / total if total else None
        numbers["levels"][level] = {"brute": total, "found": found, "recall": recall}
        shown = f"{recall:8.2%}" if recall is not None else f"{'-':>8}"
        verdict = "" if recall is None else ("meets" if recall >= 0.995 else "MISSES")
        print(f"  {level + (' or above' if level == 'review' else ''):26} {total:11,} {found:12,} {shown}  {verdict}")
    total, same = verdict_recall(outcomes)
    numbers["verdict"] = {"queries": total, "same": same}
    print(f"  strongest verdict per query {total:11,} {same:12,} {same / max(total, 1):8.2%}  "
          "(queries whose strongest brute-force verdict screen also reaches)")
    numbers["slices"] = slice_table(probes, outcomes)
    numbers["misses"] = misses(probes, outcomes)
    if checked is not None:
        numbers["prefilter_check"] = checked
        state = "identical alert sets" if not checked["differing"] else f"DIFFERENT for {checked['differing']}"
        print(f"\nprefilter check: every entity scored for {len(checked['queries'])} queries (the most alerts "
              f"of their slice: {checked['queries']}; {checked['alerts']} alerts): {state}")
    return numbers


def slice_table(probes: list[Probe], outcomes: list[Outcome]) -> dict[str, Any]:
    print(f"\n{'slice (review or above)':28} {'queries':>8} {'alerting':>9} {'pairs':>7} {'found':>7} {'recall':>8}")
    out = {}
    for name, kind, _ in RECALL_SLICES:
        mine = [o for p, o in zip(probes, outcomes) if p.slice == name]
        total, found = pairs(mine, "review")
        alerting = sum(bool(o.brute) for o in mine)
        out[name] = {"queries": len(mine), "alerting": alerting, "brute": total, "found": found}
        recall = f"{found / total:8.2%}" if total else f"{'-':>8}"
        print(f"  {name + ' (' + kind + ')':26} {len(mine):8} {alerting:9} {total:7} {found:7} {recall}")
    return out


def retrieval(scored: int | None) -> str:
    """Why screen missed an entity it would have alerted on: it was not among those scored."""
    if scored is None:
        return "not retrieved"
    if scored >= MAX_CANDIDATES:
        return f"not retrieved: screen scored {scored} entities, the MAX_CANDIDATES cap"
    return f"not retrieved: screen scored {scored} entities (under the cap: not reached, or bound too low)"


def misses(probes: list[Probe], outcomes: list[Outcome]) -> list[dict[str, Any]]:
    rows = []
    for probe, out in zip(probes, outcomes):
        for alert in out.brute:
            if alert.id not in out.screened:
                rows.append({"slice": probe.slice, "query": probe.query.names[0], "entity": alert.id,
                             "list_name": alert.matched_name, "score": alert.score, "verdict": alert.verdict,
                             "screen_scored": out.retrieved})
    rows.sort(key=lambda r: -r["score"])
    print(f"\nmisses ({len(rows)}): brute-force alerts screen did not return, by score")
    for r in rows:
        print(f"  {r['score']:.3f} {r['verdict']:6} {r['slice']:14} {r['query'][:38]!r:40} -> {r['entity']} "
              f"{(r['list_name'] or '')[:38]!r}; {retrieval(r['screen_scored'])}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200, help="queries (default 200, about 3 min)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--workers", type=int, default=2, help="forked processes (default 2)")
    parser.add_argument("--verify", type=int, default=3, help="queries to score against every entity (0: skip)")
    parser.add_argument("--json", type=Path, help="write the numbers to this file")
    args = parser.parse_args()
    entities, _, _ = load_entities()
    engine = Engine.build(entities)
    if len({e.id for e in entities}) != len(entities):
        raise SystemExit("entity ids are not unique across lists")
    probes, _ = build_queries(entities, args.sample, 0, args.seed, RECALL_SLICES)
    brute = BruteForce(engine)
    start = time.perf_counter()
    outcomes = run_all(engine, brute, probes, args.workers)
    seconds = time.perf_counter() - start
    checked = verify(engine, brute, probes, outcomes, args.verify, args.workers) if args.verify else None
    numbers = report(probes, outcomes, engine, args, seconds, checked)
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
