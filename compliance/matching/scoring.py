"""Scoring one query against one list entity: name alignment plus secondary evidence.

The name score aligns query tokens with candidate tokens one to one (greedy on token
similarity, with compounds such as `abdul rahman` ~ `abdulrahman`), weighs every token by
its rarity, and combines the share of the query that was matched with a gentler share of
the candidate (a missing middle name costs little, a missing surname a lot). Secondary
evidence is a declarative list of named features with weights. Every number that goes
into a score is kept for the explanation.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import OSA, Levenshtein

from compliance.matching import speedups
from compliance.matching.translit import name_key, token_similarity
from compliance.matching.weights import TokenWeights

# Token pairs below TOKEN_FLOOR are not aligned; from TOKEN_FLOOR to TOKEN_FULL a pair's
# credit rises linearly from 0 to 1 of its weight. On translit.token_similarity's scale true
# spelling and transliteration variants sit at 0.81-0.97 (husseini/hosseini 0.96,
# mohammed/muhammad 0.92, vladimir/volodymyr 0.82), near misses at 0.75-0.79
# (khamenei/khamenko 0.79, hamas/hamad 0.76).
TOKEN_FLOOR = 0.72
TOKEN_FULL = 0.92
# Scripts written without short vowels: a query token from them whose phonetic key equals
# the list token's key ("khamnei" ~ "khamenei", both "hmn") is taken as this similar.
ABJAD_SCRIPTS = frozenset({"Arabic", "Hebrew"})
ABJAD_KEY_SIMILARITY = 0.95
# Keys of this many letters vouch; one-letter keys do not. Two-letter keys are common ("md":
# madi, maydeh, mahdi) and bring false alerts (maydeh ~ madi). At 3 (engine 1.3.0, review
# 0.74), bench/quality.py's screened false alerts fell from 23 to 20 of 2,000, but recall at
# review fell by 4.3 (google ar2en) and 5.9 (Arabic tokens); raising review to 0.76 instead
# cost 1.1 and 0.8 (and 2.4 on Cyrillic tokens).
MIN_ABJAD_KEY = 2
# Tokens of three letters or fewer (Korean and Chinese syllables, short given names) may be
# no more similar than their plain edit similarity plus this: "ji"~"ju" is not a 0.83 pair.
SHORT_TOKEN = 2
SHORT_TOKEN_SLACK = 0.15
# From this length an adjacent transposition counts as one edit (optimal string alignment).
# Engine 1.4.0 lowered it from 5 to 4 (BAID ~ ABID, 0.75): make bench-calibrate at the same
# thresholds, recall yente_un_sc_treated 99.4 -> 99.7, SDN 2021 aliases 50.6 -> 50.7, ssb
# positives 94.2 -> 94.9; false alerts unchanged (screened 20/2000, hard pairs 33/1800). At 3
# letters a swap is two edits of three (SKO ~ SOK 0.67), below TOKEN_FLOOR: left so.
MIN_TRANSPOSITION_TOKEN = 4
# An initial ("a") against a token it begins ("ali"): partial credit, never full.
INITIAL_SIMILARITY = 0.85
# score = coverage of the lighter side**SUBSET_EXPONENT * coverage of the heavier
# side**candidate_exponent: the lighter name must be found whole; the heavier one may carry
# parts the other lacks, which for a person (middle names, patronymics) costs little and
# for a company ("ARAB CHINA TRADING" against "Al-Arabi Trading") more.
SUBSET_EXPONENT = 1.0
CANDIDATE_EXPONENT = 0.25
# When the lighter name is found whole and at full credit (two or more tokens, or one rare
# token), the heavier name's extra parts cost less still: "Ali Khamenei" is all of itself in
# "KHAMENEI, Ali Husseini".
WHOLE_NAME_EXPONENT = 0.1
WHOLE_NAME_MIN_WEIGHT = 0.8
ORGANIZATION_CANDIDATE_EXPONENT = 0.5
# Below this much matched weight a name carries less evidence: a lone common given name,
# or "Mohammed Ahmed Hassan" (three common names, 0.93 together).
FULL_EVIDENCE_WEIGHT = 1.2
THIN_EVIDENCE_FLOOR = 0.6


@dataclass(frozen=True, slots=True)
class TokenMatch:
    query: str
    candidate: str
    similarity: float
    weight: float

    def to_dict(self) -> dict:
        return {"query": self.query, "candidate": self.candidate,
                "similarity": round(self.similarity, 3), "weight": round(self.weight, 3)}


@dataclass(frozen=True, slots=True)
class NameScore:
    score: float
    query_coverage: float
    candidate_coverage: float
    pairs: tuple[TokenMatch, ...] = ()
    unmatched_query: tuple[str, ...] = ()
    unmatched_candidate: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "score": round(self.score, 4),
            "query_coverage": round(self.query_coverage, 4),
            "candidate_coverage": round(self.candidate_coverage, 4),
            "alignment": [p.to_dict() for p in self.pairs],
            "unmatched_query": list(self.unmatched_query),
            "unmatched_candidate": list(self.unmatched_candidate),
        }


NO_NAME = NameScore(0.0, 0.0, 0.0)
WHOLE_COVERAGE = 1.0 - 1e-9  # a coverage this close to 1 is whole (float noise)
_DIGIT = re.compile(r"\d")
# The constants the compiled aligner (_speedups.Aligner) scores by, in its order.
_RULES = (TOKEN_FLOOR, TOKEN_FULL, SHORT_TOKEN_SLACK, INITIAL_SIMILARITY, SUBSET_EXPONENT, WHOLE_NAME_EXPONENT,
          WHOLE_NAME_MIN_WEIGHT, FULL_EVIDENCE_WEIGHT, THIN_EVIDENCE_FLOOR, WHOLE_COVERAGE, SHORT_TOKEN,
          MIN_TRANSPOSITION_TOKEN)
Table = dict[str, dict[str, float]]  # query token or joined pair -> list token -> similarity


class _Side:
    """One name's tokens and weights, and which tokens an alignment has used."""

    __slots__ = ("tokens", "weights", "used")

    def __init__(self, tokens: Sequence[str], weights: Sequence[float]) -> None:
        self.tokens = tokens
        self.weights = weights
        self.used = [False] * len(tokens)


