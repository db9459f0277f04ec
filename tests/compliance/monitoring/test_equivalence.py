"""Reverse screening alerts on exactly the accounts, entities and scores a full re-screen newly alerts on.

20,000 accounts (listed names as customers enter them, listed identifiers, people on no list:
tests/compliance/monitoring/population.py) and a refresh of all default lists that adds 600
entities and changes 300 in a field matching uses.

Why `engine.screen(query, within=targets)` for every account is a full re-screen's new alerts:
a full re-screen after the refresh (`engine.screen(query)`) newly alerts on an account's match
with a target (an added entity, or a changed entity's new record, which no screening before the
refresh can have matched), and repeats the matches with the other entities, whose records are
unchanged (their scores move only as far as the lists' token weights move with the refresh: not
news about a listed record, so not a monitoring alert; bench/monitoring.py measures it). For a
target, the within-screening computes the very score of the full screening (same engine, same
token weights, same evaluation of the entity; `within` only removes other entities from the
candidate ranking), and keeps every target the full screening keeps: the full one can lose a
target only to its candidate cap or its `limit` cut, which neither side uses here (limit = the
number of targets). The last check replays unrestricted full screenings on a sample.
"""
from __future__ import annotations

import dataclasses
import random
import time

import pytest

from compliance.alerts import Alerts
from compliance.audit import AuditLog
from compliance.config import Settings
from compliance.memory import ReviewMemory
from compliance.monitoring import Monitor
from compliance.service import Screener
from compliance.store import Store
from tests.compliance.monitoring.conftest import OPERATOR
from tests.compliance.monitoring.population import population
from watchlists.model import BirthDate

SIZE = 20_000
SEED = 20261121
ADDED, CHANGED = 600, 300


@pytest.mark.slow
def test_reverse_screening_equals_a_full_rescreen(default_engine, default_watchlists, tmp_path):
    entities = default_engine.entities
    rng = random.Random(SEED)
    shuffled = rng.sample(entities, k=len(entities))
    added, changed, others = shuffled[:ADDED], shuffled[ADDED:ADDED + CHANGED], shuffled[ADDED + CHANGED:]
    gone = {e.id for e in added}
    before = {e.id: (dataclasses.replace(e, names=e.names[:-1]) if len(e.names) > 1 and i % 2 else
                     dataclasses.replace(e, birth_dates=(BirthDate("1900", "1900"),)))
              for i, e in enumerate(changed)}
    old = [before.get(e.id, e) for e in entities if e.id not in gone]
    accounts = population([*added, *changed], others, SIZE, SEED)

    store = Store.connect(f"sqlite:///{tmp_path / 'monitoring.sqlite3'}")
    audit = AuditLog(store)
    monitor = Monitor(store, audit, Alerts(store, audit))
    screener = Screener(default_engine, default_watchlists, audit, Settings(instance_dir=tmp_path),
                        memory=ReviewMemory(store))
    monitor.enroll(accounts, OPERATOR)
    started = time.perf_counter()
    report = monitor.on_refresh(old, entities, screener, OPERATOR, "test")
    seconds = time.perf_counter() - started
    alerted = {(a["account_id"], a["entity_id"]): (a["score"], a["kind"]) for a in report["alerts"]}

    targets = {e.id for e in [*added, *changed]}
    expected = {}
    for account in accounts:  # the brute force: every account screened against the targets
        for match in default_engine.screen(account.query, len(targets), within=targets):
            kind = "listed" if match.entity.id in gone else "changed"
            expected[(account.account_id, match.entity.id)] = (match.score, kind)
    counts = report["counts"]
    print(f"\n{SIZE:,} accounts: {len(expected):,} alerts on {len({a for a, _ in expected}):,} accounts; "
          f"reverse index reached {counts['reached_coverage']:,} (coverage bound), {counts['candidates']:,} "
          f"(score bound), screened {counts['screened']:,}; {seconds:.1f} s")
    assert alerted == expected
    alerting = len({a for a, _ in expected})
    assert alerting > 1_000 and counts["screened"] - alerting < SIZE / 20  # few accounts screened in vain

    for account in rng.sample(accounts, 300):  # unrestricted full screenings agree on the targets
        for match in default_engine.screen(account.query, 10):
            if match.entity.id in targets:
                assert alerted[(account.account_id, match.entity.id)][0] == match.score
    store.close()
