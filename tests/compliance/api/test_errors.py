"""Every error class is problem+json, and none writes a screening record; refusals are audited."""
import json
import logging

import pytest
from werkzeug.test import EnvironBuilder

from compliance import create_app
from compliance.api.context import MAX_REQUEST_ID

from .conftest import account, assert_problem, records, screening_records

KHAMENEI = account("Ali Khamenei")


@pytest.mark.parametrize("authorization", [None, "Bearer nope", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer " + "x" * 600])
def test_missing_or_invalid_key_is_401_and_audited(app, client, authorization):
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.post("/v1/screen", json=KHAMENEI, headers=headers)
    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Ali" not in json.dumps(body)
    assert screening_records(app) == []
    [denied] = records(app, action="auth.denied")
    assert denied.status == 401 and denied.actor.key_id is None
    assert denied.detail["path"] == "/v1/screen" and denied.detail["required"] == "screen"
    assert denied.input is None and denied.request_id == response.headers["X-Request-Id"]
    if authorization:
        assert authorization.partition(" ")[2] not in json.dumps(denied.to_dict()) or not authorization.partition(" ")[2]


def test_revoked_key_is_401_and_the_refusal_names_its_id_not_its_secret(app, api, secrets):
    keys = app.extensions["compliance"].keys
    key = next(k for k in keys.list() if k.name == "test-screener")
    keys.revoke(key.id, key.actor())
    response = api.post("/v1/screen", KHAMENEI)
    assert_problem(response, 401)
    [denied] = records(app, action="auth.denied")
    assert denied.detail["claimed_key_id"] == key.id
    assert secrets["screener"] not in json.dumps(denied.to_dict())


@pytest.mark.parametrize(("role", "method", "path", "allowed"), [
    ("auditor", "post", "/v1/screen", False),
    ("auditor", "post", "/v1/compare", False),
    ("auditor", "post", "/v1/screen/batch", False),
    ("screener", "get", "/v1/audit", False),
    ("analyst", "get", "/v1/audit/verify", False),
    ("screener", "get", "/v1/audit/export.csv", False),
    ("auditor", "get", "/v1/lists", True),
    ("analyst", "post", "/v1/screen", True),
    ("admin", "post", "/v1/screen", True),
    ("admin", "get", "/v1/audit", True),
])
def test_roles(app, api, role, method, path, allowed):
    body = {"accounts": [KHAMENEI]} if path.endswith("batch") else KHAMENEI
    if path == "/v1/compare":
        body = {"query": {"name": "A"}, "candidate": {"name": "B"}}
    response = api.post(path, body, role=role) if method == "post" else api.get(path, role=role)
    if allowed:
        assert response.status_code == 200
        return
    assert_problem(response, 403)
    assert screening_records(app) == []
    [denied] = records(app, action="auth.denied")
    assert denied.status == 403 and denied.actor.role == role and denied.actor.key_id
    assert denied.detail["path"] == path


def test_unknown_route_and_wrong_method(app, api):
    assert_problem(api.get("/v1/nope"), 404)
    response = api.client.get("/v1/screen", headers=api.headers("screener"))
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]
    assert records(app, action="auth.denied") == []


def test_unknown_entity_and_audit_record_are_404(api):
    assert_problem(api.get("/v1/entities/ofac_sdn:0", role="screener"), 404)
    assert_problem(api.get("/v1/audit/no-such-record"), 404)


def test_body_over_the_limit_is_413(tmp_path, default_watchlists, default_engine):
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "watchlists": default_watchlists,
                      "engine": default_engine, "max_request_bytes": 2000})
    from compliance.audit import Actor
    from compliance.keys import Role

    _, secret = app.extensions["compliance"].keys.create("s", Role.SCREENER, Actor.system("test"))
    client = app.test_client()
    response = client.post("/v1/screen", json=account("A" * 500, "B" * 500, "C" * 500, "D" * 500),
                           headers={"Authorization": f"Bearer {secret}"})
    assert_problem(response, 413)
    assert screening_records(app) == []
    # without a Content-Length (chunked), the limit holds while reading
    builder = EnvironBuilder("/v1/screen", method="POST", json=account("E" * 500, "F" * 500, "G" * 500, "H" * 500),
                             headers={"Authorization": f"Bearer {secret}"})
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    assert_problem(client.open(environ), 413)
    assert screening_records(app) == []


