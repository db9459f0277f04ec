"""GET /v1/audit (filters, cursor), /v1/audit/<id>, the streamed exports and /v1/audit/verify."""
import csv
import io
import json

import pytest

from compliance import create_app

from .conftest import account, assert_problem, records


@pytest.fixture
def app(store_url, tmp_path, default_watchlists, default_engine):
    """The app on SQLite and, where one is configured, on a fresh PostgreSQL schema."""
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "watchlists": default_watchlists,
                      "engine": default_engine, "database_url": store_url})
    yield app
    app.extensions["compliance"].store.close()


@pytest.fixture
def screened(api):
    """Three screenings by the screener key, one by the analyst, and a batch of two."""
    ids = [api.post("/v1/screen", account("Ali Khamenei", account_id="acct-1")).json["screening_id"],
           api.post("/v1/screen", account("Wilhelmina Quartermaine-Oduya", account_id="acct-2")).json["screening_id"],
           api.post("/v1/screen", account("Ali Khamenei", account_id="acct-1", lists=["un_sc"])).json["screening_id"],
           api.post("/v1/screen", account("Ali Khamenei", account_id="acct-3"), role="analyst").json["screening_id"]]
    batch = api.post("/v1/screen/batch", {"accounts": [account("A B", ref="1"), account("C D", ref="2")]}).json
    return {"ids": ids, "batch_id": batch["batch_id"]}


def test_get_one_record(api, screened):
    response = api.get(f"/v1/audit/{screened['ids'][0]}")
    assert response.status_code == 200
    record = response.json
    assert record["id"] == screened["ids"][0] and record["action"] == "screen"
    assert record["input"] == account("Ali Khamenei", account_id="acct-1")
    assert record["actor"]["role"] == "screener" and record["hash"] and record["prev_hash"]
    assert record["ts"].endswith("Z") and record["retain_until"]


@pytest.mark.parametrize(("query", "expected"), [
    ("action=screen", [3, 2, 1, 0]),
    ("action=screen&account_id=acct-1", [2, 0]),
    ("action=screen&verdict=clear", [2, 1]),  # Khamenei is not on the UN list
    ("action=screen&actor=test-analyst", [3]),
    ("action=screen&entity_id=ofac_sdn:26945", [3, 0]),
])
def test_filters(api, screened, query, expected):
    response = api.get(f"/v1/audit?{query}")
    assert response.status_code == 200
    assert [r["id"] for r in response.json["records"]] == [screened["ids"][i] for i in expected]
    assert response.json["next_cursor"] is None


def test_filter_by_list_version_and_batch_and_time(app, api, screened):
    un_version = app.extensions["compliance"].screener.versions["un_sc"]
    sdn_version = app.extensions["compliance"].screener.versions["ofac_sdn"]
    only_un = api.get(f"/v1/audit?action=screen&list_version=un_sc@{un_version}").json["records"]
    assert len(only_un) == 4
    with_sdn = api.get(f"/v1/audit?action=screen&list_version=ofac_sdn@{sdn_version}").json["records"]
    assert screened["ids"][2] not in [r["id"] for r in with_sdn] and len(with_sdn) == 3
    batch = api.get(f"/v1/audit?batch_id={screened['batch_id']}").json["records"]
    assert [r["detail"]["ref"] for r in batch] == ["2", "1"]
    first = api.get(f"/v1/audit/{screened['ids'][0]}").json
    since = api.get("/v1/audit", query_string={"action": "screen", "since": first["ts"]}).json["records"]
    assert len(since) == 4
    until = api.get("/v1/audit", query_string={"action": "screen", "until": first["ts"]}).json["records"]
    assert until == []
    naive = api.get("/v1/audit", query_string={"action": "screen", "since": "2000-01-01T00:00:00"})
    assert len(naive.json["records"]) == 4


def test_cursor_pages_through_everything_once(api, screened):
    seen, cursor = [], None
    while True:
        page = api.get("/v1/audit", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).json
        assert len(page["records"]) <= 2
        seen += [r["seq"] for r in page["records"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) and seen[-1] == 1


@pytest.mark.parametrize(("query", "parameter"), [
    ("limit=0", "limit"), ("limit=1001", "limit"), ("verdict=maybe", "verdict"), ("since=yesterday", "since"),
    ("cursor=bm9wZQ", "cursor"), ("colour=red", "colour")])
def test_bad_query_parameters_are_422(api, query, parameter):
    body = assert_problem(api.get(f"/v1/audit?{query}"), 422)
    assert parameter in [e.get("parameter") for e in body["errors"]], body


def test_export_jsonl_streams_the_matching_records_and_is_audited(app, api, screened):
    response = api.get("/v1/audit/export.jsonl?action=screen")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [r["id"] for r in lines] == screened["ids"]
    [export] = records(app, action="audit.export")
    assert export.detail == {"format": "jsonl"} and export.input == {"action": "screen"}
    assert export.actor.role == "auditor"


def test_export_csv(api, screened):
    response = api.get("/v1/audit/export.csv", query_string={"account_id": "acct-1"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["id"] for r in rows] == [screened["ids"][0], screened["ids"][2]]
    assert json.loads(rows[0]["input"])["names"] == ["Ali Khamenei"]


def test_export_refuses_unknown_parameters(api):
    assert_problem(api.get("/v1/audit/export.csv?limit=5"), 422)


def test_verify_reports_a_whole_chain_and_is_audited(app, api, screened):
    response = api.get("/v1/audit/verify")
    assert response.status_code == 200
    report = response.json
    assert report["ok"] is True and report["checked"] >= 10 and report["broken_seq"] is None
    [verify] = records(app, action="audit.verify")
    assert verify.detail["ok"] is True
    assert api.get("/v1/audit/verify").json["checked"] == report["checked"] + 1


def test_verify_finds_an_edited_record(app, api, screened):
    store = app.extensions["compliance"].store
    with store.engine.begin() as conn:
        table = store.tables.audit_records
        conn.execute(table.update().where(table.c.id == screened["ids"][1]).values(verdict="match"))
    report = api.get("/v1/audit/verify").json
    assert report["ok"] is False and report["broken_id"] == screened["ids"][1]
