"""End-to-end fixtures: the real gunicorn on a loopback port, on SQLite and on PostgreSQL.

Each backend's server starts once per session with a fresh store and two keys made with the CLI
before it starts (a screener and an auditor); the servers share one instance dir, so the lists
are parsed once and the second server reads the parse cache. Tests that count audit records
rely on the store holding only what they sent: the other e2e tests make no audited requests.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.compliance.store_fixtures import postgresql_schema
from tests.e2e.server import Gunicorn

WORKERS = 2


@dataclass(frozen=True)
class Deployed:
    """A running server and the secrets of its keys, by role."""

    gunicorn: Gunicorn
    keys: dict[str, str]

    @property
    def url(self) -> str:
        return self.gunicorn.url


@pytest.fixture(scope="session")
def e2e_instance(tmp_path_factory) -> Path:
    """The instance dir the servers share (its parse cache); each server's store is its own."""
    return tmp_path_factory.mktemp("e2e-instance")


def _deploy(instance: Path, database_url: str, log_path: Path) -> Iterator[Deployed]:
    server = Gunicorn(instance, database_url, log_path, workers=WORKERS)
    keys = {role: server.create_key(role, f"e2e-{role}") for role in ("screener", "auditor")}
    with server:
        yield Deployed(server, keys)


@pytest.fixture(scope="session")
def sqlite_server(e2e_instance, tmp_path_factory) -> Iterator[Deployed]:
    """gunicorn with its store in a fresh SQLite file."""
    home = tmp_path_factory.mktemp("e2e-sqlite")
    yield from _deploy(e2e_instance, f"sqlite:///{home / 'compliance.sqlite3'}", home / "gunicorn.log")


@pytest.fixture(scope="session")
def postgresql_server(e2e_instance, tmp_path_factory) -> Iterator[Deployed]:
    """gunicorn with its store in a fresh schema on the test PostgreSQL, dropped afterwards."""
    home = tmp_path_factory.mktemp("e2e-postgresql")
    with postgresql_schema("e2e") as url:
        yield from _deploy(e2e_instance, url, home / "gunicorn.log")


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Deployed:
    """The server on each backend in turn."""
    return request.getfixturevalue(f"{request.param}_server")
