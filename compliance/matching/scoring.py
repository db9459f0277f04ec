"""Scoring one query against one list entity: name alignment plus secondary evidence.

The name score aligns query tokens with candidate tokens one to one (greedy on token
similarity, with compounds such as `abdul rahman` ~ `abdulrahman`), weighs every token by
its rarity, and combines the share of the query that was matched with a gentler share of
the candidate (a missing middle name costs little, a missing surname a lot). Secondary
evidence is a declarative list of named features with weights. Every number that goes
into a score is kept for the explanation.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
# An initial ("a") against a token it begins ("ali"): partial credit, never full.
INITIAL_SIMILARITY = 0.85
# score = query_coverage**QUERY_EXPONENT * candidate_coverage**CANDIDATE_EXPONENT
QUERY_EXPONENT = 1.0
CANDIDATE_EXPONENT = 0.25
# Below this much matched weight a name carries less evidence (a lone common given name).
FULL_EVIDENCE_WEIGHT = 1.0
THIN_EVIDENCE_FLOOR = 0.75


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


@dataclass(slots=True)
class _Side:
    tokens: Sequence[str]
    weights: list[float]
    used: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.used = [False] * len(self.tokens)


def credit(similarity: float) -> float:
    """The share of a pair's weight that a token similarity earns."""
    if similarity >= TOKEN_FULL:
        return 1.0
    return max(0.0, (similarity - TOKEN_FLOOR) / (TOKEN_FULL - TOKEN_FLOOR))


def abjad_similarity(a: str, b: str) -> float:
    """token_similarity, but equal phonetic keys count as near-equal (vowel-less scripts)."""
    s = token_similarity(a, b)
    key = name_key(a)
    if s < ABJAD_KEY_SIMILARITY and len(key) >= 2 and key == name_key(b):
        return ABJAD_KEY_SIMILARITY
    return s


def name_score(query: Sequence[str], candidate: Sequence[str], weights: TokenWeights,
               similarity: Callable[[str, str], float] = token_similarity) -> NameScore:
    """Align two token sequences and score the alignment (0..1)."""
    if not query or not candidate:
        return NO_NAME
    q = _Side(query, [weights.weight(t) for t in query])
    c = _Side(candidate, [weights.weight(t) for t in candidate])
    pairs = _align(q, c, similarity)
    if not all(q.used) and not all(c.used):
        pairs += _align_compounds(q, c, similarity)
    return _score(q, c, pairs)


def _align(q: _Side, c: _Side, similarity: Callable[[str, str], float]) -> list[tuple[float, list[int], list[int]]]:
    scored = []
    for i, a in enumerate(q.tokens):
        for j, b in enumerate(c.tokens):
            s = 1.0 if a == b else _initial(a, b) if len(a) == 1 or len(b) == 1 else similarity(a, b)
            if s >= TOKEN_FLOOR:
                scored.append((s, i, j))
    scored.sort(key=lambda x: (-x[0], -(q.weights[x[1]] + c.weights[x[2]])))
    pairs = []
    for s, i, j in scored:
        if not q.used[i] and not c.used[j]:
            q.used[i] = c.used[j] = True
            pairs.append((s, [i], [j]))
    return pairs


def _initial(a: str, b: str) -> float:
    return INITIAL_SIMILARITY if a[0] == b[0] else 0.0


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


def _score(q: _Side, c: _Side, pairs) -> NameScore:
    q_total, c_total = sum(q.weights), sum(c.weights)
    q_matched = c_matched = 0.0
    matches = []
    for s, qi, cj in pairs:
        gain = credit(s)
        qw, cw = sum(q.weights[i] for i in qi), sum(c.weights[j] for j in cj)
        q_matched += gain * qw
        c_matched += gain * cw
        matches.append(TokenMatch(" ".join(q.tokens[i] for i in qi), " ".join(c.tokens[j] for j in cj), s,
                                  max(qw, cw)))
    q_cov, c_cov = q_matched / q_total, c_matched / c_total
    score = q_cov ** QUERY_EXPONENT * c_cov ** CANDIDATE_EXPONENT
    evidence = min(1.0, q_matched / FULL_EVIDENCE_WEIGHT)
    score *= THIN_EVIDENCE_FLOOR + (1 - THIN_EVIDENCE_FLOOR) * evidence
    return NameScore(
        min(1.0, score), q_cov, c_cov, tuple(matches),
        tuple(t for t, used in zip(q.tokens, q.used) if not used),
        tuple(t for t, used in zip(c.tokens, c.used) if not used),
    )
