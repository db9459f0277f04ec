"""Store fixtures: `store_url` runs a test on SQLite and on PostgreSQL, each in a fresh database.

PostgreSQL is used when COMPLIANCE_TEST_DATABASE_URL is set (`.ci/run` sets it); every test
gets its own schema, dropped afterwards, so tests never collide or leave tables behind.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import NullPool, create_engine, make_url, text

from compliance.audit import AuditLog
from compliance.keys import KeyStore
from compliance.store import Store

TEST_DATABASE_ENV = "COMPLIANCE_TEST_DATABASE_URL"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A URL of an empty database: a SQLite file, or a fresh schema on the test PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite3'}"
        return
    with postgresql_schema("test") as url:
        yield url


@contextmanager
def postgresql_schema(prefix: str) -> Iterator[str]:
    """A URL into a fresh schema on the test PostgreSQL, dropped afterwards (skips without one)."""
    base = os.environ.get(TEST_DATABASE_ENV)
    if not base:
        pytest.skip(f"no PostgreSQL configured: set {TEST_DATABASE_ENV}, "
                    "e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.connect(store_url)
    yield opened
    opened.close()


@pytest.fixture
def audit_log(store: Store) -> AuditLog:
    return AuditLog(store, retention_years=10)


@pytest.fixture
def key_store(store: Store, audit_log: AuditLog) -> KeyStore:
    return KeyStore(store, audit_log)
