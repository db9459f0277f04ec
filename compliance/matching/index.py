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
from collections.abc import Iterable, Sequence
from functools import lru_cache

from compliance.matching.translit import name_key, token_similarity
from compliance.matching.weights import TokenWeights

# Only keys this long get one-deletion neighbours: short keys would reach everything.
MIN_DELETION_KEY = 4
# A reached list token must be at least this similar to the query token to count.
RELATED_FLOOR = 0.70


def joined_pairs(tokens: Sequence[str]) -> list[str]:
    """Adjacent tokens written together, for compounds written apart on the other side."""
    return [a + b for a, b in zip(tokens, tokens[1:])]


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1:] for i in range(len(key))}


class NameIndex:
    """Maps tokens to the ids of the names that contain them."""

    def __init__(self, names: Iterable[tuple[int, Sequence[str]]]) -> None:
        postings: dict[str, list[int]] = defaultdict(list)
        for name_id, tokens in names:
            for token in set(tokens) | set(joined_pairs(tokens)):
                postings[token].append(name_id)
        self.postings = dict(postings)
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
        self.related = lru_cache(maxsize=200_000)(self._related)

    def _related(self, token: str) -> tuple[tuple[str, float], ...]:
        """List tokens a query token may match, with their similarity to it."""
        key = name_key(token)
        keys = {key}
        if len(key) >= MIN_DELETION_KEY - 1:
            keys.update(self.deleted.get(key, ()))  # the list key has one letter more
        if len(key) >= MIN_DELETION_KEY:
            for d in _deletions(key):
                keys.add(d)  # the list key has one letter less
                keys.update(self.deleted.get(d, ()))  # one letter substituted
        found = []
        for k in keys:
            for candidate in self.by_key.get(k, ()):
                s = 1.0 if candidate == token else token_similarity(token, candidate)
                if s >= RELATED_FLOOR:
                    found.append((candidate, s))
        return tuple(found)

    def candidates(self, tokens: Sequence[str], weights: TokenWeights) -> dict[int, float]:
        """Name id -> share of the query's weight that reached it (an upper bound of coverage)."""
        total = sum(weights.weight(t) for t in tokens) or 1.0
        shares = {t: weights.weight(t) / total for t in tokens}
        probes = dict(shares)
        for a, b in zip(tokens, tokens[1:]):  # compounds: "abdul rahman" ~ "abdulrahman"
            probes[a + b] = probes.get(a + b, 0.0) + shares[a] + shares[b]
        reached: dict[int, float] = {}
        for token, share in probes.items():
            hit: set[int] = set()
            for candidate, _ in self.related(token):
                hit.update(self.postings[candidate])
            for name_id in hit:
                reached[name_id] = reached.get(name_id, 0.0) + share
        return reached
