"""Reverse screening: the monitored accounts that could match some of the entities a refresh brought.

For each name of those entities, necessary conditions of a match are checked, in bulk:

1. The engine's coverage bound (`Engine._candidates`): the engine scores a list name for a query
   only if the query's probes reach the name's tokens and the bound built from the reached
   shares is at least review - bonus. The search replays that from the list name's side: its
   tokens reach the account probes whose keys relate to theirs exactly as `NameIndex.similar`
   relates them, with the same credited similarity, and each account form accumulates the same
   query and name shares (duplicates and float order resolved upward, SLACK added).
2. The score bound (`compliance.score_bound`): at least the name score the engine can give the
   pair; plus the account's bonus (at least what its features can add) it must reach review.
   The engine scores an entity's bound-passing names against every form of the account, so
   every form of the account is bounded against the name.
3. `could_match`: the best score bound over the entity's names plus the features the engine
   adds for this account and this entity (exactly: the same feature functions) reaches review.

An account failing these for every name of every searched entity gets no match on them from
`Engine.screen(query, within=...)`; entities listing one of its identifiers are the engine's
candidates whatever the names say, and such accounts are always kept. So the accounts returned
include every account the engine would match; the engine then decides which do.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from compliance.account_index import AccountIndex
# _name_bounds is the engine's own bound formula: replayed here, it must be the same function
from compliance.matching.engine import TIE_BREAK, _name_bounds
from compliance.matching.features import MIN_IDENTIFIER_LENGTH, Facts, evaluate, normalize_identifier
from compliance.matching.index import EDIT_KEY, LIGHT_WEIGHT, MIN_DELETION_KEY
from compliance.matching.scoring import ABJAD_KEY_SIMILARITY, MIN_ABJAD_KEY, credit
from compliance.matching.translit import deletions, edit_variants, key_readings, name_key, token_similarity
from compliance.score_bound import TokenSimilarities, name_score_bound
from watchlists.model import EntityType

# Sums here run in another order than the engine's: bounds are widened by this much.
SLACK = 1e-9


class ReverseSearch:
    """Searches one AccountIndex; `stats` counts names searched and accounts kept at each step."""

    def __init__(self, index: AccountIndex) -> None:
        self.index = index
        self.engine = index.engine
        self.review = self.engine.policy.review
        self.similarities = TokenSimilarities()
        self.stats: Counter[str] = Counter()
        self._reached: dict[str, list[tuple[int, float]]] = {}
        self._bounds: dict[tuple[int, int], float] = {}
        self._position = {e.id: i for i, e in enumerate(self.engine.entities)}

    def candidates(self, entity_ids: Iterable[str]) -> dict[str, dict[str, float]]:
        """account id -> {entity id: at least the name score the engine can give the pair} for every
        account that `engine.screen(query, within=entity_ids)` could match (inf: a shared identifier)."""
        engine, index, position = self.engine, self.index, self._position
        found: dict[tuple[int, int], float] = {}
        for entity_id in entity_ids:
            at = position.get(entity_id)
            if at is None:
                continue
            entity = engine.entities[at]
            for name_id in engine.entity_names[at]:
                for account, bound in self._name(name_id, entity.type is EntityType.PERSON):
                    found[(account, at)] = max(found.get((account, at), 0.0), bound)
            for identifier in entity.identifiers:
                value = normalize_identifier(identifier.value)
                if len(value) >= MIN_IDENTIFIER_LENGTH:
                    for account in index.by_identifier.get(value, []):
                        found[(account, at)] = math.inf
        out: dict[str, dict[str, float]] = {}
        for (account, at), bound in found.items():
            out.setdefault(index.account_ids[account], {})[engine.entities[at].id] = bound
        return out

    def could_match(self, facts: Facts, bounds: Mapping[str, float]) -> bool:
        """Whether an account with these query facts can reach review on one of the entities, given
        its name score bounds: the engine adds exactly these features' contributions."""
        for entity_id, bound in bounds.items():
            if math.isinf(bound):
                return True
            entity = self.engine.facts[self._position[entity_id]]
            if bound + sum(f.contribution for f in evaluate(facts, entity)) + SLACK >= self.review:
                return True
        return False

    def _name(self, name_id: int, person: bool) -> Iterable[tuple[int, float]]:
        """(account, name score bound) for the accounts that pass both bounds against one list name."""
        index = self.index
        accounts = self._coverage(self.engine.names[name_id].form.tokens)
        self.stats["names"] += 1
        self.stats["coverage"] += len(accounts)
        if not len(accounts):
            return []
        starts, stops = index.account_start[accounts], index.account_start[accounts + 1]
        sigs = index.account_sigs[ranges(starts, stops)]
        bounds = np.array([self._bound(int(sig), name_id, person) for sig in sigs])
        best = np.maximum.reduceat(bounds, np.r_[0, np.cumsum(stops - starts)[:-1]])
        keep = best + index.account_bonus[accounts] + SLACK >= self.review
        self.stats["score"] += int(keep.sum())
        return zip(accounts[keep].tolist(), best[keep].tolist())

    def _bound(self, sig: int, name_id: int, person: bool) -> float:
        found = self._bounds.get((sig, name_id))
        if found is None:
            tokens, abjad = self.index.signatures[sig]
            found = self._bounds[(sig, name_id)] = name_score_bound(
                tokens, self.engine.names[name_id].form.tokens, self.engine.weights.weight, abjad, person,
                self.similarities)
        return found

    def _coverage(self, tokens: tuple[str, ...]) -> np.ndarray:
        """Accounts with a form whose coverage bound against this list name reaches their floor."""
        index = self.index
        w = self.engine.weights.weight
        own = {t: w(t) for t in tokens}
        total = sum(own.values()) or 1.0  # as NameIndex: distinct tokens
        light_share = sum(x for x in own.values() if x < LIGHT_WEIGHT) / total
        entries: dict[str, list[float]] = {}  # posting token -> [its shares summed, how many postings]
        for token, share in [*((t, x / total) for t, x in own.items()),
                             *((a + b, (own[a] + own[b]) / total) for a, b in zip(tokens, tokens[1:]))]:
            entry = entries.setdefault(token, [0.0, 0])
            entry[0] += share
            entry[1] += 1
        best: dict[int, float] = {}
        repeats: dict[int, int] = {}
        for token, (share, count) in entries.items():
            for probe, gain in self._reach(token):
                best[probe] = max(best.get(probe, 0.0), share * gain)
                repeats[probe] = max(repeats.get(probe, 0), int(count))
        if not best:
            return np.zeros(0, dtype=np.int64)
        probes = np.fromiter(best, dtype=np.int64, count=len(best))
        starts, stops = index.post_start[probes], index.post_start[probes + 1]
        spans, lengths = ranges(starts, stops), stops - starts
        q_part = index.post_share[spans] * np.repeat([repeats[p] for p in best], lengths)
        c_part = np.repeat(np.fromiter(best.values(), dtype=np.float64, count=len(best)), lengths)
        sigs, inverse = np.unique(index.post_sig[spans], return_inverse=True)
        bq, bc = np.bincount(inverse, q_part), np.bincount(inverse, c_part)
        light = index.has_light[sigs]
        bq += np.where(light, index.q_light[sigs], 0.0)
        bc += np.where(light, light_share, 0.0)
        upper = _name_bounds(np.minimum(bq, 1.0), np.minimum(bc, 1.0), index.q_total[sigs], total)
        upper += TIE_BREAK * (bq + bc) + SLACK
        keep = upper + index.sig_bonus[sigs] >= self.review
        sigs, upper = sigs[keep], upper[keep]
        starts, stops = index.sig_start[sigs], index.sig_start[sigs + 1]
        accounts = index.sig_accounts[ranges(starts, stops)]
        passing = np.repeat(upper, stops - starts) + index.account_bonus[accounts] >= self.review
        return np.unique(accounts[passing])

    def _reach(self, token: str) -> list[tuple[int, float]]:
        """(probe, credit) for every account probe whose similarity table would hold this list token.

        NameIndex.similar(probe) holds the list tokens whose key equals the probe's key or its
        second reading's, is one letter longer or shorter than the probe's key (probe keys of 3+
        letters) or shares a one-letter deletion with it (both 4+ letters); whose second reading's
        key equals either of the probe's; and, both keys of EDIT_KEY letters, the list tokens one
        letter edit from the probe: exactly the probes stored (AccountIndex._keys) under one of
        this token's `lookups`. A hash collision can only add a probe, which the similarity
        then judges.
        """
        found = self._reached.get(token)
        if found is not None:
            return found
        index = self.index
        key = name_key(token)
        wanted = np.array(lookups(token), dtype=np.int64)
        lo = np.searchsorted(index.key_hash, wanted, "left")
        hi = np.searchsorted(index.key_hash, wanted, "right")
        probes = {p for kid in {int(k) for a, b in zip(lo, hi) for k in index.key_owner[a:b]}
                  for p in index.key_probes[kid]}
        found = []
        for probe in sorted(probes):
            text = index.probes[probe]
            similarity = 1.0 if text == token else token_similarity(text, token)
            # the engine's rule for vowel-less scripts (NameIndex.same_key)
            if index.probe_abjad[probe] and len(key) >= MIN_ABJAD_KEY and name_key(text) == key:
                similarity = max(similarity, ABJAD_KEY_SIMILARITY)
            gain = credit(similarity)
            if gain > 0.0:
                found.append((probe, gain))
        self._reached[token] = found
        return found


def lookups(token: str) -> list[int]:
    """The hashes a list token looks for among AccountIndex._keys' (see ReverseSearch._reach)."""
    readings = key_readings(token)
    key = readings[0]
    wanted = [("key", key), ("second", key), ("deleted", key)]
    if len(key) >= MIN_DELETION_KEY:
        for d in deletions(key):
            wanted += [("key", d), ("deleted", d)]
    if len(readings) > 1:
        wanted += [("key", readings[1]), ("second", readings[1])]
    if len(key) == EDIT_KEY:
        wanted += [("edit", v) for v in edit_variants(token)]
    return sorted({hash(w) for w in wanted})


def ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The concatenation of arange(start, stop) for each pair, vectorized."""
    lengths = stops - starts
    total = int(lengths.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
