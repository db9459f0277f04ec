"""Shared fixtures: a session-wide parse cache over the bundled lists, one engine built over
them for the whole session, and the Flask app."""
from __future__ import annotations

from pathlib import Path

import pytest

from compliance import create_app
from compliance.config import Settings
from compliance.lists import Watchlists
from compliance.matching.engine import Engine
from watchlists.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def session_instance(tmp_path_factory) -> Path:
    """An instance dir whose parse cache is shared by the whole session (lists parse once)."""
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def bundled(session_instance) -> Catalog:
    """The bundled lists, with refreshes going to an empty session store."""
    return Catalog(store_dir=session_instance / "watchlists", cache_dir=session_instance / "cache")


@pytest.fixture(scope="session")
def default_watchlists(session_instance) -> Watchlists:
    return Watchlists.load(Settings.from_env({}, instance_dir=session_instance))


@pytest.fixture(scope="session")
def default_engine(default_watchlists) -> Engine:
    """The engine over the default lists: built once (about 3 s), shared by every app."""
    return Engine.build(e for item in default_watchlists.lists for e in item.entities)


@pytest.fixture
def app(tmp_path, default_watchlists, default_engine):
    # database_url None: SQLite under tmp_path, whatever COMPLIANCE_DATABASE_URL says
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "watchlists": default_watchlists,
                      "engine": default_engine, "database_url": None})
    yield app
    app.extensions["compliance"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


# The store fixtures (`store_url` on SQLite and PostgreSQL, `store`, `audit_log`, `key_store`).
from tests.compliance.store_fixtures import audit_log, key_store, store, store_url  # noqa: E402,F401
