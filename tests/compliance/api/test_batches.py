"""/v1/batches: upload (body or multipart) -> 202 + Location, status, paged and CSV results, cancel;
problem+json for every refusal; and the service's own background workers."""
from __future__ import annotations

import csv
import io
import time

import pytest

from compliance import create_app
from compliance.audit import Actor
from compliance.keys import Role

from .conftest import assert_problem, records

ACCOUNTS = b"account_id,name,country\r\na1,Ali Khamenei,IR\r\na2,Jane Doe,\r\na3,,\r\n"


def upload(api, data: bytes = ACCOUNTS, content_type: str = "text/csv", query: str = "", role: str = "screener"):
    return api.client.post(f"/v1/batches{query}", data=data, headers=api.headers(role, {"Content-Type": content_type}))


def run(app, job_id: str) -> None:
    app.extensions["compliance"].batches.run_job(job_id, 1)


def test_upload_follow_page_download(app, api):
    response = upload(api)
    assert response.status_code == 202
    job = response.json
    assert response.headers["Location"] == f"/v1/batches/{job['id']}"
    assert job["state"] == "queued" and job["rows"]["total"] == 3 and job["columns"] == ["account_id", "name", "country"]
    run(app, job["id"])
    status = api.get(response.headers["Location"], role="screener").json
    assert status["state"] == "done" and status["rows"] == {"total": 3, "done": 3, "failed": 1}
    assert status["verdicts"] == {"match": 1, "review": 0, "clear": 1} and status["eta_seconds"] == 0.0
    matches = api.get(f"/v1/batches/{job['id']}/results?verdict=match", role="screener").json
    assert [r["account_id"] for r in matches["results"]] == ["a1"] and matches["next_cursor"] is None
    assert matches["results"][0]["top_match"]["entity_id"] == "ofac_sdn:26945"
    page = api.get(f"/v1/batches/{job['id']}/results?limit=2", role="screener").json
    assert [r["row"] for r in page["results"]] == [2, 3] and page["next_cursor"]
    download = api.get(f"/v1/batches/{job['id']}/results.csv", role="screener")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert f"batch-{job['id']}.csv" in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.get_data(as_text=True))))
    assert [(r["account_id"], r["verdict"]) for r in rows] == [("a1", "match"), ("a2", "clear"), ("a3", "")]
    [created] = records(app, action="batch.create")
    assert created.batch_id == job["id"] and created.actor.name == "test-screener"
    assert created.request_id == response.headers["X-Request-Id"]
    assert len(records(app, action="screen.batch_item", batch_id=job["id"])) == 2


def test_multipart_jsonl_with_format_from_the_file_name(app, api):
    body = {"file": (io.BytesIO(b'{"names": ["Vladimir Putin"], "account_id": "p1"}\n'), "accounts.jsonl")}
    response = api.client.post("/v1/batches", data=body, headers=api.headers("screener"),
                               content_type="multipart/form-data")
    assert response.status_code == 202 and response.json["format"] == "jsonl"
    run(app, response.json["id"])
    assert api.get(f"/v1/batches/{response.json['id']}", role="screener").json["verdicts"]["match"] == 1


def test_column_mapping_and_encoding_parameters(app, api):
    data = "cust;x\r\n".replace(";", ",").encode() + "7,Renée Müller\r\n".encode("cp1252")
    response = upload(api, data, query="?map=account_id%3Dcust&map=name%3Dx&encoding=cp1252")
    assert response.status_code == 202
    assert response.json["mapping"] == {"account_id": ["cust"], "name": ["x"]}
    run(app, response.json["id"])
    [row] = api.get(f"/v1/batches/{response.json['id']}/results", role="screener").json["results"]
    assert row["input"] == {"cust": "7", "x": "Renée Müller"} and row["verdict"] == "clear"


@pytest.mark.parametrize("data, query, detail", [
    (b"foo,bar\r\n1,2\r\n", "", "no column to screen"),
    ("name\r\nRenée\r\n".encode("cp1252"), "", "not valid utf-8"),
    (ACCOUNTS, "?format=xml", None),
    (ACCOUNTS, "?colour=red", None),
    (ACCOUNTS, "?monitor=perhaps", None),
    (b"name\r\nAli Khamenei\r\n", "?monitor=true", "no `account_id` column: monitor=true"),
])
def test_unreadable_files_and_bad_parameters_are_422(api, data, query, detail):
    body = assert_problem(upload(api, data, query=query), 422)
    if detail:
        assert detail in body["detail"]


def test_monitor_true_enrolls_the_screened_accounts(app, api):
    response = upload(api, query="?monitor=true")
    assert response.status_code == 202 and response.json["monitor"] is True
    run(app, response.json["id"])
    monitored = api.get("/v1/monitored-accounts", role="screener").json["accounts"]
    assert [(a["account_id"], a["input"]) for a in monitored] == [
        ("a1", {"account_id": "a1", "name": "Ali Khamenei", "country": "IR"}),
        ("a2", {"account_id": "a2", "name": "Jane Doe", "country": ""})]  # a3 has no name: not screened
    [enrolled] = records(app, action="monitor.enroll")
    assert enrolled.batch_id == response.json["id"] and enrolled.detail["account_ids"] == ["a1", "a2"]


