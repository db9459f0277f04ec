"""API test helpers: one key per role, a client that sends them, and audit record look-ups."""
from __future__ import annotations

from typing import Any

import pytest

from compliance.audit import Actor, AuditFilter, AuditRecord
from compliance.keys import Role

PROBLEM = "application/problem+json"
SCREENING_ACTIONS = ("screen", "screen.batch_item", "compare")


class ApiClient:
    """The Flask test client, sending the key of a role (or any Authorization value) given."""

    def __init__(self, client, secrets: dict[str, str]) -> None:
        self.client = client
        self.secrets = secrets

    def headers(self, role: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.secrets[role]}"} if role else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, role: str | None = "auditor", **kwargs: Any):
        return self.client.get(path, headers=self.headers(role, kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, role: str | None = "screener", **kwargs: Any):
        return self.client.post(path, json=json, headers=self.headers(role, kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def secrets(app) -> dict[str, str]:
    """role name -> the secret of a fresh key with that role."""
    keys = app.extensions["compliance"].keys
    return {role.value: keys.create(f"test-{role.value}", role, Actor.system("test"))[1] for role in Role}


@pytest.fixture
def api(client, secrets) -> ApiClient:
    return ApiClient(client, secrets)


def account(*names: str, **fields: Any) -> dict[str, Any]:
    """A /v1/screen body."""
    return {**({"names": list(names)} if names else {}), **fields}


def records(app, **filters: Any) -> list[AuditRecord]:
    """Audit records matching the filters, oldest first."""
    return list(reversed(app.extensions["compliance"].audit.query(AuditFilter(**filters), limit=1000).records))


def screening_records(app) -> list[AuditRecord]:
    return [r for action in SCREENING_ACTIONS for r in records(app, action=action)]


def assert_problem(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.json
    assert body["status"] == status and body["title"] and body["type"]
    return body
