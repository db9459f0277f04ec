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
    """Maps tokens to the names that contain them, with each token's share of the name."""

    def __init__(self, names: Iterable[tuple[int, Sequence[str]]], weights: TokenWeights) -> None:
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        light: dict[int, float] = {}
        for name_id, tokens in names:
            own = {t: weights.weight(t) for t in tokens}
            total = sum(own.values()) or 1.0
            light[name_id] = sum(w for w in own.values() if w < LIGHT_WEIGHT) / total
            for token, weight in own.items():
                postings[token].append((name_id, weight / total))
            for a, b in zip(tokens, tokens[1:]):
                postings[a + b].append((name_id, (own[a] + own[b]) / total))
        self.postings = dict(postings)
        self.light_share = light  # name id -> share of its weight in light tokens
        by_key: dict[str, list[str]] = defaultdict(list)
        for token in self.postings:
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
        if len(key) >= MIN_DELETION_KEY:
            for d in _deletions(key):
                keys.add(d)  # the list key has one letter less
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
                   similar: Mapping[str, Mapping[str, float]]) -> dict[int, list[float]]:
        """Name id -> [query share, name share] reached: upper bounds of both coverages.

        A query token reaches the list tokens `similar[token]`; each reached name adds the
        query token's share of the query and the list token's share of the name (a list
        token reached twice may count twice: the bound stays an upper bound). Light tokens
        are not walked but credited to every reached name (LIGHT_WEIGHT).
        """
        total = sum(weights.weight(t) for t in tokens) or 1.0
        shares = {t: weights.weight(t) / total for t in tokens}
        light = {t for t in shares if weights.weight(t) < LIGHT_WEIGHT}
        if light == set(shares):
            light = set()  # a query of particles only: walk them after all
        probes = {t: share for t, share in shares.items() if t not in light}
        for a, b in zip(tokens, tokens[1:]):  # compounds: "abdul rahman" ~ "abdulrahman"
            probes[a + b] = probes.get(a + b, 0.0) + shares[a] + shares[b]
        reached: dict[int, list[float]] = {}
        for token, share in probes.items():
            best: dict[int, float] = {}
            for candidate, s in similar[token].items():
                gain = credit(s)  # the alignment can earn no more for this pair
                for name_id, name_share in self.postings[candidate]:
                    if name_share * gain > best.get(name_id, 0.0):
                        best[name_id] = name_share * gain
            for name_id, name_share in best.items():
                bound = reached.get(name_id)
                if bound is None:
                    reached[name_id] = [share, name_share]
                else:
                    bound[0] += share
                    bound[1] += name_share
        if light:
            light_query = sum(shares[t] for t in light)
            for name_id, bound in reached.items():
                bound[0] += light_query
                bound[1] += self.light_share[name_id]
        return reached
