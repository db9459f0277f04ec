"""Matchers benchmarked side by side: our engine, nomenklatura's algorithms, a Jaro-Winkler baseline.

Every matcher scores a (query, candidate) pair of record objects (the JSON format of
bench/data, see compliance/matching/records.py) and screens a query against all default
lists, returning a `Scored` (score 0..1 and verdict clear/review/match). Peers take
their verdict from the documented thresholds in `PEER_THRESHOLDS`; our engine gives its own.

Peers screen through `NameBlocker`: rapidfuzz token_sort_ratio over every normalized list
name keeps the top entities per query, which the peer then scores. This is a bounded
approximation of brute force (peers are too slow to score ~50k list names per query);
quality.py measures what it loses for the Jaro-Winkler baseline.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.distance import JaroWinkler

from watchlists.model import Entity, EntityType

Record = Mapping[str, Any]
VERDICTS = ("clear", "review", "match")


@dataclass(frozen=True)
class Scored:
    score: float
    verdict: str  # one of VERDICTS
    detail: str = ""  # when screening: the best-scoring list entity ("ofac_sdn:123 NAME")

    @property
    def rank(self) -> int:
        return VERDICTS.index(self.verdict)


@dataclass(frozen=True)
class Thresholds:
    review: float | None  # None: the matcher gives its own verdicts
    match: float | None
    source: str  # where the numbers come from


# Peer decision levels, from each peer's own documentation; scores >= level count.
PEER_THRESHOLDS: dict[str, Thresholds] = {
    "logic-v2": Thresholds(0.50, 0.70, "match 0.70 = yente settings.SCORE_THRESHOLD, the default "
                           "`threshold` of POST /match, where yente flags a result as a match; "
                           "nomenklatura/yente define no review level, 0.50 is ours: the lowest "
                           "threshold OpenSanctions has suggested for its lower-scoring models "
                           "(regression-v2, scoring article of 2023-05-08)"),
    "logic-v1": Thresholds(0.50, 0.70, "as logic-v2 (same yente defaults)"),
    "ofac": Thresholds(0.85, 1.00, "OFAC Sanctions List Search: slider defaults to 100 = exact "
                       "(OFAC FAQ 247) -> match; 85 is the usual practitioner setting and "
                       "sanctions-screening-benchmark's default threshold -> review"),
    "jw": Thresholds(0.85, 1.00, "as ofac (OFAC SLS style baseline)"),
}
EPSILON = 1e-9  # float noise: a JW of 0.99999999 on equal strings is still exact


# -- record helpers ---------------------------------------------------------------------

def _values(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in items if v not in (None, "")]


def record_names(obj: Record) -> list[str]:
    """Every name of a record side: name, aliases, properties.name/alias."""
    props = obj.get("properties") or {}
    names = [*_values(obj.get("name")), *_values(obj.get("aliases")),
             *_values(props.get("name")), *_values(props.get("alias"))]
    return list(dict.fromkeys(names))


def record_prop(obj: Record, key: str, *props: str) -> list[str]:
    """A top-level field plus FollowTheMoney properties of a record side, deduplicated."""
    extra = obj.get("properties") or {}
    values = [*_values(obj.get(key)), *(v for p in props for v in _values(extra.get(p)))]
    return list(dict.fromkeys(values))


SCHEMAS = {EntityType.PERSON: "Person", EntityType.ORGANIZATION: "Organization",
           EntityType.VESSEL: "Vessel", EntityType.AIRCRAFT: "Airplane"}


def record_from_entity(entity: Entity) -> dict[str, Any]:
    """A list entity as a candidate record side (all names, birth dates and countries)."""
    names = [n.full for n in entity.names]
    return {
        "name": names[0],
        "aliases": names[1:],
        "schema": SCHEMAS.get(entity.type, "LegalEntity"),
        "properties": {
            "birthDate": [b.start for b in entity.birth_dates if b.start],
            "nationality": list(entity.countries),
            "gender": [entity.gender] if entity.gender else [],
        },
        "entity_id": entity.id,
    }


# -- matchers ---------------------------------------------------------------------------

class Matcher:
    """One matcher: `similarity` for a pair, verdicts from its thresholds."""

    name = "matcher"
    thresholds: Thresholds

    def similarity(self, query: Record, candidate: Record) -> float:
        raise NotImplementedError

    def verdict(self, score: float) -> str:
        if score + EPSILON >= self.thresholds.match:
            return "match"
        return "review" if score + EPSILON >= self.thresholds.review else "clear"

    def compare(self, query: Record, candidate: Record) -> Scored:
        score = max(0.0, min(1.0, self.similarity(query, candidate)))
        return Scored(score, self.verdict(score))

    def screen(self, query: Record, candidates: Sequence[Record]) -> Scored:
        """The best of `candidates` (the blocker's shortlist for this query)."""
        scored = [(self.compare(query, c), c) for c in candidates]
        if not scored:
            return Scored(0.0, "clear")
        best, candidate = max(scored, key=lambda pair: pair[0].score)
        return Scored(best.score, best.verdict, f"{candidate.get('entity_id')} {candidate['name']}")


_PUNCT = re.compile(r"[\W_]+", re.UNICODE)


def sls_normalize(name: str) -> str:
    """Casefold, punctuation to spaces, tokens sorted (the OFAC SLS-style key)."""
    return " ".join(sorted(_PUNCT.sub(" ", name.casefold()).split()))


class JaroWinklerMatcher(Matcher):
    """Max over name pairs of Jaro-Winkler on normalized, token-sorted names."""

    name = "jw"
    thresholds = PEER_THRESHOLDS["jw"]

    def similarity(self, query: Record, candidate: Record) -> float:
        left = [sls_normalize(n) for n in record_names(query)]
        right = [sls_normalize(n) for n in record_names(candidate)]
        return max((JaroWinkler.similarity(a, b) for a in left for b in right if a and b),
                   default=0.0)


class NomenklaturaMatcher(Matcher):
    """A nomenklatura scoring algorithm (logic-v2, logic-v1, ofac) with its default config.

    Record sides become FollowTheMoney entities: schema (LegalEntity when absent), name,
    alias, birthDate, nationality/country. Values FollowTheMoney cannot clean are dropped.
    """

    def __init__(self, algorithm: str) -> None:
        from followthemoney import model
        from nomenklatura.matching import get_algorithm

        found = get_algorithm(algorithm)
        if found is None:
            raise LookupError(f"nomenklatura has no algorithm {algorithm!r}")
        self.name = algorithm
        self.thresholds = PEER_THRESHOLDS[algorithm]
        self._algorithm = found
        self._model = model
        self._cache: dict[int, Any] = {}
        self._ids = itertools.count()

    def entity(self, obj: Record):
        """A FollowTheMoney entity for a record side, cached per record object.

        Ids must be unique: logic-v2 memoizes name analysis by entity id (its
        `lru_cache` hashes entities by id), so reusing an id returns stale results.
        """
        key = id(obj)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is obj:
            return hit[1]
        schema = obj.get("schema") or "LegalEntity"
        proxy = self._model.make_entity(schema)
        proxy.id = f"record-{next(self._ids)}"
        names = record_names(obj)
        proxy.add("name", names[:1])
        proxy.add("alias", names[1:])
        for prop, values in (("birthDate", record_prop(obj, "birth_date", "birthDate")),
                             ("country", record_prop(obj, "country", "country", "nationality")),
                             ("gender", record_prop(obj, "gender", "gender"))):
            if proxy.schema.get(prop) is not None:
                proxy.add(prop, values, quiet=True)
        if len(self._cache) > 200_000:
            self._cache.clear()
        self._cache[key] = (obj, proxy)
        return proxy

    def similarity(self, query: Record, candidate: Record) -> float:
        config = self._algorithm.default_config()
        result = self._algorithm.compare(self.entity(query), self.entity(candidate), config)
        return float(result.score)


class OursMatcher(Matcher):
    """Our engine (compliance.matching.engine.Engine): its own scores and verdicts.

    `review_floor` (calibration only) builds the engine with a policy whose review level is
    that low, so `screen` also returns, and retrieves for, scores below the policy in force.
    """

    name = "ours"

    def __init__(self, entities: Iterable[Entity], review_floor: float | None = None) -> None:
        from compliance.matching.engine import Engine  # ImportError until the engine exists
        from compliance.matching.records import candidate_from_record, query_from_record

        if review_floor is None:
            self.engine = Engine.build(entities)
        else:
            from compliance.policy import Policy

            self.engine = Engine.build(entities, policy=Policy(review=review_floor, match=1.0))
        self._query = query_from_record
        self._candidate = candidate_from_record
        policy = getattr(self.engine, "policy", None)
        self.thresholds = Thresholds(getattr(policy, "review", None), getattr(policy, "match", None),
                                     "the engine's own verdicts (compliance.policy.Policy)")

    def compare(self, query: Record, candidate: Record) -> Scored:
        result = self.engine.compare(self._query(query), self._candidate(candidate))
        return Scored(float(result.score), str(result.verdict))

    def screen_query(self, query: Record) -> Scored:
        """Screen against all lists with the engine's own retrieval (`engine.screen`)."""
        matches = self.engine.screen(self._query(query), limit=10)
        best = max(matches, key=lambda m: (m.verdict.rank, m.score), default=None)
        if best is None:
            return Scored(0.0, "clear")
        matched = best.comparison.matched_name or best.entity.name
        return Scored(float(best.score), str(best.verdict), f"{best.entity.id} {matched}")


# -- candidate blocking for peers -------------------------------------------------------

def ascii_folder() -> Callable[[str], str]:
    """Latin transliteration for blocking: normality (ICU, in .venv-bench), else anyascii,
    else none (then cross-script queries find no candidates)."""
    try:
        from normality import ascii_text

        return lambda text: ascii_text(text) or text
    except ImportError:
        pass
    try:
        from anyascii import anyascii

        return anyascii
    except ImportError:
        return lambda text: text


class NameBlocker:
    """Shortlists list entities for a query: rapidfuzz token_sort_ratio over all list names.

    Keeps the best `limit` distinct entities per query (by their best-scoring name); the
    peer then scores only those. Names on both sides are transliterated to Latin and
    normalized with `sls_normalize`.
    """

    def __init__(self, entities: Iterable[Entity], limit: int = 30) -> None:
        self.limit = limit
        self.fold = ascii_folder()
        self.entities: list[Entity] = []
        self.keys: list[str] = []
        self.owner: list[int] = []
        for entity in entities:
            self.entities.append(entity)
            for name in dict.fromkeys(sls_normalize(self.fold(n.full)) for n in entity.names):
                if name:
                    self.keys.append(name)
                    self.owner.append(len(self.entities) - 1)
        self._records: dict[int, dict[str, Any]] = {}

    def shortlist(self, query: Record) -> list[int]:
        """Indexes of the best-matching entities for a query record, best first."""
        best: dict[int, float] = {}
        for name in record_names(query):
            key = sls_normalize(self.fold(name))
            hits = process.extract(key, self.keys, scorer=fuzz.token_sort_ratio, limit=self.limit * 3)
            for _, score, index in hits:
                owner = self.owner[index]
                best[owner] = max(score, best.get(owner, 0.0))
        return sorted(best, key=lambda i: -best[i])[: self.limit]

    def record(self, index: int) -> dict[str, Any]:
        """The candidate record of an entity: one shared object per entity, so matchers
        can cache what they derive from it."""
        if index not in self._records:
            self._records[index] = record_from_entity(self.entities[index])
        return self._records[index]


def build_peer(name: str) -> Matcher:
    """A peer matcher by name: jw, logic-v2, logic-v1, ofac."""
    if name == "jw":
        return JaroWinklerMatcher()
    return NomenklaturaMatcher(name)