Pairs = list[tuple[float, list[int], list[int]]]  # (similarity, query positions, candidate positions)


def credit(similarity: float) -> float:
    """The share of a pair's weight that a token similarity earns."""
    if similarity < TOKEN_FLOOR:
        return 0.0
    return min(1.0, similarity / TOKEN_FULL)


def evidence_factor(matched_weight):
    """The multiplier for how much name weight a match rests on (1.0 from FULL_EVIDENCE_WEIGHT).

    Takes a float or a numpy array (the engine bounds many names at once).
    """
    if isinstance(matched_weight, np.ndarray):
        return THIN_EVIDENCE_FLOOR + (1 - THIN_EVIDENCE_FLOOR) * np.minimum(1.0, matched_weight / FULL_EVIDENCE_WEIGHT)
    return THIN_EVIDENCE_FLOOR + (1 - THIN_EVIDENCE_FLOOR) * min(1.0, matched_weight / FULL_EVIDENCE_WEIGHT)


def abjad_similarity(a: str, b: str) -> float:
    """token_similarity, but equal phonetic keys count as near-equal (vowel-less scripts)."""
    s = token_similarity(a, b)
    key = name_key(a)
    if s < ABJAD_KEY_SIMILARITY and len(key) >= MIN_ABJAD_KEY and key == name_key(b):
        return ABJAD_KEY_SIMILARITY
    return s


def name_score(query: Sequence[str], candidate: Sequence[str], weights: TokenWeights,
               similarity: Callable[[str, str], float] = token_similarity,
               candidate_exponent: float = CANDIDATE_EXPONENT,
               compound_similarity: Callable[[str, str], float] | None = None) -> NameScore:
    """Align two token sequences and score the alignment (0..1).

    `compound_similarity` compares two joined tokens with one (default: `similarity`).
    """
    return QueryName(query, weights, similarity, compound_similarity).score(candidate, candidate_exponent)


