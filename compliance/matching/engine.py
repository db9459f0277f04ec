"""The matching engine: built once from the loaded lists, then `screen` and `compare`.

screen(query): normalize the query's names and handle, retrieve candidate list names
from the index (bounded: only names whose coverage bound can still reach the review
threshold), score each candidate entity (best name pair, then secondary evidence), and
return the ranked matches at or above the review threshold, each with its explanation.

The candidates and their best name pairs depend on the query's names, not on its date of
birth or countries (beyond the potential bonus, which sets the candidates' floor): they are
kept per query names for a while (NAME_WORK_CACHE), so the many accounts that share a name
are scored once and only their secondary evidence is weighed each time.
"""
from __future__ import annotations

import gc
import heapq
from array import array
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from contextlib import suppress
from dataclasses import dataclass

import numpy as np

from compliance.matching import features, speedups
from compliance.matching.explain import explanation
from compliance.matching.index import NameIndex, joined_pairs
from compliance.matching.normalize import (NameForm, handle_form, make_name_form, name_form, reading_forms,
                                          written_as_handle)
from compliance.matching.scoring import (
    ABJAD_SCRIPTS,
    CANDIDATE_EXPONENT,
    FULL_EVIDENCE_WEIGHT,
    NO_NAME,
    ORGANIZATION_CANDIDATE_EXPONENT,
    THIN_EVIDENCE_FLOOR,
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
# (Mohd, SHPG) expanded, assimilated articles (ar-Rahman, ud-Dawa) read as al, Hafiz kept as a
# name, ezafe written one way, "and" and "&" dropped.
# 1.2.0: national spellings of Cyrillic names (Szczepan, Kitaguchi, Kovacic) in the name key.
# 1.3.0: retrieval reaches list tokens by second readings (Qaani ~ Ghani) and 3-letter keys'
# tokens one letter edit away (Zahir ~ Zahid): bench/recall.py 98.39% -> 99.68% at review.
# 1.4.0: an adjacent swap in a 4-letter token is one edit (BAID ~ ABID), as from 5 letters;
# AO leading a name is a legal form (AO 'INSTITUTE ...' ~ JSC 'INSTITUTE ...').
# 1.5.0: dotted acronyms of 3+ letters are one word (M.E.N.A. ~ MENA), dotted legal forms read
# as forms (L.T.D., D.O.O., S.C.S.).
# 1.6.0: Cyrillic query names are also read the scholarly way, diacritics dropped (Жигич ~
# ZIGIC, Станишич ~ STANISIC): bench/quality.py's Cyrillic tokens 74.4 -> 78.3 at review,
# false alerts unchanged (make bench-calibrate: screened 20/2000, hard pairs 32/1800).
# 1.7.0: a display name written as a handle (one word with a leading @: "@khamenei_ir") is
# read as a handle, as the `handle` field is; it was read as the words "khamenei ir", clear.
# 1.8.0: names in "al-Din" written joined (SALAHUDDIN, Badreddine, Kamal Eddin) are read as
# "<x> al din", as they are listed apart: of 12 SDN persons listed as "X al-Din", the joined
# spelling found 1 as a match, 2 for review and 8 not at all; now 12 matches. "din" weighs
# as a common name (weights.COMMON_TOKENS); the explanation says which query tokens were
# read so ("compounds_split"). make bench-calibrate: SDN 2021 aliases 50.8 ->
# 51.0 at review and 40.1 -> 40.2 at match, every other set and every false alert unchanged
# (review: screened 20/2000, hard pairs 32/1800; match: 1/2000, 5/1800).
ENGINE_VERSION = "1.8.0"
Reached = tuple[np.ndarray, np.ndarray, np.ndarray]  # list names' ids, score bounds, prefilter bounds
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
# A coverage bound this close to 1.0 is the whole name (_name_bounds).
_WHOLE = 1.0 - 1e-9
# _name_bounds' and evidence_factor's constants, for the compiled bound (computed here as
# Python computes them there: 1 - 0.6 is not the float 0.4)
_BOUND_CONSTANTS = (FLOAT_SLACK, TIE_BREAK, _WHOLE, WHOLE_NAME_EXPONENT, CANDIDATE_EXPONENT, THIN_EVIDENCE_FLOOR,
                    1 - THIN_EVIDENCE_FLOOR, FULL_EVIDENCE_WEIGHT)
# Query names whose scored candidates are kept (_NameWork, ~1.4 KB each: ~23 MB full).
# Realistic batch accounts (bench/batch.py's mix) repeat names with other birth dates and
# countries: of 300,000 rows' distinct queries, 20% repeat names last seen within 4,096
# others, 42% within 16,384, 60% within 65,536; in the first 100,000 rows, 34% of the
# screens reused kept work (15% at the same floor, 19% refiltered).
NAME_WORK_CACHE = 16_384


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
        made: dict[str, NameForm] = {}  # full name -> its form: names repeat across lists
        forms = [(i, name, made.get(name.full) or made.setdefault(name.full, make_name_form(name.full)))
                 for i, entity in enumerate(entities) for name in entity.names]
        self.weights = TokenWeights.from_names(form.tokens for _, _, form in forms)
        self.names: list[_IndexedName] = [_IndexedName(i, name, form, self._token_weights(form))
                                          for i, name, form in forms]
        self.entity_names: list[list[int]] = [[] for _ in entities]
        for n, item in enumerate(self.names):
            self.entity_names[item.entity].append(n)
        # per name id, what the compiled best pair reads (speedups' best_pair)
        self._name_tokens = [item.form.tokens for item in self.names]
        self._name_weights = [item.weights for item in self.names]
        self._name_factors = [_name_factor(item.name) for item in self.names]
        self._exponents = [_exponent(e) for e in entities]
        self._name_entity = np.array([item.entity for item in self.names], dtype=np.int32)
        self._list_codes = {list_id: code for code, list_id in enumerate(sorted({e.list_id for e in entities}))}
        self._entity_list = np.array([self._list_codes[e.list_id] for e in entities], dtype=np.int32)
        self.index = NameIndex(((n, item.form.tokens) for n, item in enumerate(self.names)), self.weights)
        # Every entity's secondary evidence, made here (0.4 s for the default lists' 23,368
        # entities): made on first use, it took ~30 us of bench/speed.py's 510 us first-sight
        # query (country fields parsed), and made first screens slower than later ones.
        self.facts: list[features.Facts] = [features.entity_facts(e) for e in entities]
        self._work: OrderedDict[tuple, _NameWork] = OrderedDict()  # query names -> _NameWork (LRU)
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
        facts = features.query_facts(query)
        bonus = features.potential_bonus(facts)
        clear_below = self.policy.review - bonus - FLOAT_SLACK
        key, work = self._name_work(forms, query.lists, facts, bonus, within)
        scoring = _Scoring(self, forms)
        found: list[float] = []  # best name pairs scored here beyond those kept, flat
        matches: list[Match] = []
        top: list[float] = []  # the best `limit` scores so far (a min-heap)
        for position, (entity_index, upper) in enumerate(zip(work.entities, work.uppers)):
            if len(top) >= limit and upper + bonus < top[0]:
                break  # candidates come best bound first: none of the rest can enter the top
            adjusted, form_at, name_id = work.best(position, scoring.best, found)
            if adjusted < clear_below and not facts.identifiers:
                continue  # clear whatever its features add (as _evaluate would find)
            entity = self.entities[entity_index]
            if form_at < 0:
                best = _Best(None, None, adjusted)
            else:
                best = _Best(forms[form_at], self.names[name_id], adjusted, scoring.scorers()[form_at],
                             self._exponents[entity_index])
            ev = self._evaluate(best, facts, self.facts[entity_index], clear_below)
            if ev is not None and ev.verdict is not Verdict.CLEAR:
                matches.append(Match(entity, self._comparison(entity, ev)))
                (heapq.heappush if len(top) < limit else heapq.heappushpop)(top, ev.score)
        if found and key is not None:
            # kept objects are never changed (threads share them): the longer one replaces it
            self._work[key] = work.extended(found)
        matches.sort(key=lambda m: (-m.score, m.entity.id))
        return matches[:limit]

    def _name_work(self, forms: list[NameForm], lists: tuple[str, ...] | None, facts: features.Facts,
                   bonus: float, within: Collection[str] | None) -> tuple[tuple | None, _NameWork | _Refiltered]:
        """The query's candidates and what scoring their names found, kept per query names;
        with the key it is kept under (None: not kept).

        Everything but the secondary evidence depends only on the query's name tokens (with
        their script's kind and handle flag), `lists` and the candidates' floor (review less
        the potential bonus). Accounts with the same name and another birth date or country
        reuse it: at the same floor as kept, or, for one query name, at a higher one (the
        names reached there are the kept ones filtered again, and a kept best name pair
        still stands if its name does). Queries with identifiers (their entities join the
        candidates) or `within` are not kept.
        """
        floor = self.policy.review - bonus
        key = None if within is not None or facts.identifiers else \
            (tuple((f.tokens, f.script in ABJAD_SCRIPTS, f.handle) for f in forms), lists)
        work = self._work.get(key) if key is not None else None
        if work is not None:
            with suppress(KeyError):  # dropped by another thread meanwhile
                self._work.move_to_end(key)
            if work.floor == floor:
                return key, work
            if work.floor < floor and len(forms) == 1:
                return None, _Refiltered(work, self._ranked(work.reached, floor), floor - FLOAT_SLACK)
        allowed = None if within is None else np.array(sorted(self._positions(within)), dtype=np.int32)
        if key is None:
            return None, _NameWork.of(floor, [], self._candidates(forms, lists, facts, bonus, allowed))
        reached = self._reached(forms, lists, floor)
        work = self._work[key] = _NameWork.of(floor, reached, self._ranked(reached))
        while len(self._work) > NAME_WORK_CACHE:
            with suppress(KeyError):  # emptied by other threads meanwhile
                self._work.popitem(last=False)
        return key, work

    def _scorers(self, forms: list[NameForm]) -> list[QueryName]:
        """A scorer per query name, answering similarities from its similarity table."""
        return [QueryName.looking_up(form.tokens, self.weights, self._similarity_table(form)) for form in forms]

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
        adjusted, form_at, name_at = self._best_name(forms, names, candidate, scorers)
        best = _Best(forms[form_at], names[name_at], adjusted, scorers[form_at], _exponent(candidate)) \
            if form_at >= 0 else _Best(None, None, adjusted)
        return self._comparison(candidate, self._evaluate(best, features.query_facts(query),
                                                          features.entity_facts(candidate)))

    def _token_weights(self, form: NameForm) -> tuple[float, ...]:
        return tuple(map(self.weights.weight, form.tokens))

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
        """
        floor = self.policy.review - bonus
        ranked = self._ranked(self._reached(forms, lists, floor, allowed))
        for value in facts.identifiers:
            for entity in self.by_identifier.get(value, ()):
                if (lists is None or self.entities[entity].list_id in lists) and \
                        (allowed is None or entity in allowed):
                    ranked = [(entity, self.entity_names[entity], 1.0 + features.MAX_BONUS)] + \
                             [r for r in ranked if r[0] != entity]
        return ranked

    def _reached(self, forms: list[NameForm], lists: tuple[str, ...] | None, floor: float,
                 allowed: np.ndarray | None = None) -> list[Reached]:
        """Per query name, the list names whose score bound reaches `floor`: their ids, bounds,
        and larger coverage bounds (with the tie break) that prefilter them.

        With coverage bounds bq (query) and bc (name), a name scores at most
        max(bq * bc**e(bq), bc * bq**e(bc)), where e is the most lenient exponent the
        lighter side's coverage allows (WHOLE_NAME_EXPONENT only when it can be covered
        whole), times the evidence factor of the most weight the lighter side can have
        matched; names whose bound plus the query's potential feature bonus stays below
        review are never scored. Both filters are monotone in `floor`: the names reached
        at a higher floor are these rows, filtered again (_ranked).
        """
        found = []
        for form in forms:
            ids, bq, bc = self.index.candidates(form.tokens, self.weights, form.script in ABJAD_SCRIPTS)
            if not len(ids):
                continue
            q_total = sum(self.weights.weight(t) for t in set(form.tokens))
            ids, upper, larger = _bounded(ids, bq, bc, self.index.totals, q_total, floor)
            if lists is not None or allowed is not None:
                keep = np.ones(len(ids), dtype=bool)
                if lists is not None:
                    keep &= np.isin(self._entity_list[self._name_entity[ids]],
                                    [self._list_codes.get(x, -1) for x in lists])
                if allowed is not None:
                    keep &= np.isin(self._name_entity[ids], allowed)
                ids, upper, larger = ids[keep], upper[keep], larger[keep]
            found.append((ids, upper, larger))
        return found

    def _ranked(self, reached: list[Reached], floor: float | None = None) -> list[tuple[int, list[int], float]]:
        """The candidate entities of names `_reached`, best bound first; with `floor` (not
        below the one they were reached at), as they would be reached there."""
        ids, upper = [], []
        for form_ids, form_upper, larger in reached:
            if floor is not None:
                keep = (form_upper >= floor) & (larger >= floor - FLOAT_SLACK)
                form_ids, form_upper = form_ids[keep], form_upper[keep]
            ids.append(form_ids)
            upper.append(form_upper)
        return _rank_entities(self._name_entity, ids, upper, MAX_CANDIDATES)

    def _evaluate(self, best: _Best, q_facts: features.Facts, c_facts: features.Facts,
                  clear_below: float | None = None) -> _Evaluation | None:
        """Weigh the secondary evidence (the query's and the entity's facts) on an entity's
        best name pair.

        `clear_below` (screening): a best name score below it leaves the entity clear whatever
        its features add (at most the query's potential bonus), so unless an identifier of the
        query is listed for it, None is returned without weighing them.
        """
        if clear_below is not None and best.adjusted < clear_below and \
                not (q_facts.identifiers and features.identifier_match(q_facts, c_facts)[0]):
            return None
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
                   scorers: list[QueryName]) -> tuple[float, int, int]:
        """(adjusted score, query form position, name position) of the best name pair, the
        first of equals; (0.0, -1, -1) if no pair scores."""
        best, best_form, best_name = 0.0, -1, -1
        exponent = _exponent(entity)
        for f, (form, scorer) in enumerate(zip(forms, scorers)):
            factor = _form_factor(form)
            for n, item in enumerate(names):
                adjusted = scorer.rate(item.form.tokens, exponent, item.weights) * factor * _name_factor(item.name)
                if adjusted > best:
                    best, best_form, best_name = adjusted, f, n
        return best, best_form, best_name


def _exponent(entity: Entity) -> float:
    return CANDIDATE_EXPONENT if entity.type is EntityType.PERSON else ORGANIZATION_CANDIDATE_EXPONENT


def _form_factor(form: NameForm) -> float:
    return HANDLE_FACTOR if form.handle else 1.0


def _name_factor(name: Name) -> float:
    return WEAK_ALIAS_FACTOR if name.weak else 1.0


class _Scoring:
    """A query's scorers, one per query name, made on first use (most screens score no name
    pair), and the best name pair of a candidate entity: compiled (speedups' best_pair) where
    every scorer has its aligner, the same result as Engine._best_name."""

    __slots__ = ("engine", "forms", "_scorers", "_aligners", "_factors")

    def __init__(self, engine: Engine, forms: list[NameForm]) -> None:
        self.engine = engine
        self.forms = forms
        self._scorers: list[QueryName] | None = None
        self._aligners: list | None = None
        self._factors: list[float] = []

    def scorers(self) -> list[QueryName]:
        if self._scorers is None:
            self._scorers = self.engine._scorers(self.forms)
            aligners = [scorer.aligner for scorer in self._scorers]
            self._aligners = None if None in aligners else aligners
            self._factors = [_form_factor(form) for form in self.forms]
        return self._scorers

    def best(self, entity_index: int, name_ids: list[int]) -> tuple[float, int, int]:
        """(adjusted score, query form position, name id) of the entity's best name pair among
        `name_ids`; (0.0, -1, -1) for none."""
        scorers, engine = self.scorers(), self.engine
        if self._aligners is not None:
            return speedups.native.best_pair(self._aligners, self._factors, name_ids, engine._name_tokens,
                                             engine._name_weights, engine._name_factors,
                                             engine._exponents[entity_index])
        adjusted, form_at, name_at = engine._best_name(self.forms, [engine.names[n] for n in name_ids],
                                                       engine.entities[entity_index], scorers)
        return adjusted, form_at, name_ids[name_at] if name_at >= 0 else -1


class _NameWork:
    """One query's candidates (best bound first) at a floor and the best name pairs of the
    first of them, as far as screening has needed them: (adjusted score, query form
    position, name id) triples in one array (compact, and not walked by the garbage
    collector). Never changed once made: threads share them; `extended` makes a longer one.
    """

    __slots__ = ("floor", "reached", "entities", "uppers", "scored", "pending")

    def __init__(self, floor: float, reached: list[Reached], entities: array, uppers: array, scored: array,
                 pending: tuple[list[int], ...]) -> None:
        self.floor = floor
        self.reached = reached  # Engine._reached at `floor`, to re-rank at a higher one
        self.entities = entities
        self.uppers = uppers
        self.scored = scored
        self.pending = pending  # the name ids of each candidate not scored

    @classmethod
    def of(cls, floor: float, reached: list[Reached], ranked: list[tuple[int, list[int], float]]) -> _NameWork:
        return cls(floor, reached, array("i", [entity for entity, _, _ in ranked]),
                   array("d", [upper for _, _, upper in ranked]), array("d"), tuple(names for _, names, _ in ranked))

    def best(self, position: int, score: Callable[[int, list[int]], tuple[float, int, int]],
             found: list[float]) -> tuple[float, int, int]:
        """The best name pair of the candidate at `position`: kept, or scored and added to
        `found` (positions are asked in order)."""
        if 3 * position < len(self.scored):
            adjusted, form, name = self.scored[3 * position:3 * position + 3]
            return adjusted, int(form), int(name)
        best = score(self.entities[position], self.pending[position - len(self.scored) // 3])
        found.extend(best)
        return best

    def kept(self, entity: int) -> tuple[float, int, int] | None:
        """The best name pair of `entity`, if it is a candidate already scored."""
        try:
            position = self.entities.index(entity, 0, len(self.scored) // 3)
        except ValueError:
            return None
        adjusted, form, name = self.scored[3 * position:3 * position + 3]
        return adjusted, int(form), int(name)

    def extended(self, found: list[float]) -> _NameWork:
        """This work with `found` (what `best` added) kept too."""
        done = len(found) // 3
        return _NameWork(self.floor, self.reached, self.entities, self.uppers, self.scored + array("d", found),
                         self.pending[done:])


class _Refiltered:
    """A _NameWork of one query name seen at a higher floor: fewer names of fewer entities.

    Each entity's names there are a subsequence of those kept (the rows are filtered, their
    order stays), so the kept best pair of an entity is still its best if its name is among
    them (the first of the highest in a subsequence that holds it); and a kept best below the
    query's clear level leaves the entity clear either way (a subsequence scores no higher).
    Otherwise the entity is scored on its names here.
    """

    __slots__ = ("work", "entities", "uppers", "names", "clear_below")

    def __init__(self, work: _NameWork, ranked: list[tuple[int, list[int], float]], clear_below: float) -> None:
        self.work = work
        self.entities = [entity for entity, _, _ in ranked]
        self.uppers = [upper for _, _, upper in ranked]
        self.names = [names for _, names, _ in ranked]
        self.clear_below = clear_below

    def best(self, position: int, score: Callable[[int, list[int]], tuple[float, int, int]],
             found: list[float]) -> tuple[float, int, int]:
        """As _NameWork.best, but nothing is added to `found`: this is not kept."""
        kept = self.work.kept(self.entities[position])
        if kept is not None and (kept[0] < self.clear_below or kept[2] in self.names[position]):
            return kept
        return score(self.entities[position], self.names[position])


def _bounded(ids: np.ndarray, bq: np.ndarray, bc: np.ndarray, totals: np.ndarray, q_total: float, floor: float,
             native: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Of the names `ids` a query form reached (coverage bounds bq and bc; `totals` by name id),
    those whose score bound reaches `floor` (see Engine._reached): (ids, bounds, larger
    coverage bounds), in the order given. Compiled where built (speedups.wanted(native): its
    bound(), the same arrays). The numpy path's ~35 calls a form were most of the 13% of
    bench/speed.py's first-sight pass that Engine._reached spent outside candidates(); 5% after."""
    if speedups.wanted(native):
        found = speedups.native.bound(ids, bq, bc, totals, q_total, floor, _BOUND_CONSTANTS)
        return np.frombuffer(found[0], dtype=np.int32), np.frombuffer(found[1]), np.frombuffer(found[2])
    # A name's bound is at most the larger coverage bound (plus the tie break below): most
    # names a common token reaches are dropped before their bound is computed.
    larger = np.maximum(bq, bc) + TIE_BREAK * (bq + bc)
    near = larger >= floor - FLOAT_SLACK
    ids, bq, bc, larger = ids[near], bq[near], bc[near], larger[near]
    upper = _name_bounds(np.minimum(bq, 1.0), np.minimum(bc, 1.0), q_total, totals[ids])
    # Many names bound at 1.0 for a query of common tokens: rank those reached by more of
    # both names first (a tiny raise keeps the bound an upper bound).
    upper += TIE_BREAK * (bq + bc)
    keep = upper >= floor
    return ids[keep], upper[keep], larger[keep]


