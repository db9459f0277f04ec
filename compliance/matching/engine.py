"""The matching engine: built once from the loaded lists, then `screen` and `compare`.

screen(query): normalize the query's names and handle, retrieve candidate list names
from the index (bounded: only names whose coverage bound can still reach the review
threshold), score each candidate entity (best name pair, then secondary evidence), and
return the ranked matches at or above the review threshold, each with its explanation.
"""
from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np

from compliance.matching import features
from compliance.matching.explain import explanation
from compliance.matching.index import NameIndex, joined_pairs
from compliance.matching.normalize import NameForm, handle_form, name_form
from compliance.matching.scoring import (
    ABJAD_SCRIPTS,
    CANDIDATE_EXPONENT,
    NO_NAME,
    ORGANIZATION_CANDIDATE_EXPONENT,
    WHOLE_NAME_EXPONENT,
    NameScore,
    QueryName,
    abjad_similarity,
    evidence_factor,
)
from compliance.matching.translit import token_similarity
from compliance.matching.weights import TokenWeights
from compliance.models import Comparison, Match, Query, Verdict
from compliance.policy import Policy, decide
from watchlists.model import Entity, EntityType, Name

# Recorded with every screening. 1.1.0: legal forms matched by family, Latin abbreviations
# (Mohd, SHPG) expanded, assimilated articles (ar-Rahman, ud-Dawa) read as al, X al-Din names
# written as one word split (Salahuddin), Hafiz kept as a name, ezafe written one way, "and"
# and "&" dropped.
ENGINE_VERSION = "1.1.0"
Similarity = Callable[[str, str], float]
# Multipliers on the name score: a handle is weaker evidence than a display name (no
# labelled handle data exists to calibrate this: set so a handle that is exactly a rare
# listed surname, `@khamenei_ir`, still reaches review), and a name the list itself calls
# weak (OFAC "weak", UN/UK "low") counts less than a strong one.
HANDLE_FACTOR = 0.95
WEAK_ALIAS_FACTOR = 0.92
# At most this many candidate entities are scored per query, best coverage bound first.
MAX_CANDIDATES = 1000
TIE_BREAK = 1e-6
# Margin for comparing a score with a bound computed in another order of float additions.
FLOAT_SLACK = 1e-9


@dataclass(frozen=True, slots=True)
class _IndexedName:
    entity: int  # position in Engine.entities
    name: Name
    form: NameForm
    weights: tuple[float, ...]  # of form.tokens


@dataclass(frozen=True, slots=True)
class _Best:
    query: NameForm | None
    name: _IndexedName | None
    adjusted: float
    scorer: QueryName | None = None  # what scored the pair, to explain it (NameScore) if asked
    exponent: float = CANDIDATE_EXPONENT

    def name_score(self) -> NameScore:
        if self.scorer is None or self.name is None:
            return NO_NAME
        return self.scorer.score(self.name.form.tokens, self.exponent, self.name.weights)


@dataclass(frozen=True, slots=True)
class _Evaluation:
    score: float
    verdict: Verdict
    best: _Best
    fired: list[features.FeatureResult]
    decisive: str  # the identifier that matched, if one did