@pytest.mark.parametrize(("data", "content_type"), [
    ("names=Ali", "application/x-www-form-urlencoded"), ('{"names": ["Ali"]}', "text/plain"), ("", None)])
def test_non_json_body_is_415(app, api, data, content_type):
    response = api.client.post("/v1/screen", data=data, content_type=content_type, headers=api.headers("screener"))
    assert_problem(response, 415)
    assert screening_records(app) == []


@pytest.mark.parametrize("data", ['{"names": ["Ali"', "", b'\xff\xfe{}', "[1, 2", "[" * 100_000 + "]" * 100_000],
                         ids=["truncated", "empty", "not utf-8", "unclosed", "nested too deep"])
def test_malformed_json_is_400(app, api, data):
    response = api.client.post("/v1/screen", data=data, content_type="application/json",
                               headers=api.headers("screener"))
    body = assert_problem(response, 400)
    assert body["detail"] == "The request body is not valid JSON."
    assert screening_records(app) == []


INVALID = [
    ("unknown field", {"names": ["Ali"], "nmae": "x"}, "#/nmae"),
    ("name too long", {"names": ["A" * 513]}, "#/names/0"),
    ("too many names", {"names": [f"N{i}" for i in range(21)]}, "#/names"),
    ("blank name", {"names": ["   "]}, "#/names/0"),
    ("bad dob", {"names": ["Ali"], "date_of_birth": "19/04/1939"}, "#/date_of_birth"),
    ("impossible dob", {"names": ["Ali"], "date_of_birth": "1939-02-30"}, "#/date_of_birth"),
    ("bad type", {"names": ["Ali"], "type": "vessel"}, "#/type"),
    ("nothing to screen", {"account_id": "a"}, "#"),
    ("identifier without value", {"identifiers": [{"type": "passport"}]}, "#/identifiers/0/value"),
    ("names not a list", {"names": "Ali"}, "#/names"),
    ("not an object", ["Ali"], "#"),
    ("unknown list", {"names": ["Ali"], "lists": ["ofac_sdn", "mars"]}, "#/lists/1"),
    ("empty list filter", {"names": ["Ali"], "lists": []}, "#/lists"),
    ("ref on single screen", {"names": ["Ali"], "ref": "r"}, "#/ref"),
    ("control character", {"names": ["Ali"], "account_id": "a\x00b"}, "#/account_id"),
    ("field named with a slash", {"names": ["Ali"], "a/b~c": 1}, "#/a~1b~0c"),
]