def _name_bounds(bq: np.ndarray, bc: np.ndarray, q_total: float | np.ndarray, c_totals: np.ndarray) -> np.ndarray:
    """Upper bounds of the name scores from the coverage bounds (see Engine._reached)."""
    eq = np.where(bq >= _WHOLE, WHOLE_NAME_EXPONENT, CANDIDATE_EXPONENT)
    ec = np.where(bc >= _WHOLE, WHOLE_NAME_EXPONENT, CANDIDATE_EXPONENT)
    upper = np.maximum(bq * _power(bc, eq), bc * _power(bq, ec))
    lighter_matched = np.where(q_total <= c_totals, bq * q_total, bc * c_totals)
    return upper * evidence_factor(lighter_matched)


def _power(base: np.ndarray, exponent: np.ndarray) -> np.ndarray:
    """base ** exponent, by the C library's pow where the compiled module is built (its
    power()), as the compiled bound and the scorer compute it. numpy's own float64 power has
    AVX-512 loops that differ from pow in the last bit: on an AMD EPYC with AVX-512, for 5% of
    a million random bases in [0, 2) at the exponent 0.25."""
    if speedups.native is None:
        return base ** exponent
    return np.frombuffer(speedups.native.power(np.ascontiguousarray(base, dtype=np.float64),
                                               np.ascontiguousarray(exponent, dtype=np.float64)))


def _rank_entities(name_entity: np.ndarray, ids: list[np.ndarray], upper: list[np.ndarray],
                   limit: int, native: bool | None = None) -> list[tuple[int, list[int], float]]:
    """(entity, its reached names, best bound) for the `limit` entities with the best bounds.
    Compiled where built (speedups.wanted(native): speedups' rank, the same list)."""
    if speedups.wanted(native):
        return speedups.native.rank(name_entity, ids, upper, limit)
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


def query_forms(query: Query) -> list[NameForm]:
    """The query's display names (those in Cyrillic in both readings: reading_forms; one
    written as a handle, "@khamenei_ir", as a handle) and handle, normalized; empty ones
    dropped."""
    forms = [form for n in query.names for form in ([handle_form(n)] if written_as_handle(n) else reading_forms(n))]
    if query.handle:
        forms.append(handle_form(query.handle))
    return [f for f in forms if f.tokens]
