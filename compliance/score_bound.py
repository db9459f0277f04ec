"""An upper bound of the engine's name score for one query form against one list name.

`Engine.screen` scores a name by `scoring.QueryName` with the form's similarity table (the
index's neighbourhoods), times factors of at most 1. This bound replays the score formula with
every quantity replaced by one at least as large, so it is never below the engine's score:

* a token pair's similarity is at most its `token_similarity` (the table holds that value or
  nothing), raised to ABJAD_KEY_SIMILARITY for equal keys in a vowel-less form, then put
  through `QueryName._alignable`'s rules the way they can only lower it (initials, digits, short
  tokens) or raise it (OSA for long tokens, applied to any pair: alignment tries it even for
  pairs the table lacks);
* each token's matched weight is at most its weight times the best credit it could earn in
  any pair, joined compounds on either side included (alignment uses a token at most once);
* the whole-name exponent is allowed whenever the lighter side could be covered in full.

Monitoring uses it to drop accounts that the engine's coverage bound lets through but that
cannot score high enough; the engine itself then scores the rest.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rapidfuzz.distance import OSA, Levenshtein

from compliance.matching.scoring import (ABJAD_KEY_SIMILARITY, CANDIDATE_EXPONENT, INITIAL_SIMILARITY,
                                         MIN_ABJAD_KEY, MIN_TRANSPOSITION_TOKEN, ORGANIZATION_CANDIDATE_EXPONENT,
                                         SHORT_TOKEN, SHORT_TOKEN_SLACK, TOKEN_FULL, WHOLE_NAME_EXPONENT,
                                         WHOLE_NAME_MIN_WEIGHT, credit, evidence_factor)
from compliance.matching.translit import name_key, token_similarity

_DIGIT = re.compile(r"\d")


class TokenSimilarities:
    """token_similarity (and the vowel-less key rule) of token pairs, each computed once."""

    def __init__(self) -> None:
        self._plain: dict[tuple[str, str], float] = {}

    def table(self, a: str, b: str, abjad: bool) -> float:
        """At least what a form's similarity table can hold for (a, b)."""
        found = self._plain.get((a, b))
        if found is None:
            found = self._plain[(a, b)] = 1.0 if a == b else token_similarity(a, b)
        if abjad and found < ABJAD_KEY_SIMILARITY:
            key = name_key(a)
            if len(key) >= MIN_ABJAD_KEY and key == name_key(b):
                return ABJAD_KEY_SIMILARITY
        return found

    def pair(self, a: str, b: str, abjad: bool) -> float:
        """At least what `_align` gives the pair (a, b) of single tokens."""
        if a == b:
            return 1.0
        if len(a) == 1 or len(b) == 1:
            return INITIAL_SIMILARITY if a[0] == b[0] else 0.0
        if _DIGIT.search(a) or _DIGIT.search(b):
            return 0.0
        s = self.table(a, b, abjad)
        if min(len(a), len(b)) <= SHORT_TOKEN:
            return min(s, Levenshtein.normalized_similarity(a, b) + SHORT_TOKEN_SLACK)
        if s < TOKEN_FULL and min(len(a), len(b)) >= MIN_TRANSPOSITION_TOKEN:
            s = max(s, OSA.normalized_similarity(a, b))
        return s


def name_score_bound(query: Sequence[str], candidate: Sequence[str], weight: Callable[[str], float], abjad: bool,
                     person: bool, similarities: TokenSimilarities) -> float:
    """At least the engine's name score of `query` (a form's tokens) against `candidate`."""
    if not query or not candidate:
        return 0.0
    qw, cw = [weight(t) for t in query], [weight(t) for t in candidate]
    q_best, c_best = [0.0] * len(query), [0.0] * len(candidate)
    for i, a in enumerate(query):
        for j, b in enumerate(candidate):
            gain = credit(similarities.pair(a, b, abjad))
            q_best[i], c_best[j] = max(q_best[i], gain), max(c_best[j], gain)
    for joined, (i, k), other, best_other, best_side in (
            *((query[i] + query[i + 1], (i, i + 1), candidate, c_best, q_best) for i in range(len(query) - 1)),
            *((candidate[j] + candidate[j + 1], (j, j + 1), query, q_best, c_best) for j in range(len(candidate) - 1))):
        for m, token in enumerate(other):
            gain = credit(similarities.table(joined, token, abjad))
            best_side[i], best_side[k] = max(best_side[i], gain), max(best_side[k], gain)
            best_other[m] = max(best_other[m], gain)
    q_total, c_total = sum(qw), sum(cw)
    q_matched = sum(w * g for w, g in zip(qw, q_best))
    c_matched = sum(w * g for w, g in zip(cw, c_best))
    small_tokens, small_weights, small_matched, small_total, large_cov = (
        (query, qw, q_matched, q_total, c_matched / c_total) if q_total <= c_total
        else (candidate, cw, c_matched, c_total, q_matched / q_total))
    small_cov = min(1.0, small_matched / small_total)
    exponent = CANDIDATE_EXPONENT if person else ORGANIZATION_CANDIDATE_EXPONENT
    if small_cov >= 1.0 - 1e-9 and not any(len(t) <= SHORT_TOKEN for t in small_tokens) and \
            (len(small_tokens) >= 2 or small_weights[0] >= WHOLE_NAME_MIN_WEIGHT):
        exponent = min(exponent, WHOLE_NAME_EXPONENT)
    score = small_cov * min(1.0, large_cov) ** exponent * float(evidence_factor(small_matched))
    return min(1.0, score)