class QueryName:
    """One query name prepared to be scored against many candidate names (name_score).

    Its token weights are looked up once, and the similarities of a candidate token to its
    tokens are computed the first time the token is met and kept: the names of the entities
    one query reaches share many tokens. So are the scores of whole candidate names.
    """

    def __init__(self, tokens: Sequence[str], weights: TokenWeights,
                 similarity: Callable[[str, str], float] = token_similarity,
                 compound_similarity: Callable[[str, str], float] | None = None) -> None:
        self.tokens = tuple(tokens)
        self.weights = [weights.weight(t) for t in self.tokens]
        self.token_weights = weights
        self.similarity = similarity
        self.compound_similarity = compound_similarity or similarity
        self._digits = [_DIGIT.search(t) is not None for t in self.tokens]
        self._alignable_to: dict[str, list[tuple[int, float]]] = {}  # candidate token -> (position, similarity)
        self._rates: dict[tuple[tuple[str, ...], float], float] = {}
        self.aligner = None  # the compiled aligner that rates for this name (looking_up)

    @classmethod
    def looking_up(cls, tokens: Sequence[str], weights: TokenWeights, table: Table,
                   native: bool | None = None) -> QueryName:
        """A query name whose similarities, joined pairs' too, are looked up in `table`
        (table_similarity), as screening's are; rated by the compiled aligner where it is
        built (speedups.wanted(native)), with the same results."""
        name = cls(tokens, weights, table_similarity(table))
        if speedups.wanted(native):
            name.aligner = speedups.native.Aligner(name.tokens, name.weights, table, _RULES)
        return name

    def score(self, candidate: Sequence[str], candidate_exponent: float = CANDIDATE_EXPONENT,
              candidate_weights: Sequence[float] | None = None) -> NameScore:
        """name_score of this query name against `candidate`, with its alignment.

        `candidate_weights`: the candidate tokens' weights, if already looked up (they must be
        the TokenWeights' own).
        """
        if not self.tokens or not candidate:
            return NO_NAME
        q, c, pairs = self._aligned(candidate, candidate_weights)
        score, q_cov, c_cov = _score(q, c, pairs, candidate_exponent)
        matches = tuple(TokenMatch(" ".join(q.tokens[i] for i in qi), " ".join(c.tokens[j] for j in cj), s,
                                   max(_pair_weights(q, c, qi, cj))) for s, qi, cj in pairs)
        return NameScore(score, q_cov, c_cov, matches, _unused(q), _unused(c))

    def rate(self, candidate: Sequence[str], candidate_exponent: float = CANDIDATE_EXPONENT,
             candidate_weights: Sequence[float] | None = None) -> float:
        """score(...).score alone, kept per candidate token sequence: entities share names
        ("Ali KHAMENEI" and "ALI KHAMENEI", one alias on two lists), about a third of the
        name pairs of a screen."""
        if self.aligner is not None:
            if candidate_weights is None:
                candidate_weights = [self.token_weights.weight(t) for t in candidate]
            return self.aligner.rate(tuple(candidate), candidate_weights, candidate_exponent)
        key = (tuple(candidate), candidate_exponent)
        found = self._rates.get(key)
        if found is None:
            if not self.tokens or not candidate:
                found = NO_NAME.score
            else:
                found = _score(*self._aligned(key[0], candidate_weights), candidate_exponent)[0]
            self._rates[key] = found
        return found

    def _aligned(self, candidate: Sequence[str],
                 candidate_weights: Sequence[float] | None) -> tuple[_Side, _Side, Pairs]:
        q = _Side(self.tokens, self.weights)
        if candidate_weights is None:
            candidate_weights = [self.token_weights.weight(t) for t in candidate]
        c = _Side(candidate, candidate_weights)
        pairs = self._align(q, c)
        if not all(q.used) and not all(c.used):
            pairs += _align_compounds(q, c, self.compound_similarity)
        return q, c, pairs

    def _align(self, q: _Side, c: _Side) -> Pairs:
        """Greedy one-to-one alignment, most similar pair first (then heavier, then first in
        query and candidate order)."""
        alignable_to, qw, cw = self._alignable_to, q.weights, c.weights
        scored = []
        for j, b in enumerate(c.tokens):
            found = alignable_to.get(b)
            if found is None:
                found = alignable_to[b] = self._alignable(b)
            for i, s in found:
                scored.append((-s, -(qw[i] + cw[j]), i, j))
        scored.sort()
        pairs = []
        for s, _, i, j in scored:
            if not q.used[i] and not c.used[j]:
                q.used[i] = c.used[j] = True
                pairs.append((-s, [i], [j]))
        return pairs

    def _alignable(self, b: str) -> list[tuple[int, float]]:
        """(query position, similarity) of the query tokens that can align with `b`.

        Initials meet the words they begin; numbers ("77th", "1st") only their equals; a
        token of SHORT_TOKEN letters or fewer is no more similar than its edit similarity
        plus SHORT_TOKEN_SLACK; from MIN_TRANSPOSITION_TOKEN letters an adjacent swap counts
        as one edit ("innocnet" is one swap from "innocent").
        """
        found = []
        b_digits = _DIGIT.search(b) is not None
        for i, a in enumerate(self.tokens):
            if a == b:
                s = 1.0
            elif len(a) == 1 or len(b) == 1:
                s = INITIAL_SIMILARITY if a[0] == b[0] else 0.0
            elif b_digits or self._digits[i]:
                continue
            else:
                s = self.similarity(a, b)
                shortest = min(len(a), len(b))
                if shortest <= SHORT_TOKEN:
                    if s >= TOKEN_FLOOR:
                        s = min(s, Levenshtein.normalized_similarity(a, b) + SHORT_TOKEN_SLACK)
                elif s < TOKEN_FULL and shortest >= MIN_TRANSPOSITION_TOKEN:
                    s = max(s, OSA.normalized_similarity(a, b))
            if s >= TOKEN_FLOOR:
                found.append((i, s))
        return found


