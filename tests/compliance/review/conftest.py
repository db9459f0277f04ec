"""Review fixtures: a Screener with review memory and a ReviewDesk over the `store` fixture
(SQLite and PostgreSQL), analyst and screener keys, and a builder for accounts."""
from __future__ import annotations

from typing import Any

import pytest

from compliance.audit import Actor, AuditLog
from compliance.config import Settings
from compliance.keys import KeyStore, Role
from compliance.memory import ReviewMemory
from compliance.models import Query
from compliance.review import ReviewDesk
from compliance.service import Account, Caller, Screener
from compliance.store import Store
from watchlists.model import EntityType

SCREENER = Caller(Actor("k-screen", "onboarding", "screener"), "req-s", "10.0.0.1")


def account(name: str, account_id: str | None = "acct-1", **fields: Any) -> Account:
    """An account holder as /v1/screen would parse it (fields: birth_date, countries, type...)."""
    if isinstance(fields.get("type"), str):
        fields["type"] = EntityType(fields["type"])
    return Account(Query(names=(name,), **fields), {"names": [name], "account_id": account_id}, account_id)


@pytest.fixture
def screener(store: Store, audit_log: AuditLog, default_engine, default_watchlists, tmp_path) -> Screener:
    return Screener(default_engine, default_watchlists, audit_log, Settings(instance_dir=tmp_path),
                    memory=ReviewMemory(store))


@pytest.fixture
def desk(store: Store, audit_log: AuditLog, key_store: KeyStore) -> ReviewDesk:
    return ReviewDesk(store, audit_log, key_store)


@pytest.fixture
def analyst(key_store: KeyStore) -> Caller:
    key, _ = key_store.create("alice", Role.ANALYST, Actor.system("test"))
    return Caller(key.actor(), "req-a", "10.0.0.2")


# API tests here use the keys per role of tests/compliance/api.
from tests.compliance.api.conftest import api, secrets  # noqa: E402,F401
