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
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz.distance import OSA, Levenshtein

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
MIN_ABJAD_KEY = 2  # two-letter keys ("md": madi, maydeh, mahdi) are too common to vouch
# Tokens of three letters or fewer (Korean and Chinese syllables, short given names) may be
# no more similar than their plain edit similarity plus this: "ji"~"ju" is not a 0.83 pair.
SHORT_TOKEN = 2
SHORT_TOKEN_SLACK = 0.15
# From this length an adjacent transposition counts as one edit (optimal string alignment).
MIN_TRANSPOSITION_TOKEN = 5
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
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class _Side:
    tokens: Sequence[str]
    weights: list[float]
    used: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.used = [False] * len(self.tokens)


def credit(similarity: float) -> float:
    """The share of a pair's weight that a token similarity earns."""
    if similarity < TOKEN_FLOOR:
        return 0.0
    return min(1.0, similarity / TOKEN_FULL)


def evidence_factor(matched_weight):
    """The multiplier for how much name weight a match rests on (1.0 from FULL_EVIDENCE_WEIGHT).

    Takes a float or a numpy array (the engine bounds many names at once).
    """
    return THIN_EVIDENCE_FLOOR + (1 - THIN_EVIDENCE_FLOOR) * np.minimum(1.0, matched_weight / FULL_EVIDENCE_WEIGHT)


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
    if not query or not candidate:
        return NO_NAME
    q = _Side(query, [weights.weight(t) for t in query])
    c = _Side(candidate, [weights.weight(t) for t in candidate])
    pairs = _align(q, c, similarity)
    if not all(q.used) and not all(c.used):
        pairs += _align_compounds(q, c, compound_similarity or similarity)
    return _score(q, c, pairs, candidate_exponent)


def _align(q: _Side, c: _Side, similarity: Callable[[str, str], float]) -> list[tuple[float, list[int], list[int]]]:
    scored = []
    for i, a in enumerate(q.tokens):
        for j, b in enumerate(c.tokens):
            s = 1.0 if a == b else _pair_similarity(a, b, similarity)
            if s >= TOKEN_FLOOR:
                scored.append((s, i, j))
    scored.sort(key=lambda x: (-x[0], -(q.weights[x[1]] + c.weights[x[2]])))
    pairs = []
    for s, i, j in scored:
        if not q.used[i] and not c.used[j]:
            q.used[i] = c.used[j] = True
            pairs.append((s, [i], [j]))
    return pairs


def _pair_similarity(a: str, b: str, similarity: Callable[[str, str], float]) -> float:
    """Initials meet the words they begin; numbers ("77th", "1st") only their equals."""
    if len(a) == 1 or len(b) == 1:
        return INITIAL_SIMILARITY if a[0] == b[0] else 0.0
    if _DIGIT.search(a) or _DIGIT.search(b):
        return 0.0
    s = similarity(a, b)
    if min(len(a), len(b)) <= SHORT_TOKEN:
        return min(s, Levenshtein.normalized_similarity(a, b) + SHORT_TOKEN_SLACK)
    if s < TOKEN_FULL and min(len(a), len(b)) >= MIN_TRANSPOSITION_TOKEN:
        s = max(s, OSA.normalized_similarity(a, b))  # "innocnet" is one swap from "innocent"
    return s


def _align_compounds(q: _Side, c: _Side, similarity) -> list[tuple[float, list[int], list[int]]]:
    """Join two adjacent unmatched tokens on one side to meet one token on the other."""
    pairs = []
    for one, other, flip in ((q, c, False), (c, q, True)):
        for i in range(len(one.tokens) - 1):
            if one.used[i] or one.used[i + 1]:
                continue
            joined = one.tokens[i] + one.tokens[i + 1]
            best = max(((similarity(joined, t), j) for j, t in enumerate(other.tokens) if not other.used[j]),
                       default=(0.0, -1))
            if best[0] >= TOKEN_FLOOR:
                one.used[i] = one.used[i + 1] = other.used[best[1]] = True
                pair = ([i, i + 1], [best[1]])
                pairs.append((best[0], *(pair[::-1] if flip else pair)))
    return pairs


def _whole(side: _Side, coverage: float, pairs) -> bool:
    """Every token of the side was matched at full credit, and there is enough of it.

    Tokens of two letters or fewer (Korean and Chinese syllables: "Yong Ho CHOE") do not
    make a name whole: syllables overlap by chance too often.
    """
    if coverage < 1.0 - 1e-9 or any(credit(s) < 1.0 for s, _, _ in pairs):
        return False
    if any(len(t) <= SHORT_TOKEN for t in side.tokens):
        return False
    return len(side.tokens) >= 2 or side.weights[0] >= WHOLE_NAME_MIN_WEIGHT


def _score(q: _Side, c: _Side, pairs, candidate_exponent: float) -> NameScore:
    q_total, c_total = sum(q.weights), sum(c.weights)
    q_matched = c_matched = 0.0
    matches = []
    for s, qi, cj in pairs:
        gain = credit(s)
        qw, cw = sum(q.weights[i] for i in qi), sum(c.weights[j] for j in cj)
        if len(qi) == len(cj) == 1 and min(len(q.tokens[qi[0]]), len(c.tokens[cj[0]])) == 1:
            qw = cw = min(qw, cw)  # an initial vouches for no more than an initial's weight
        q_matched += gain * qw
        c_matched += gain * cw
        matches.append(TokenMatch(" ".join(q.tokens[i] for i in qi), " ".join(c.tokens[j] for j in cj), s,
                                  max(qw, cw)))
    q_cov, c_cov = q_matched / q_total, c_matched / c_total
    # The side with less name weight must be covered; the other may carry extra parts.
    small, small_cov, large_cov, small_matched = (q, q_cov, c_cov, q_matched) if q_total <= c_total \
        else (c, c_cov, q_cov, c_matched)
    if _whole(small, small_cov, pairs):
        candidate_exponent = min(candidate_exponent, WHOLE_NAME_EXPONENT)
    score = small_cov ** SUBSET_EXPONENT * large_cov ** candidate_exponent
    score *= float(evidence_factor(small_matched))
    return NameScore(
        min(1.0, score), q_cov, c_cov, tuple(matches),
        tuple(t for t, used in zip(q.tokens, q.used) if not used),
        tuple(t for t, used in zip(c.tokens, c.used) if not used),
    )