def test_refusals_are_problems(app, api):
    assert_problem(upload(api, role=None), 401)
    assert_problem(upload(api, role="auditor"), 403)
    assert_problem(upload(api, content_type="application/json"), 415)
    assert_problem(api.client.post("/v1/batches", data={"other": (io.BytesIO(ACCOUNTS), "a.csv")},
                                   headers=api.headers("screener"), content_type="multipart/form-data"), 400)
    for path in ("/v1/batches/nope", "/v1/batches/nope/results", "/v1/batches/nope/results.csv"):
        assert_problem(api.get(path, role="screener"), 404)
    assert_problem(api.client.delete("/v1/batches/nope", headers=api.headers("screener")), 404)
    job = upload(api).json
    assert_problem(api.get(f"/v1/batches/{job['id']}/results?cursor=xyz", role="screener"), 422)
    assert_problem(api.get(f"/v1/batches/{job['id']}", role="auditor"), 403)


def test_cancel_then_cancelling_a_finished_job_is_409(app, api):
    job = upload(api).json
    cancelled = api.client.delete(f"/v1/batches/{job['id']}", headers=api.headers("screener"))
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert records(app, action="batch.cancel")[0].batch_id == job["id"]
    finished = upload(api).json
    run(app, finished["id"])
    assert_problem(api.client.delete(f"/v1/batches/{finished['id']}", headers=api.headers("screener")), 409)


def test_an_upload_over_the_batch_limit_is_413(tmp_path, default_watchlists, default_engine):
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "watchlists": default_watchlists,
                      "engine": default_engine, "database_url": None, "batch_max_bytes": 64})
    _, secret = app.extensions["compliance"].keys.create("s", Role.SCREENER, Actor.system("test"))
    big = b"name\r\n" + b"Jane Doe\r\n" * 2000
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "text/csv"}
    assert_problem(app.test_client().post("/v1/batches", data=big, headers=headers), 413)
    # without a Content-Length (chunked), the limit holds while the body streams to disk
    chunked = app.test_client().post("/v1/batches", input_stream=io.BytesIO(big),
                                     headers={**headers, "Transfer-Encoding": "chunked"},
                                     environ_overrides={"wsgi.input_terminated": True})  # as gunicorn sets it
    assert_problem(chunked, 413)
    assert not any((tmp_path / "batches").glob("*"))
    app.extensions["compliance"].store.close()


def test_the_service_runs_background_workers_when_configured(tmp_path, default_watchlists, default_engine):
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "watchlists": default_watchlists,
                      "engine": default_engine, "database_url": None, "batch_workers": 1})
    services = app.extensions["compliance"]
    try:
        _, secret = services.keys.create("s", Role.SCREENER, Actor.system("test"))
        headers = {"Authorization": f"Bearer {secret}"}
        job = app.test_client().post("/v1/batches", data=ACCOUNTS, headers={**headers, "Content-Type": "text/csv"})
        deadline = time.monotonic() + 60
        while services.batches.status(job.json["id"])["state"] != "done" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert services.batches.status(job.json["id"])["rows"]["done"] == 3
    finally:
        services.batch_pool.stop()
        services.store.close()


def test_the_openapi_document_describes_the_batch_endpoints(client):
    paths = client.get("/openapi.json").json["paths"]
    assert {"post"} <= set(paths["/v1/batches"]) and "202" in paths["/v1/batches"]["post"]["responses"]
    assert {"get", "delete"} <= set(paths["/v1/batches/{job_id}"])
    assert "text/csv" in paths["/v1/batches"]["post"]["requestBody"]["content"]
    assert "/v1/batches/{job_id}/results.csv" in paths


def test_false_positives_are_remembered_in_batch_jobs_per_account(app, api):
    """a1 was cleared on 26945 by an analyst; a4 screens the same query and still alerts."""
    screened = api.post("/v1/screen", {"account_id": "a1", "names": ["Ali Khamenei"], "country": "IR"},
                        role="screener").json
    decided = api.post("/v1/decisions", {"screening_id": screened["screening_id"], "entity_id": "ofac_sdn:26945",
                                         "decision": "false_positive", "note": "a namesake"}, role="analyst")
    assert decided.status_code == 201, decided.json
    job = upload(api, ACCOUNTS + b"a4,Ali Khamenei,IR\r\n").json
    run(app, job["id"])
    results = {r["account_id"]: r for r in api.get(f"/v1/batches/{job['id']}/results", role="screener").json["results"]}
    assert results["a4"]["verdict"] == "match" and results["a4"]["top_match"]["entity_id"] == "ofac_sdn:26945"
    assert results["a1"]["top_match"] is None or results["a1"]["top_match"]["entity_id"] != "ofac_sdn:26945"
    [a1_record] = [r for r in records(app, action="screen.batch_item", batch_id=job["id"]) if r.account_id == "a1"]
    assert "ofac_sdn:26945" not in {m["entity_id"] for m in a1_record.matches}
