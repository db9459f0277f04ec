"""Candidate retrieval: an inverted index from name tokens to list names.

A query token reaches list tokens that are equal, that share its phonetic key
(`translit.name_key`: vowels and spelling variants folded, so Arabic-script tokens without
short vowels meet their Latin forms), or whose key is one deletion away (a typo). Each
reached list name accumulates the weight of the query tokens that reached it; that sum
over the query's total weight bounds the query coverage any alignment can achieve, so
names whose bound cannot reach the review threshold are never scored. Recall against
brute-force scoring is measured by bench/speed.py.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np

from compliance.matching.scoring import credit
from compliance.matching.translit import name_key, token_similarity
from compliance.matching.weights import TokenWeights

# Only keys this long get one-deletion neighbours: short keys would reach everything.
MIN_DELETION_KEY = 4
# A reached list token must be at least this similar to the query token to count.
RELATED_FLOOR = 0.70
# Tokens lighter than this (particles, legal forms: al, bin, co) have posting lists of
# thousands of names and carry almost no weight: their postings are not walked; every
# reached name is credited as if they matched, so the bound stays an upper bound.
LIGHT_WEIGHT = 0.15


def joined_pairs(tokens: Sequence[str]) -> list[str]:
    """Adjacent tokens written together, for compounds written apart on the other side."""
    return [a + b for a, b in zip(tokens, tokens[1:])]


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1:] for i in range(len(key))}


class NameIndex:
    """Maps tokens to the names that contain them, with each token's share of the name.

    Postings are stored flat (numpy arrays of name ids and shares, one slice per token) so
    that walking them for a query is a handful of array operations, not a Python loop over
    thousands of names for a common token.
    """

    def __init__(self, names: Iterable[tuple[int, Sequence[str]]], weights: TokenWeights) -> None:
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        light: list[float] = []
        totals: list[float] = []
        for name_id, tokens in names:
            if name_id != len(totals):
                raise ValueError("name ids must be 0, 1, 2... in order")
            own = {t: weights.weight(t) for t in tokens}
            total = sum(own.values()) or 1.0
            totals.append(total)
            light.append(sum(w for w in own.values() if w < LIGHT_WEIGHT) / total)
            for token, weight in own.items():
                postings[token].append((name_id, weight / total))
            for a, b in zip(tokens, tokens[1:]):
                postings[a + b].append((name_id, (own[a] + own[b]) / total))
        self.spans: dict[str, tuple[int, int]] = {}  # token -> its slice of ids/shares
        ids: list[int] = []
        shares: list[float] = []
        for token, entries in postings.items():
            self.spans[token] = (len(ids), len(ids) + len(entries))
            ids.extend(e[0] for e in entries)
            shares.extend(e[1] for e in entries)
        self.ids = np.array(ids, dtype=np.int32)
        self.shares = np.array(shares, dtype=np.float64)
        self.light_share = np.array(light)  # name id -> share of its weight in light tokens
        self.totals = np.array(totals)  # name id -> its distinct tokens' total weight
        by_key: dict[str, list[str]] = defaultdict(list)
        for token in self.spans:
            by_key[name_key(token)].append(token)
        self.by_key = dict(by_key)
        deleted: dict[str, list[str]] = defaultdict(list)
        for key in self.by_key:
            if len(key) >= MIN_DELETION_KEY:
                for d in _deletions(key):
                    deleted[d].append(key)
        self.deleted = dict(deleted)
        self.similar = lru_cache(maxsize=200_000)(self._similar)

    def _similar(self, token: str) -> dict[str, float]:
        """List tokens a query token may match, with their similarity to it."""
        key = name_key(token)
        keys = {key}
        if len(key) >= MIN_DELETION_KEY - 1:
            keys.update(self.deleted.get(key, ()))  # the list key has one letter more
        if len(key) >= MIN_DELETION_KEY - 1:
            keys.update(_deletions(key))  # the list key has one letter less
        if len(key) >= MIN_DELETION_KEY:
            for d in _deletions(key):
                keys.update(self.deleted.get(d, ()))  # one letter substituted
        found = {}
        for k in keys:
            for candidate in self.by_key.get(k, ()):
                s = 1.0 if candidate == token else token_similarity(token, candidate)
                if s >= RELATED_FLOOR:
                    found[candidate] = s
        return found

    def same_key(self, token: str) -> list[str]:
        """List tokens with the same phonetic key."""
        return self.by_key.get(name_key(token), [])

    def candidates(self, tokens: Sequence[str], weights: TokenWeights,
                   similar: Mapping[str, Mapping[str, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(name ids, query share, name share) reached: upper bounds of both coverages.

        A query token reaches the list tokens `similar[token]`; each reached name adds the
        query token's share of the query and its best similar list token's share of the
        name, times the credit that similarity earns (a list token reached from two query
        tokens counts twice: the bound stays an upper bound). Light tokens are not walked
        but credited to every reached name (LIGHT_WEIGHT).
        """
        total = sum(weights.weight(t) for t in tokens) or 1.0
        shares = {t: weights.weight(t) / total for t in tokens}
        light = {t for t in shares if weights.weight(t) < LIGHT_WEIGHT}
        if light == set(shares):
            light = set()  # a query of particles only: walk them after all
        probes = {t: share for t, share in shares.items() if t not in light}
        for a, b in zip(tokens, tokens[1:]):  # compounds: "abdul rahman" ~ "abdulrahman"
            probes[a + b] = probes.get(a + b, 0.0) + shares[a] + shares[b]
        walked = [self._walk(similar[token], share) for token, share in probes.items()]
        walked = [w for w in walked if w is not None]
        if not walked:
            return _EMPTY_IDS, _EMPTY, _EMPTY
        ids = np.concatenate([w[0] for w in walked])
        reached, inverse = np.unique(ids, return_inverse=True)
        query_share = np.bincount(inverse, weights=np.concatenate([w[1] for w in walked]))
        name_share = np.bincount(inverse, weights=np.concatenate([w[2] for w in walked]))
        if light:
            query_share += sum(shares[t] for t in light)
            name_share += self.light_share[reached]
        return reached, query_share, name_share

    def _walk(self, similar: Mapping[str, float], share: float) -> tuple[np.ndarray, ...] | None:
        """One probe: each reached name once, with its best credited share."""
        spans = [(self.spans[c], credit(s)) for c, s in similar.items() if c in self.spans]
        spans = [(span, gain) for span, gain in spans if gain > 0.0]
        if not spans:
            return None
        ids = np.concatenate([self.ids[a:b] for (a, b), _ in spans])
        gained = np.concatenate([self.shares[a:b] * gain for (a, b), gain in spans])
        if len(spans) > 1:  # a name reached through two similar tokens keeps the better one
            order = np.lexsort((-gained, ids))
            ids, gained = ids[order], gained[order]
            first = np.ones(len(ids), dtype=bool)
            first[1:] = ids[1:] != ids[:-1]
            ids, gained = ids[first], gained[first]
        return ids, np.full(len(ids), share), gained


_EMPTY_IDS = np.zeros(0, dtype=np.int32)
_EMPTY = np.zeros(0)