@pytest.mark.parametrize(("case", "body", "pointer"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_is_422_with_per_field_errors(app, api, case, body, pointer):
    response = api.post("/v1/screen", body)
    problem = assert_problem(response, 422)
    assert pointer in [e["pointer"] for e in problem["errors"]], problem
    assert all(e["detail"] for e in problem["errors"])
    assert screening_records(app) == []


def test_batch_limits_are_422_and_nothing_is_screened(app, api):
    settings = app.extensions["compliance"].settings
    too_many = {"accounts": [account(f"Name {i}") for i in range(settings.max_batch_items + 1)]}
    problem = assert_problem(api.post("/v1/screen/batch", too_many), 422)
    assert problem["errors"][0]["pointer"] == "#/accounts"
    one_bad = {"accounts": [KHAMENEI, account("B" * 600), KHAMENEI]}
    problem = assert_problem(api.post("/v1/screen/batch", one_bad), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/accounts/1/names/0"]
    bad_list = {"accounts": [KHAMENEI, account("X", lists=["nope"])]}
    problem = assert_problem(api.post("/v1/screen/batch", bad_list), 422)
    assert [e["pointer"] for e in problem["errors"]] == ["#/accounts/1/lists/0"]
    assert_problem(api.post("/v1/screen/batch", {"accounts": []}), 422)
    assert screening_records(app) == []


def test_request_id_is_echoed_sanitized_or_generated(app, api):
    given = api.post("/v1/screen", KHAMENEI, headers={"X-Request-Id": "abc-123"})
    assert given.headers["X-Request-Id"] == "abc-123"
    dirty = api.post("/v1/screen", KHAMENEI, headers={"X-Request-Id": "a b<script>\t\x7f" + "z" * 300})
    assert dirty.headers["X-Request-Id"] == ("abscript" + "z" * 300)[:MAX_REQUEST_ID]
    generated = api.post("/v1/screen", KHAMENEI)
    assert len(generated.headers["X-Request-Id"]) == 32
    refused = api.client.get("/v1/lists", headers={"X-Request-Id": "refused-1"})
    assert refused.headers["X-Request-Id"] == "refused-1"
    assert [r.request_id for r in records(app, action="screen")] == [
        "abc-123", dirty.headers["X-Request-Id"], generated.headers["X-Request-Id"]]
    assert records(app, action="auth.denied")[0].request_id == "refused-1"


def test_unexpected_error_is_a_generic_500_and_logs_no_personal_data(tmp_path, default_watchlists,
                                                                     default_engine, caplog):
    app = create_app({"TESTING": False, "instance_dir": tmp_path, "watchlists": default_watchlists,
                      "engine": default_engine})
    from compliance.audit import Actor
    from compliance.keys import Role

    _, secret = app.extensions["compliance"].keys.create("s", Role.SCREENER, Actor.system("test"))
    screener = app.extensions["compliance"].screener

    def explode(query, *_args):
        raise RuntimeError(f"engine failed on {query.names[0]} born {query.birth_date}")

    screener.engine = type("Broken", (), {"screen": explode, "policy": screener.engine.policy})()
    with caplog.at_level(logging.DEBUG):
        response = app.test_client().post("/v1/screen", json=account("Ali Khamenei", date_of_birth="1939-04-19"),
                                          headers={"Authorization": f"Bearer {secret}"})
    body = assert_problem(response, 500)
    assert "Khamenei" not in json.dumps(body) and "RuntimeError" not in json.dumps(body)
    assert "RuntimeError" in caplog.text and "/v1/screen" in caplog.text
    assert "Khamenei" not in caplog.text and "1939" not in caplog.text
    assert screening_records(app) == []


def test_screening_is_503_when_the_lists_could_not_load(tmp_path):
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "lists": ("un_sc",),
                      "list_versions": {"un_sc": "1999"}})
    from compliance.audit import Actor
    from compliance.keys import Role

    keys = app.extensions["compliance"].keys
    screener = keys.create("s", Role.SCREENER, Actor.system("test"))[1]
    auditor = keys.create("a", Role.AUDITOR, Actor.system("test"))[1]
    client = app.test_client()
    response = client.post("/v1/screen", json=KHAMENEI, headers={"Authorization": f"Bearer {screener}"})
    assert "un_sc@1999" in assert_problem(response, 503)["detail"]
    assert_problem(client.get("/v1/lists", headers={"Authorization": f"Bearer {screener}"}), 503)
    assert client.get("/v1/audit/verify", headers={"Authorization": f"Bearer {auditor}"}).json["ok"] is True
    assert screening_records(app) == []


def test_a_view_may_declare_other_media_types_and_a_larger_body(app):
    from flask import request

    from compliance.api.context import consumes

    @app.post("/upload")
    @consumes("text/csv", max_bytes=10)
    def upload():
        return {"bytes": len(request.get_data())}

    client = app.test_client()
    assert client.post("/upload", data="a,b\n1,2", content_type="text/csv").json == {"bytes": 7}
    assert_problem(client.post("/upload", data="a,b\n1,2,3,4,5", content_type="text/csv"), 413)
    assert_problem(client.post("/upload", json={"a": 1}), 415)
