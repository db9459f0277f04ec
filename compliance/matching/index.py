"""Candidate retrieval: an inverted index from name tokens to list names.

A query token reaches list tokens that are equal, that share its phonetic key
(`translit.name_key`: vowels and spelling variants folded, so Arabic-script tokens without
short vowels meet their Latin forms) or a second reading of it (`translit.key_readings`: q
read as gh, sh as ch, on either side: Qaani meets Ghani), or whose key is one letter edit
away (a typo; for short keys, the token itself one edit away). Each
reached list name accumulates the weight of the query tokens that reached it; that sum
over the query's total weight bounds the query coverage any alignment can achieve, so
names whose bound cannot reach the review threshold are never scored. Recall against
brute-force scoring is measured by bench/speed.py.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from compliance.matching import speedups
from compliance.matching.scoring import ABJAD_KEY_SIMILARITY, MIN_ABJAD_KEY, TOKEN_FLOOR, TOKEN_FULL, credit
from compliance.matching.translit import KeyedVocabulary, name_key
from compliance.matching.weights import TokenWeights

# Only keys this long get one-deletion neighbours: short keys would reach everything.
MIN_DELETION_KEY = 4
# Keys one letter shorter than MIN_DELETION_KEY get no substitutions by key; tokens with such
# keys meet the list tokens with such keys one letter edit away instead (zahir~zahid: keys
# zhr/zhd; amir~amin), which bench/recall.py found missing. First-sight CPU time against
# neither, same-process A/B over 2,000 queries of bench/speed.py's mix: these edits 1.05x;
# key substitutions for 3-letter keys were 1.28x (1,000 queries, beside other variants).
EDIT_KEY = MIN_DELETION_KEY - 1
# A reached list token must be at least this similar to the query token to count.
RELATED_FLOOR = 0.70
# Tokens lighter than this (particles, legal forms: al, bin, co) have posting lists of
# thousands of names and carry almost no weight: their postings are not walked; every
# reached name is credited as if they matched, so the bound stays an upper bound.
LIGHT_WEIGHT = 0.15
# Query tokens whose neighbourhoods (similar list tokens) are kept, and fewer whose reached
# names are (a common token reaches thousands: at most ~40 MB of arrays in all). Batch
# accounts bring ~9,300 distinct tokens in 300,000 rows but a new joined pair per new name
# (~50,000 by 100,000 rows): at 200,000 the cache still grew at 600,000 rows (184,081
# entries); at this size it is full before 100,000 rows and the recurring tokens stay in it.
SIMILAR_CACHE = 32_768
REACH_CACHE = 16_384


def joined_pairs(tokens: Sequence[str]) -> list[str]:
    """Adjacent tokens written together, for compounds written apart on the other side."""
    return [a + b for a, b in zip(tokens, tokens[1:])]


class NameIndex:
    """Maps tokens to the names that contain them, with each token's share of the name.

    Postings are stored flat (numpy arrays of name ids and shares, one slice per token) so
    that walking them for a query is a handful of array operations, not a Python loop over
    thousands of names for a common token. Where the compiled retrieval is built
    (`speedups.native`; `native=False` keeps to Python), it walks them, with the same results.
    """

    def __init__(self, names: Iterable[tuple[int, Sequence[str]]], weights: TokenWeights,
                 native: bool | None = None) -> None:
        numbers: dict[str, int] = {}  # token -> its number, in order of first sight
        rows: list[int] = []  # per posting: the token's number, the name id, the token's share
        ids: list[int] = []
        shares: list[float] = []
        light: list[float] = []
        totals: list[float] = []
        for name_id, tokens in names:
            if name_id != len(totals):
                raise ValueError("name ids must be 0, 1, 2... in order")
            own = {t: weights.weight(t) for t in tokens}
            total = sum(own.values()) or 1.0
            totals.append(total)
            light.append(sum(w for w in own.values() if w < LIGHT_WEIGHT) / total)
            pairs = joined_pairs(tokens)
            rows.extend([numbers.setdefault(t, len(numbers)) for t in (*own, *pairs)])
            ids.extend([name_id] * (len(own) + len(pairs)))
            shares.extend([w / total for w in own.values()])
            shares.extend([(own[a] + own[b]) / total for a, b in zip(tokens, tokens[1:])])
        # each token's postings together, in name order: one stable sort, not a list per token
        order = np.argsort(np.array(rows, dtype=np.int32), kind="stable")
        self.ids = np.array(ids, dtype=np.int32)[order]
        self.shares = np.array(shares, dtype=np.float64)[order]
        ends = np.cumsum(np.bincount(rows, minlength=len(numbers)))
        # token -> its slice of ids/shares
        self.spans: dict[str, tuple[int, int]] = dict(zip(numbers, zip([0, *ends[:-1].tolist()], ends.tolist())))
        self.light_share = np.array(light)  # name id -> share of its weight in light tokens
        self.totals = np.array(totals)  # name id -> its distinct tokens' total weight
        self.vocabulary = KeyedVocabulary(self.spans, EDIT_KEY, MIN_DELETION_KEY, native)
        self._postings = None
        if speedups.wanted(native):
            self._postings = speedups.native.Postings(self.ids, self.shares, len(totals), TOKEN_FLOOR, TOKEN_FULL)
        self.by_key = self.vocabulary.by_key
        self.similar = lru_cache(maxsize=SIMILAR_CACHE)(self._similar)
        self._reach = lru_cache(maxsize=REACH_CACHE)(self._reached)

    def _similar(self, token: str, abjad: bool = False) -> dict[str, float]:
        """List tokens a query token may match, with their similarity to it.

        `abjad`: the token is from a vowel-less script; every list token with the same
        phonetic key is included at ABJAD_KEY_SIMILARITY at least.
        """
        if abjad:
            similar = self.similar(token, False)
            if len(name_key(token)) < MIN_ABJAD_KEY:
                return similar
            return {**similar, **{t: max(similar.get(t, 0.0), ABJAD_KEY_SIMILARITY) for t in self.same_key(token)}}
        # its key and its second reading's (q as gh, sh as ch...), keys one letter edit away,
        # and for short keys the token's own edits
        return self.vocabulary.related(token, RELATED_FLOOR)

    def same_key(self, token: str) -> list[str]:
        """List tokens with the same phonetic key."""
        return self.by_key.get(name_key(token), [])

    def candidates(self, tokens: Sequence[str], weights: TokenWeights,
                   abjad: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(name ids, query share, name share) reached: upper bounds of both coverages.

        A query token reaches the list tokens `similar(token, abjad)` (a joined pair of them
        `similar(pair)`); each reached name adds the query token's share of the query and
        its best similar list token's share of the name, times the credit that similarity
        earns (a list token reached from two query tokens counts twice: the bound stays an
        upper bound). Light tokens are not walked but credited to every reached name
        (LIGHT_WEIGHT).
        """
        total = sum(weights.weight(t) for t in tokens) or 1.0
        shares = {t: weights.weight(t) / total for t in tokens}
        light = {t for t in shares if weights.weight(t) < LIGHT_WEIGHT}
        if light == set(shares):
            light = set()  # a query of particles only: walk them after all
        probes = {t: share for t, share in shares.items() if t not in light}
        for a, b in zip(tokens, tokens[1:]):  # compounds: "abdul rahman" ~ "abdulrahman"
            probes[a + b] = probes.get(a + b, 0.0) + shares[a] + shares[b]
        walked = [(self._reach(token, abjad and token in shares), share) for token, share in probes.items()]
        walked = [(reach, share) for reach, share in walked if reach is not None]
        if not walked:
            return _EMPTY_IDS, _EMPTY, _EMPTY
        if self._postings is not None:
            gathered = self._postings.gather([(*reach, share) for reach, share in walked])
            reached = np.frombuffer(gathered[0], dtype=np.int32)
            query_share, name_share = np.frombuffer(gathered[1]), np.frombuffer(gathered[2])
        else:
            ids = np.concatenate([reach[0] for reach, _ in walked])
            reached, inverse = np.unique(ids, return_inverse=True)
            query_share = np.bincount(inverse, weights=np.concatenate([np.full(len(reach[0]), share)
                                                                       for reach, share in walked]))
            name_share = np.bincount(inverse, weights=np.concatenate([reach[1] for reach, _ in walked]))
        if light:
            query_share = query_share + sum(shares[t] for t in light)
            name_share = name_share + self.light_share[reached]
        return reached, query_share, name_share

    def _reached(self, token: str, abjad: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """The names a probe reaches, each once, with its best credited share of the name."""
        similar = self.similar(token, abjad)
        if self._postings is not None:
            reached = self._postings.reach(similar, self.spans)
            return None if reached is None else (np.frombuffer(reached[0], dtype=np.int32),
                                                 np.frombuffer(reached[1], dtype=np.float64))
        starts, stops, gains = [], [], []
        for listed, s in similar.items():
            gain = credit(s)
            if gain > 0.0 and listed in self.spans:
                start, stop = self.spans[listed]
                starts.append(start)
                stops.append(stop)
                gains.append(gain)
        if not starts:
            return None
        if len(starts) == 1:
            return self.ids[starts[0]:stops[0]], self.shares[starts[0]:stops[0]] * gains[0]
        # the spans' postings gathered in one indexing, not one slice each
        lengths = np.subtract(stops, starts)
        ends = np.cumsum(lengths)
        positions = np.arange(ends[-1]) + np.repeat(np.subtract(starts, ends - lengths), lengths)
        ids, gained = self.ids[positions], self.shares[positions] * np.repeat(gains, lengths)
        # a name reached through two similar tokens keeps the better one
        order = np.argsort(ids, kind="stable")
        ids, gained = ids[order], gained[order]
        first = np.flatnonzero(np.concatenate(([True], ids[1:] != ids[:-1])))
        return ids[first], np.maximum.reduceat(gained, first)


_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY = np.zeros(0)
