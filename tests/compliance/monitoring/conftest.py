"""Monitoring fixtures: a Monitor over the `store` fixture (SQLite and PostgreSQL), and a small
refresh of the UN list: three entities added, one changed in a field matching uses, one changed
in its remarks only, one removed."""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from compliance.alerts import Alerts
from compliance.audit import Actor, AuditLog
from compliance.config import Settings
from compliance.matching.engine import Engine
from compliance.memory import ReviewMemory
from compliance.models import Query
from compliance.monitoring import Monitor
from compliance.service import Account, Caller, Screener
from compliance.store import Store
from watchlists.model import BirthDate, Entity

OPERATOR = Caller(Actor.system("test:monitor"))
ADDED = ("un_sc:6907998", "un_sc:6908023", "un_sc:6908845")  # GERMAIN KATANGA, THOMAS LUBANGA, BI SIDI SOULEMAN
CHANGED = "un_sc:6908013"  # LAURENT NKUNDA: a date of birth differs
REMARKS = "un_sc:6908021"  # BOSCO TAGANDA: remarks differ
REMOVED = "un_sc:6908538"  # JOSEPH KONY


@dataclass(frozen=True)
class Refresh:
    old: list[Entity]
    new: list[Entity]
    old_engine: Engine
    new_engine: Engine


def holder(account_id: str, *names: str, **fields: Any) -> Account:
    """A monitored account, its input as /v1/screen would receive it."""
    given = {"account_id": account_id, "names": list(names), **fields}
    identifiers = tuple((i["type"], i["value"]) for i in fields.pop("identifiers", []))
    query = Query(names=names, identifiers=identifiers, birth_date=fields.get("date_of_birth"))
    return Account(query, given, account_id)


@pytest.fixture(scope="session")
def un_refresh(default_watchlists) -> Refresh:
    un = [e for item in default_watchlists.lists if item.meta.list_id == "un_sc" for e in item.entities]
    by_id = {e.id: e for e in un}
    new = [e for e in un if e.id != REMOVED]
    old = [e for e in un if e.id not in ADDED]
    old = [dataclasses.replace(e, birth_dates=(BirthDate("1967", "1967"),)) if e.id == CHANGED else
           dataclasses.replace(e, remarks="an older remark") if e.id == REMARKS else e for e in old]
    assert by_id[REMOVED] in old
    return Refresh(old, new, Engine.build(old), Engine.build(new))


def screener_for(engine: Engine, store: Store, audit: AuditLog, watchlists, tmp_path) -> Screener:
    return Screener(engine, watchlists, audit, Settings(instance_dir=tmp_path), memory=ReviewMemory(store))


@pytest.fixture
def monitor(store: Store, audit_log: AuditLog) -> Iterator[Monitor]:
    yield Monitor(store, audit_log, Alerts(store, audit_log))


@pytest.fixture
def new_screener(un_refresh, store, audit_log, default_watchlists, tmp_path) -> Screener:
    return screener_for(un_refresh.new_engine, store, audit_log, default_watchlists, tmp_path)


@pytest.fixture
def old_screener(un_refresh, store, audit_log, default_watchlists, tmp_path) -> Screener:
    return screener_for(un_refresh.old_engine, store, audit_log, default_watchlists, tmp_path)


# API tests here use the keys per role of tests/compliance/api.
from tests.compliance.api.conftest import api, secrets  # noqa: E402,F401
