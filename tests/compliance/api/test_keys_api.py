"""/v1/keys: admin keys create (secret shown once), list, read and revoke keys; every change is
audited with the request; only admin keys may; the last active admin key stays."""
from __future__ import annotations

import pytest

from .conftest import account, assert_problem, records


def test_an_admin_creates_a_key_that_works_at_once_and_is_shown_once(app, api):
    response = api.post("/v1/keys", {"name": "crm-nightly", "role": "screener"}, role="admin",
                        headers={"X-Request-Id": "req-key-1"})
    assert response.status_code == 201
    created = response.json
    assert created["role"] == "screener" and created["name"] == "crm-nightly" and created["revoked_at"] is None
    assert created["key"].startswith(created["prefix"]) and created["prefix"] == f"cs_{created['id']}_"
    screened = api.client.post("/v1/screen", json=account("Ali Khamenei"),
                               headers={"Authorization": f"Bearer {created['key']}"})
    assert screened.status_code == 200 and screened.json["verdict"] == "match"
    listed = api.get("/v1/keys", role="admin").json["keys"]
    assert created["id"] in {k["id"] for k in listed} and all("key" not in k for k in listed)
    assert api.get(f"/v1/keys/{created['id']}", role="admin").json == {k: v for k, v in created.items() if k != "key"}
    [record] = [r for r in records(app, action="key.create") if r.request_id == "req-key-1"]
    assert record.actor.role == "admin" and record.actor.name == "test-admin" and record.client == "127.0.0.1"
    assert record.detail == {"key_id": created["id"], "name": "crm-nightly", "role": "screener"}
    assert created["key"] not in str(record.to_dict())


def test_a_revoked_key_stops_working_on_the_next_request(app, api, secrets):
    screener_id = secrets["screener"].split("_")[1]
    response = api.client.delete(f"/v1/keys/{screener_id}", headers=api.headers("admin"))
    assert response.status_code == 200 and response.json["revoked_at"]
    assert_problem(api.post("/v1/screen", account("Ali Khamenei"), role="screener"), 401)
    again = api.client.delete(f"/v1/keys/{screener_id}", headers=api.headers("admin"))
    assert again.status_code == 200 and again.json["revoked_at"] == response.json["revoked_at"]
    assert len(records(app, action="key.revoke")) == 1


def test_the_last_active_admin_key_cannot_be_revoked_over_http(app, api, secrets):
    admin_id = secrets["admin"].split("_")[1]
    body = assert_problem(api.client.delete(f"/v1/keys/{admin_id}", headers=api.headers("admin")), 409)
    assert "last active admin key" in body["detail"]
    other = api.post("/v1/keys", {"name": "second admin", "role": "admin"}, role="admin").json
    assert api.client.delete(f"/v1/keys/{admin_id}", headers=api.headers("admin")).status_code == 200
    assert_problem(api.get("/v1/keys", role="admin"), 401)  # revoked itself: the next request is refused
    listed = api.client.get("/v1/keys", headers={"Authorization": f"Bearer {other['key']}"})
    assert listed.status_code == 200


@pytest.mark.parametrize("role", ["screener", "analyst", "auditor"])
def test_only_admin_keys_manage_keys(app, api, role):
    assert_problem(api.post("/v1/keys", {"name": "x", "role": "admin"}, role=role), 403)
    assert_problem(api.get("/v1/keys", role=role), 403)
    assert_problem(api.client.delete("/v1/keys/0000", headers=api.headers(role)), 403)
    assert_problem(api.get("/v1/keys", role=None), 401)
    assert len(records(app, action="auth.denied")) == 4


@pytest.mark.parametrize("body, field", [
    ({"name": "x", "role": "superuser"}, "role"), ({"name": " ", "role": "screener"}, "name"),
    ({"role": "screener"}, "name"), ({"name": "x" * 201, "role": "screener"}, "name"),
    ({"name": "x", "role": "screener", "secret": "mine"}, "secret"),
])
def test_bad_bodies_are_422_and_create_nothing(app, api, body, field):
    before = len(records(app, action="key.create"))
    problem = assert_problem(api.post("/v1/keys", body, role="admin"), 422)
    assert field in str(problem)
    assert len(records(app, action="key.create")) == before


def test_unknown_keys_are_404(api):
    assert_problem(api.get("/v1/keys/ffff", role="admin"), 404)
    assert_problem(api.client.delete("/v1/keys/ffff", headers=api.headers("admin")), 404)
