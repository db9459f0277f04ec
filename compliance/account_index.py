"""An index over monitored accounts' names, built the way the engine sees queries, for reverse screening.

Each account's forms (normalized names and handle) become the engine's probes: the tokens that
are not light and every joined pair of adjacent tokens, each with its share of the form's
weight, under the token weights of one engine (the lists in force). Distinct forms are kept
once ("signatures"); probes are found by phonetic key, the keys one deletion away, the second
reading's key and, for short keys, the one-letter edits of the probe itself, as
`NameIndex.similar` finds list tokens. `compliance.reverse_screening` searches it.
"""
from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from compliance.matching.engine import Engine, query_forms
from compliance.matching.features import potential_bonus, query_facts
from compliance.matching.index import EDIT_KEY, LIGHT_WEIGHT, MIN_DELETION_KEY
from compliance.matching.scoring import ABJAD_SCRIPTS
from compliance.matching.translit import deletions, edit_variants, key_readings
from compliance.models import Query

Signature = tuple[tuple[str, ...], bool]  # a form's tokens, and whether its script is vowel-less


@dataclass(frozen=True)
class Forms:
    """What the index needs of one account, derived once from its query (at enrollment).

    `forms`: the normalized names and handle; `identifiers`: normalized, long enough to count;
    `bonus`: the most the secondary evidence can add (the engine's floor is review - bonus).
    """

    forms: tuple[Signature, ...]
    identifiers: tuple[str, ...]
    bonus: float

    @classmethod
    def of(cls, query: Query) -> Forms:
        facts = query_facts(query)
        return cls(tuple((f.tokens, f.script in ABJAD_SCRIPTS) for f in query_forms(query)),
                   tuple(sorted(facts.identifiers)), potential_bonus(facts))

    def dumps(self, digest: str) -> str:
        """Compact text, quick to read back for a million accounts: `forms1|digest|bonus|ids|forms`,
        ids joined by commas, forms by tabs, each form its vowel-less flag (0/1) then its tokens
        joined by spaces (normalized tokens hold only [a-z0-9], identifiers only [0-9A-Z])."""
        forms = "\t".join(("1" if abjad else "0") + " ".join(tokens) for tokens, abjad in self.forms)
        return f"forms1|{digest}|{self.bonus!r}|{','.join(self.identifiers)}|{forms}"

    @classmethod
    def loads(cls, text: str) -> tuple[Forms, str]:
        """(forms, the digest of the matching code that made them) from `dumps` text."""
        _, digest, bonus, identifiers, forms = text.split("|", 4)
        return cls(tuple((tuple(f[1:].split(" ")), f[0] == "1") for f in forms.split("\t") if f),
                   tuple(identifiers.split(",")) if identifiers else (), float(bonus)), digest


class _Signatures:
    """Distinct forms with their probes and shares, as `NameIndex.candidates` computes them."""

    def __init__(self, engine: Engine) -> None:
        self.weight = engine.weights.weight
        self.ids: dict[Signature, int] = {}
        self.probe_ids: dict[str, int] = {}
        self.probe_abjad: list[bool] = []
        self.post_probe, self.post_sig, self.post_share = array("q"), array("q"), array("d")
        self.q_total: list[float] = []  # distinct tokens' weight (the engine's evidence total)
        self.q_light: list[float] = []  # share of light tokens, credited to every reached name
        self.has_light: list[bool] = []

    def add(self, signature: Signature) -> int:
        found = self.ids.get(signature)
        if found is not None:
            return found
        sig = self.ids[signature] = len(self.q_total)
        tokens, abjad = signature
        w = self.weight
        total = sum(w(t) for t in tokens) or 1.0  # with repeats, as NameIndex.candidates
        shares = {t: w(t) / total for t in tokens}
        light = {t for t in shares if w(t) < LIGHT_WEIGHT}
        if light == set(shares):
            light = set()  # a form of light tokens only is walked after all
        probes = {t: s for t, s in shares.items() if t not in light}
        for a, b in zip(tokens, tokens[1:]):
            probes[a + b] = probes.get(a + b, 0.0) + shares[a] + shares[b]
        for probe, share in probes.items():
            pid = self.probe_ids.setdefault(probe, len(self.probe_ids))
            if pid == len(self.probe_abjad):
                self.probe_abjad.append(False)
            self.probe_abjad[pid] |= abjad
            self.post_probe.append(pid)
            self.post_sig.append(sig)
            self.post_share.append(share)
        self.q_total.append(sum(w(t) for t in set(tokens)))
        self.q_light.append(sum(shares[t] for t in light))
        self.has_light.append(bool(light))
        return sig


