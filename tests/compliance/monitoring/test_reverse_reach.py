"""Reverse screening reaches from a list token exactly the account probes whose engine
neighbourhood (NameIndex.similar) holds that token with some credit: the relation, replayed
from the other side, is the same relation."""
from __future__ import annotations

from compliance.account_index import AccountIndex, Forms
from compliance.matching.scoring import credit
from compliance.models import Query
from compliance.reverse_screening import ReverseSearch

# Account names exercising each way a probe reaches a list token: equal and one-edit keys,
# second readings on the account's side (Qaani read as Ghaani, Hamshou as Hamchou) and the
# list's (Qasem read as Ghasem), 3-letter keys one letter apart (Zahir, Amir), short keys,
# compounds, Arabic script (vowel-less: same-key tokens at a fixed similarity) and Cyrillic.
NAMES = ["Esmail Qaani", "Amrou Hamshou", "Ghasem Soleimani", "Shams Zahir", "Amir Abdallah",
         "Ali Khamenei", "Tornislav Kovac", "Abdulrahman Qasim", "Mohd Hassan", "Kim Jong",
         "اسماعیل قاآنی", "علی خامنه‌ای", "Али Хаменеи", "Jelica Dawood", "Ihor Othman"]


def test_reverse_reach_is_the_engines_reach(default_engine):
    index = AccountIndex(default_engine, [(str(i), Forms.of(Query(names=(n,)))) for i, n in enumerate(NAMES)])
    search = ReverseSearch(index)
    forward: dict[str, dict[int, float]] = {}  # list token -> {probe: credit}
    for pid, probe in enumerate(index.probes):
        for token, similarity in default_engine.index.similar(probe, index.probe_abjad[pid]).items():
            if credit(similarity) > 0.0:
                forward.setdefault(token, {})[pid] = credit(similarity)
    for listed in ("ghani", "hamcho", "qasem", "zahid", "amin"):  # what the new relations are for
        assert listed in forward
    # every list token reached, and a sample of the others (which must reach nothing)
    tokens = [*forward, *list(default_engine.index.spans)[::97]]
    for token in tokens:
        assert dict(search._reach(token)) == forward.get(token, {}), token
