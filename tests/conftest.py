"""Shared fixtures: a session-wide parse cache over the bundled lists, and the Flask app."""
from __future__ import annotations

from pathlib import Path

import pytest

from compliance import create_app
from compliance.config import Settings
from compliance.lists import Watchlists
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


@pytest.fixture
def app(tmp_path, default_watchlists):
    return create_app({"TESTING": True, "instance_dir": tmp_path, "watchlists": default_watchlists})


@pytest.fixture
def client(app):
    return app.test_client()