class AccountIndex:
    """Monitored accounts by their forms' probes, under one engine's token weights.

    Flat arrays: probe -> (signatures, shares) (`post_*`), signature -> accounts (`sig_*`),
    account -> signatures (`account_*`), and what finds each probe as sorted hashes
    (`key_hash` -> `key_owner` -> `key_probes`).
    """

    def __init__(self, engine: Engine, accounts: Iterable[tuple[str, Forms]]) -> None:
        self.engine = engine
        self.account_ids: list[str] = []
        bonus: list[float] = []
        sigs = _Signatures(engine)
        link_sig, link_account = array("q"), array("q")  # (signature, account) pairs
        self.by_identifier: dict[str, list[int]] = {}
        for account_id, forms in accounts:
            position = len(self.account_ids)
            self.account_ids.append(account_id)
            bonus.append(forms.bonus)
            for signature in forms.forms:
                link_sig.append(sigs.add(signature))
                link_account.append(position)
            for value in forms.identifiers:
                self.by_identifier.setdefault(value, []).append(position)
        self.account_bonus = np.array(bonus)
        self.signatures = list(sigs.ids)
        self.probes = list(sigs.probe_ids)
        self.probe_abjad = sigs.probe_abjad
        self.q_total, self.q_light = np.array(sigs.q_total), np.array(sigs.q_light)
        self.has_light = np.array(sigs.has_light, dtype=bool)
        self._postings(sigs)
        self._links(np.frombuffer(link_sig, dtype=np.int64), np.frombuffer(link_account, dtype=np.int64))
        self._keys(sigs.probe_ids)

    def __len__(self) -> int:
        return len(self.account_ids)

    def _postings(self, sigs: _Signatures) -> None:
        probes = np.frombuffer(sigs.post_probe, dtype=np.int64)
        order = np.argsort(probes, kind="stable")
        self.post_sig = np.frombuffer(sigs.post_sig, dtype=np.int64)[order]
        self.post_share = np.frombuffer(sigs.post_share, dtype=np.float64)[order]
        self.post_start = np.searchsorted(probes[order], np.arange(len(self.probes) + 1))

    def _links(self, link_sig: np.ndarray, link_account: np.ndarray) -> None:
        by_sig = np.argsort(link_sig, kind="stable")
        self.sig_accounts = link_account[by_sig]
        self.sig_start = np.searchsorted(link_sig[by_sig], np.arange(len(self.signatures) + 1))
        self.account_sigs = link_sig  # accounts were added in order: already grouped by account
        self.account_start = np.searchsorted(link_account, np.arange(len(self.account_ids) + 1))
        # the most lenient floor among a signature's accounts (each account is checked on its own later)
        self.sig_bonus = np.full(len(self.signatures), -np.inf)
        np.maximum.at(self.sig_bonus, link_sig, self.account_bonus[link_account])

    def _keys(self, probes: Mapping[str, int]) -> None:
        """What finds each probe, as sorted hashes (`key_hash`) of groups of probes (`key_owner`,
        `key_probes`): its key and, for keys of MIN_DELETION_KEY - 1+ letters, the key's one-letter
        deletions; its second reading's key; for keys of EDIT_KEY letters, the probe's own
        edit_variants. `reverse_screening.lookups` gives what a list token looks for."""
        groups: dict[tuple[str, str], list[int]] = {}
        for probe, pid in probes.items():
            readings = key_readings(probe)
            groups.setdefault(("key", readings[0]), []).append(pid)
            if len(readings) > 1:
                groups.setdefault(("second", readings[1]), []).append(pid)
            if len(readings[0]) == EDIT_KEY:
                groups.setdefault(("edit", probe), []).append(pid)
        self.key_probes = list(groups.values())
        hashes, owners = array("q"), array("q")
        for kid, (kind, text) in enumerate(groups):
            if kind == "key":
                variants = [("key", text)]
                if len(text) >= MIN_DELETION_KEY - 1:
                    variants += [("deleted", d) for d in deletions(text)]
            elif kind == "second":
                variants = [("second", text)]
            else:
                variants = [("edit", v) for v in edit_variants(text)]
            hashes.extend(hash(v) for v in variants)
            owners.extend([kid] * len(variants))
        stored = np.frombuffer(hashes, dtype=np.int64)
        order = np.argsort(stored, kind="stable")
        self.key_hash = stored[order]
        self.key_owner = np.frombuffer(owners, dtype=np.int64)[order]