def table_similarity(table: Table) -> Callable[[str, str], float]:
    """A similarity function answering from a similarity table (symmetric: a pair is looked
    up under either token), 0.0 for pairs it lacks."""
    def similarity(a: str, b: str) -> float:
        found = table.get(a)
        if found is not None:
            return found.get(b, 0.0)
        found = table.get(b)
        return 0.0 if found is None else found.get(a, 0.0)

    return similarity


def _align_compounds(q: _Side, c: _Side, similarity: Callable[[str, str], float]) -> Pairs:
    """Join two adjacent unmatched tokens on one side to meet one token on the other: the
    most similar unmatched token, the last of equals."""
    pairs = []
    for one, other, flip in ((q, c, False), (c, q, True)):
        for i in range(len(one.tokens) - 1):
            if one.used[i] or one.used[i + 1]:
                continue
            joined = one.tokens[i] + one.tokens[i + 1]
            best, found = 0.0, -1
            for j, t in enumerate(other.tokens):
                if not other.used[j]:
                    s = similarity(joined, t)
                    if s >= best:
                        best, found = s, j
            if best >= TOKEN_FLOOR:
                one.used[i] = one.used[i + 1] = other.used[found] = True
                pairs.append((best, [found], [i, i + 1]) if flip else (best, [i, i + 1], [found]))
    return pairs


def _whole(side: _Side, coverage: float, pairs) -> bool:
    """Every token of the side was matched at full credit, and there is enough of it.

    Tokens of two letters or fewer (Korean and Chinese syllables: "Yong Ho CHOE") do not
    make a name whole: syllables overlap by chance too often.
    """
    if coverage < WHOLE_COVERAGE or any(credit(s) < 1.0 for s, _, _ in pairs):
        return False
    if any(len(t) <= SHORT_TOKEN for t in side.tokens):
        return False
    return len(side.tokens) >= 2 or side.weights[0] >= WHOLE_NAME_MIN_WEIGHT


def _pair_weights(q: _Side, c: _Side, qi: list[int], cj: list[int]) -> tuple[float, float]:
    """The query and candidate weight an aligned pair covers."""
    if len(qi) == len(cj) == 1:
        qw, cw = q.weights[qi[0]], c.weights[cj[0]]
        if min(len(q.tokens[qi[0]]), len(c.tokens[cj[0]])) == 1:
            qw = cw = min(qw, cw)  # an initial vouches for no more than an initial's weight
        return qw, cw
    return sum(q.weights[i] for i in qi), sum(c.weights[j] for j in cj)


def _score(q: _Side, c: _Side, pairs: Pairs, candidate_exponent: float) -> tuple[float, float, float]:
    """(score, query coverage, candidate coverage) of an alignment."""
    q_total, c_total = sum(q.weights), sum(c.weights)
    q_matched = c_matched = 0.0
    for s, qi, cj in pairs:
        gain = credit(s)
        qw, cw = _pair_weights(q, c, qi, cj)
        q_matched += gain * qw
        c_matched += gain * cw
    q_cov, c_cov = q_matched / q_total, c_matched / c_total
    # The side with less name weight must be covered; the other may carry extra parts.
    small, small_cov, large_cov, small_matched = (q, q_cov, c_cov, q_matched) if q_total <= c_total \
        else (c, c_cov, q_cov, c_matched)
    if small_cov >= WHOLE_COVERAGE and _whole(small, small_cov, pairs):
        candidate_exponent = min(candidate_exponent, WHOLE_NAME_EXPONENT)
    score = small_cov ** SUBSET_EXPONENT * large_cov ** candidate_exponent
    score *= evidence_factor(small_matched)
    return min(1.0, score), q_cov, c_cov


def _unused(side: _Side) -> tuple[str, ...]:
    return tuple(t for t, used in zip(side.tokens, side.used) if not used)