class Engine:
    """Screens queries against a fixed set of list entities."""

    def __init__(self, entities: list[Entity], policy: Policy | None = None) -> None:
        self.entities = entities
        self.policy = policy or Policy()
        forms = [(i, name, name_form(name.full)) for i, entity in enumerate(entities) for name in entity.names]
        self.weights = TokenWeights.from_names(form.tokens for _, _, form in forms)
        self.names: list[_IndexedName] = [_IndexedName(i, name, form, self._token_weights(form))
                                          for i, name, form in forms]
        self.entity_names: list[list[int]] = [[] for _ in entities]
        for n, item in enumerate(self.names):
            self.entity_names[item.entity].append(n)
        self._name_entity = np.array([item.entity for item in self.names], dtype=np.int32)
        self._list_codes = {list_id: code for code, list_id in enumerate(sorted({e.list_id for e in entities}))}
        self._entity_list = np.array([self._list_codes[e.list_id] for e in entities], dtype=np.int32)
        self.index = NameIndex(((n, item.form.tokens) for n, item in enumerate(self.names)), self.weights)
        self._facts: dict[int, features.Facts] = {}
        self._position: dict[str, int] | None = None  # entity id -> index, made on first use
        self.by_identifier: dict[str, list[int]] = {}
        for i, entity in enumerate(entities):
            for identifier in entity.identifiers:
                value = features.normalize_identifier(identifier.value)
                if len(value) >= features.MIN_IDENTIFIER_LENGTH:
                    self.by_identifier.setdefault(value, []).append(i)
        # The index is millions of long-lived objects: keep the cyclic GC from walking them
        # on every full collection (measured: 400 ms pauses during screening without this).
        gc.collect()
        gc.freeze()

    @classmethod
    def build(cls, entities: Iterable[Entity], policy: Policy | None = None) -> Engine:
        return cls(list(entities), policy)

    def screen(self, query: Query, limit: int = 10, within: Collection[str] | None = None) -> list[Match]:
        """Ranked matches at or above the review threshold.

        `within`: entity ids to restrict screening to (monitoring re-screens accounts against
        the entities a list refresh added or changed, with the whole lists' token weights).
        """
        forms = query_forms(query)
        tables = [self._similarity_table(form) for form in forms]
        facts = features.query_facts(query)
        matches: list[Match] = []
        top: list[float] = []  # the best `limit` scores so far (a min-heap)
        scorers = [QueryName(form.tokens, self.weights, _lookup(table)) for form, table in zip(forms, tables)]
        bonus = features.potential_bonus(facts)
        clear_below = self.policy.review - bonus - FLOAT_SLACK
        allowed = None if within is None else np.array(sorted(self._positions(within)), dtype=np.int32)
        for entity_index, name_ids, upper in self._candidates(forms, query.lists, facts, bonus, allowed):
            if len(top) >= limit and upper + bonus < top[0]:
                break  # candidates come best bound first: none of the rest can enter the top
            entity = self.entities[entity_index]
            ev = self._evaluate(forms, facts, entity, [self.names[n] for n in name_ids],
                                partial(self._entity_facts, entity_index), scorers, clear_below)
            if ev is not None and ev.verdict is not Verdict.CLEAR:
                matches.append(Match(entity, self._comparison(entity, ev)))
                (heapq.heappush if len(top) < limit else heapq.heappushpop)(top, ev.score)
        matches.sort(key=lambda m: (-m.score, m.entity.id))
        return matches[:limit]

    def _similarity_table(self, form: NameForm) -> dict[str, dict[str, float]]:
        """Query token (and joined pair) -> list tokens it may match, with similarities.

        The index's cached neighbourhoods: in screening, alignment looks similarities up
        here instead of computing them. For vowel-less scripts every list token with the
        same phonetic key is included at ABJAD_KEY_SIMILARITY.
        """
        table = {token: self.index.similar(token, False) for token in joined_pairs(form.tokens)}
        abjad = form.script in ABJAD_SCRIPTS
        for token in form.tokens:
            table[token] = self.index.similar(token, abjad)
        return table

    def compare(self, query: Query, candidate: Entity) -> Comparison:
        """Score one query against one entity, listed or not, with the explanation.

        Similarities are computed in full here; screening looks them up in the index's
        neighbourhoods (bench/recall.py measures what that misses against this).
        """
        forms = query_forms(query)
        names = [_IndexedName(-1, name, form, self._token_weights(form))
                 for name, form in ((name, name_form(name.full)) for name in candidate.names)]
        scorers = [QueryName(f.tokens, self.weights, abjad_similarity, token_similarity) if f.script in ABJAD_SCRIPTS
                   else QueryName(f.tokens, self.weights) for f in forms]
        return self._comparison(candidate, self._evaluate(forms, features.query_facts(query), candidate, names,
                                                          partial(features.entity_facts, candidate), scorers))

    def _token_weights(self, form: NameForm) -> tuple[float, ...]:
        return tuple(map(self.weights.weight, form.tokens))

    def _entity_facts(self, index: int) -> features.Facts:
        facts = self._facts.get(index)
        if facts is None:
            facts = self._facts[index] = features.entity_facts(self.entities[index])
        return facts

    def _positions(self, entity_ids: Collection[str]) -> set[int]:
        if self._position is None:
            self._position = {e.id: i for i, e in enumerate(self.entities)}
        return {self._position[i] for i in entity_ids if i in self._position}

    def _candidates(self, forms: list[NameForm], lists: tuple[str, ...] | None,
                    facts: features.Facts, bonus: float,
                    allowed: np.ndarray | None = None) -> list[tuple[int, list[int], float]]:
        """Entities, with those of their names that can still reach review, best bound first.

        An entity listing one of the query's identifiers is always a candidate (an exact
        identifier match is decisive, whatever the names say).

        With coverage bounds bq (query) and bc (name), a name scores at most
        max(bq * bc**e(bq), bc * bq**e(bc)), where e is the most lenient exponent the
        lighter side's coverage allows (WHOLE_NAME_EXPONENT only when it can be covered
        whole), times the evidence factor of the most weight the lighter side can have
        matched; names whose bound plus the query's potential feature bonus stays below
        review are never scored.
        """
        floor = self.policy.review - bonus
        found_ids, found_upper = [], []
        for form in forms:
            ids, bq, bc = self.index.candidates(form.tokens, self.weights, form.script in ABJAD_SCRIPTS)
            if not len(ids):
                continue
            # A name's bound is at most the larger coverage bound (plus the tie break below):
            # most names a common token reaches are dropped before their bound is computed.
            near = np.maximum(bq, bc) + TIE_BREAK * (bq + bc) >= floor - FLOAT_SLACK
            ids, bq, bc = ids[near], bq[near], bc[near]
            q_total = sum(self.weights.weight(t) for t in set(form.tokens))
            upper = _name_bounds(np.minimum(bq, 1.0), np.minimum(bc, 1.0), q_total, self.index.totals[ids])
            # Many names bound at 1.0 for a query of common tokens: rank those reached by more
            # of both names first (a tiny raise keeps the bound an upper bound).
            upper += TIE_BREAK * (bq + bc)
            keep = upper >= floor
            if lists is not None:
                keep &= np.isin(self._entity_list[self._name_entity[ids]], [self._list_codes.get(x, -1) for x in lists])
            if allowed is not None:
                keep &= np.isin(self._name_entity[ids], allowed)
            found_ids.append(ids[keep])
            found_upper.append(upper[keep])
        ranked = _rank_entities(self._name_entity, found_ids, found_upper, MAX_CANDIDATES)
        for value in facts.identifiers:
            for entity in self.by_identifier.get(value, ()):
                if (lists is None or self.entities[entity].list_id in lists) and \
                        (allowed is None or entity in allowed):
                    ranked = [(entity, self.entity_names[entity], 1.0 + features.MAX_BONUS)] + \
                             [r for r in ranked if r[0] != entity]
        return ranked

    def _evaluate(self, forms: list[NameForm], q_facts: features.Facts, entity: Entity,
                  names: list[_IndexedName], facts_of: Callable[[], features.Facts], scorers: list[QueryName],
                  clear_below: float | None = None) -> _Evaluation | None:
        """Score one entity: best name pair, then the secondary evidence (`facts_of` the entity).

        `clear_below` (screening): a best name score below it leaves the entity clear whatever
        its features add (at most the query's potential bonus), so unless an identifier of the
        query is listed for it, None is returned without weighing them.
        """
        best = self._best_name(forms, names, entity, scorers)
        if clear_below is not None and best.adjusted < clear_below and \
                not (q_facts.identifiers and features.identifier_match(q_facts, facts_of())[0]):
            return None
        c_facts = facts_of()
        decisive, decisive_detail = features.identifier_match(q_facts, c_facts)
        fired = features.evaluate(q_facts, c_facts)
        score = 1.0 if decisive else max(0.0, min(1.0, best.adjusted + sum(f.contribution for f in fired)))
        return _Evaluation(score, decide(score, self.policy, decisive=bool(decisive)), best, fired, decisive_detail)

    def _comparison(self, entity: Entity, ev: _Evaluation) -> Comparison:
        """The comparison with its explanation: built only for results that are returned."""
        best = ev.best
        name = best.name.name if best.name else None
        explained = explanation(entity, best.query, name, best.name_score(), best.adjusted, ev.fired, ev.decisive,
                                ev.score, ev.verdict, self.policy, ENGINE_VERSION)
        return Comparison(round(ev.score, 4), ev.verdict, explained, name.full if name else None)

    def _best_name(self, forms: list[NameForm], names: list[_IndexedName], entity: Entity,
                   scorers: list[QueryName]) -> _Best:
        best = _Best(None, None, 0.0)
        exponent = CANDIDATE_EXPONENT if entity.type is EntityType.PERSON else ORGANIZATION_CANDIDATE_EXPONENT
        for form, scorer in zip(forms, scorers):
            factor = HANDLE_FACTOR if form.handle else 1.0
            for item in names:
                score = scorer.rate(item.form.tokens, exponent, item.weights)
                adjusted = score * factor * (WEAK_ALIAS_FACTOR if item.name.weak else 1.0)
                if adjusted > best.adjusted:
                    best = _Best(form, item, adjusted, scorer, exponent)
        return best


def _name_bounds(bq: np.ndarray, bc: np.ndarray, q_total: float, c_totals: np.ndarray) -> np.ndarray:
    """Upper bounds of the name scores from the coverage bounds (see Engine._candidates)."""
    whole = 1.0 - 1e-9
    eq = np.where(bq >= whole, WHOLE_NAME_EXPONENT, CANDIDATE_EXPONENT)
    ec = np.where(bc >= whole, WHOLE_NAME_EXPONENT, CANDIDATE_EXPONENT)
    upper = np.maximum(bq * bc ** eq, bc * bq ** ec)
    lighter_matched = np.where(q_total <= c_totals, bq * q_total, bc * c_totals)
    return upper * evidence_factor(lighter_matched)


def _rank_entities(name_entity: np.ndarray, ids: list[np.ndarray], upper: list[np.ndarray],
                   limit: int) -> list[tuple[int, list[int], float]]:
    """(entity, its reached names, best bound) for the `limit` entities with the best bounds."""
    ids_all, upper_all = (np.concatenate(ids), np.concatenate(upper)) if ids else (np.zeros(0, np.int32), np.zeros(0))
    if not len(ids_all):
        return []
    entities = name_entity[ids_all]
    order = np.lexsort((-upper_all, entities))  # grouped by entity, best bound first
    ids_all, upper_all, entities = ids_all[order], upper_all[order], entities[order]
    starts = np.flatnonzero(np.concatenate(([True], entities[1:] != entities[:-1])))
    ends = np.append(starts[1:], len(entities))
    best = np.argsort(-upper_all[starts], kind="stable")[:limit]
    ids_list, upper_list, entity_list = ids_all.tolist(), upper_all.tolist(), entities.tolist()
    starts_list, ends_list = starts.tolist(), ends.tolist()
    return [(entity_list[starts_list[i]], list(dict.fromkeys(ids_list[starts_list[i]:ends_list[i]])),
             upper_list[starts_list[i]]) for i in best.tolist()]


def _lookup(table: dict[str, dict[str, float]]) -> Similarity:
    """A similarity function answering from a query's similarity table (symmetric)."""
    def similarity(a: str, b: str) -> float:
        found = table.get(a)
        if found is not None:
            return found.get(b, 0.0)
        found = table.get(b)
        return 0.0 if found is None else found.get(a, 0.0)

    return similarity


def query_forms(query: Query) -> list[NameForm]:
    """The query's display names and handle, normalized; empty ones dropped."""
    forms = [name_form(n) for n in query.names]
    if query.handle:
        forms.append(handle_form(query.handle))
    return [f for f in forms if f.tokens]
