"""POST /v1/screen, /v1/screen/batch and /v1/compare: results, and the audit record behind each."""
import json
import threading
import time

from compliance.api.responses import BatchResultSchema, ScreenResultSchema
from compliance.matching.engine import ENGINE_VERSION
from compliance.policy import POLICY_VERSION

from .conftest import account, records

ALL_LISTS = {"ofac_sdn", "ofac_cons", "un_sc", "eu_fsf", "uk_ofsi"}


def test_khamenei_is_a_match_with_everything_a_lawyer_needs(app, api):
    body = account("Ali Khamenei", account_id="acct-1", type="person", date_of_birth="1939-04-19", country="IR")
    response = api.post("/v1/screen", body)
    assert response.status_code == 200
    result = response.json
    assert result["verdict"] == "match"
    assert result["account_id"] == "acct-1"
    top = result["matches"][0]
    assert top["entity_id"] == "ofac_sdn:26945"
    assert top["list"] == "ofac_sdn" and "SDN" in top["list_name"]
    assert "IRAN-EO13876" in top["programs"]
    assert top["name"] == "KHAMENEI, Ali Husseini" and top["names"][0]["kind"] == "primary"
    assert top["matched_name"] and top["verdict"] == "match" and 0.89 <= top["score"] <= 1.0
    assert "Ali Khamenei" in top["explanation"]["summary"]
    assert top["details"]["type"] == "person"
    assert any(b["start"] == "1939-04-19" for b in top["details"]["birth_dates"])
    assert [m["score"] for m in result["matches"]] == sorted((m["score"] for m in result["matches"]), reverse=True)
    assert {item["id"] for item in result["lists"]} == ALL_LISTS
    assert all({"version", "published", "stale"} <= set(item) for item in result["lists"])
    assert (result["engine_version"], result["policy_version"]) == (ENGINE_VERSION, POLICY_VERSION)

    record = app.extensions["compliance"].audit.get(result["screening_id"])
    assert record.action == "screen"
    assert record.input == body
    assert record.verdict == "match" and record.account_id == "acct-1"
    assert record.matches[0]["entity_id"] == "ofac_sdn:26945" and record.matches[0]["explanation"]
    assert set(record.list_versions) == ALL_LISTS
    assert record.list_versions["ofac_sdn"] == next(i["version"] for i in result["lists"] if i["id"] == "ofac_sdn")
    assert (record.engine_version, record.policy_version) == (ENGINE_VERSION, POLICY_VERSION)
    assert record.actor.name == "test-screener" and record.actor.role == "screener" and record.actor.key_id
    assert record.request_id == response.headers["X-Request-Id"]
    assert record.client == "127.0.0.1"


def test_arabic_script_name_and_handle(api):
    response = api.post("/v1/screen", account("سید علی حسینی خامنه‌ای"))
    assert response.json["matches"][0]["entity_id"] == "ofac_sdn:26945"
    by_handle = api.post("/v1/screen", account(handle="@khamenei_ir")).json
    assert by_handle["verdict"] in ("review", "match")


def test_unlisted_name_is_clear_and_still_audited(app, api):
    response = api.post("/v1/screen", account("Wilhelmina Quartermaine-Oduya"))
    assert response.status_code == 200
    assert response.json["verdict"] == "clear" and response.json["matches"] == []
    assert records(app, action="screen")[0].verdict == "clear"


def test_lists_filter_restricts_the_lists_screened(app, api):
    response = api.post("/v1/screen", account("Ali Khamenei", lists=["un_sc", "eu_fsf"]))
    assert response.status_code == 200
    assert [item["id"] for item in response.json["lists"]] == ["un_sc", "eu_fsf"]
    assert all(m["list"] in ("un_sc", "eu_fsf") for m in response.json["matches"])
    assert set(records(app, action="screen")[0].list_versions) == {"un_sc", "eu_fsf"}


def test_identifiers_only(api):
    response = api.post("/v1/screen", account(identifiers=[{"type": "passport", "value": "X0000000"}]))
    assert response.status_code == 200 and response.json["verdict"] in ("clear", "review", "match")


def test_batch_echoes_refs_and_writes_one_record_per_item(app, api):
    accounts = [account("Ali Khamenei", ref="r-1", account_id="a-1"),
                account("Wilhelmina Quartermaine-Oduya", ref="r-2"),
                account("Ali Khamenei", ref="r-3", lists=["un_sc"])]
    response = api.post("/v1/screen/batch", {"accounts": accounts})
    assert response.status_code == 200
    batch = response.json
    assert [item["ref"] for item in batch["results"]] == ["r-1", "r-2", "r-3"]
    assert [item["verdict"] for item in batch["results"]][:2] == ["match", "clear"]
    assert batch["results"][0]["matches"][0]["entity_id"] == "ofac_sdn:26945"
    assert batch["results"][2]["lists"] == ["un_sc"]
    assert batch["count"] == 3 and sum(batch["verdicts"].values()) == 3
    assert {item["id"] for item in batch["lists"]} == ALL_LISTS

    items = records(app, batch_id=batch["batch_id"])
    assert [r.action for r in items] == ["screen.batch_item"] * 3
    assert [r.id for r in items] == [item["screening_id"] for item in batch["results"]]
    assert [r.input for r in items] == accounts
    assert [r.detail["ref"] for r in items] == ["r-1", "r-2", "r-3"]
    assert items[0].account_id == "a-1" and set(items[2].list_versions) == {"un_sc"}
    assert [r.seq for r in items] == list(range(items[0].seq, items[0].seq + 3))


def test_compare_explains_and_is_audited(app, api):
    body = {"query": {"name": "Ali Khamenei", "schema": "Person"},
            "candidate": {"name": "KHAMENEI, Ali Husseini", "schema": "Person", "program": "IRAN-EO13876",
                          "entity_id": "ofac_sdn:26945"}}
    response = api.post("/v1/compare", body)
    assert response.status_code == 200
    result = response.json
    assert result["verdict"] == "match" and result["score"] >= 0.89
    assert result["entity_id"] == "ofac_sdn:26945" and result["explanation"]["summary"]
    record = app.extensions["compliance"].audit.get(result["comparison_id"])
    assert record.action == "compare" and record.input == body and record.verdict == "match"
    assert record.matches[0]["score"] == result["score"]


def test_compare_against_a_listed_entity_by_id(app, api):
    body = {"query": {"name": "Али Хаменеи"}, "candidate": {"entity_id": "ofac_sdn:26945"}}
    result = api.post("/v1/compare", body).json
    assert result["entity_id"] == "ofac_sdn:26945" and result["verdict"] in ("review", "match")
    assert "KHAMENEI" in result["explanation"]["summary"]
    assert records(app, action="compare")[0].matches[0]["entity_id"] == "ofac_sdn:26945"
    unknown = api.post("/v1/compare", {"query": {"name": "A"}, "candidate": {"entity_id": "ofac_sdn:0"}})
    assert unknown.status_code == 422 and unknown.json["errors"][0]["pointer"] == "#/candidate/entity_id"


def test_compare_record_without_a_name_is_422(app, api):
    response = api.post("/v1/compare", {"query": {"schema": "Person"}, "candidate": {"name": "X"}})
    assert response.status_code == 422
    assert response.json["errors"][0]["pointer"] == "#/query"
    assert records(app, action="compare") == []


def test_screen_answers_are_exactly_what_the_response_schema_dumps(api):
    """POST /v1/screen and /v1/screen/batch answer the service's document without dumping it
    through their response schema (`spec.as_documented`): that holds only while the dump would
    change nothing, not a field, a type or the order of keys. Matches, none, several scripts, a
    lists filter, and a match suppressed by a false_positive decision."""
    bodies = [account("Ali Khamenei", account_id="acct-1", type="person", date_of_birth="1939-04-19", country="IR"),
              account("Wilhelmina Quartermaine-Oduya"), account("Владимир Путин", type="person"),
              account("سید علی حسینی خامنه‌ای"), account(handle="@khamenei_ir"),
              account("Kim Jong Un", "Acme Trading LLC", identifiers=[{"type": "passport", "value": "X1234567"}]),
              account("Ali Khamenei", lists=["un_sc", "eu_fsf"])]
    screened = api.post("/v1/screen", account("Ali Khamenei", account_id="acct-2")).json
    decision = api.post("/v1/decisions", {"screening_id": screened["screening_id"], "entity_id": "ofac_sdn:26945",
                                          "decision": "false_positive", "note": "a namesake"}, role="analyst")
    assert decision.status_code == 201, decision.json
    bodies.append(account("Ali Khamenei", account_id="acct-2"))
    answers = [api.post("/v1/screen", body).json for body in bodies]
    assert answers[-1]["suppressed"] and any(a["matches"] for a in answers)
    for answer in answers:
        assert json.dumps(ScreenResultSchema().dump(answer)) == json.dumps(answer)
    batch = api.post("/v1/screen/batch", {"accounts": [{**body, "ref": f"r{i}"} for i, body in enumerate(bodies)]})
    assert batch.status_code == 200 and batch.json["results"][-1]["suppressed"]
    assert json.dumps(BatchResultSchema().dump(batch.json)) == json.dumps(batch.json)


def test_a_process_screens_one_request_at_a_time_and_answers_others_meanwhile(app, api, monkeypatch):
    """Single screens are `cpu_bound`: threads of one worker take turns on them, while the
    worker's other views (health, lists, batches of accounts) answer at once."""
    screener = app.extensions["compliance"].screener
    real, guard = screener.screen, threading.Lock()
    entered, release = threading.Event(), threading.Event()
    state = {"inside": 0, "most": 0}

    def held(account, caller):
        with guard:
            state["inside"] += 1
            state["most"] = max(state["most"], state["inside"])
        entered.set()
        release.wait(30)
        try:
            return real(account, caller)
        finally:
            with guard:
                state["inside"] -= 1

    monkeypatch.setattr(screener, "screen", held)
    statuses: list[int] = []
    threads = [threading.Thread(target=lambda: statuses.append(api.post("/v1/screen", account("Ali Khamenei"))
                                                                .status_code)) for _ in range(3)]
    for thread in threads:
        thread.start()
    assert entered.wait(30)
    time.sleep(0.3)  # time enough for the other two to enter, were nothing holding them
    assert state["inside"] == 1
    assert api.get("/healthz", role=None).status_code == 200
    assert api.get("/v1/lists", role="screener").status_code == 200
    # a batch (up to 1,000 accounts, about a second) shares the interpreter instead: it is not held
    assert api.post("/v1/screen/batch", {"accounts": [account("Wilhelmina Quartermaine", ref="r1")]}).status_code == 200
    release.set()
    for thread in threads:
        thread.join(30)
    assert statuses == [200, 200, 200] and state["most"] == 1


def test_a_refused_screening_ends_its_turn(api):
    """A request refused after taking its turn (422 on its body, 401 with no key comes before)
    lets the next one run: each of these would otherwise wait forever on the first."""
    done: list[int] = []

    def screens() -> None:
        done.append(api.post("/v1/screen", {"names": ["x" * 600]}).status_code)
        done.append(api.post("/v1/compare", {"query": {"schema": "Person"}, "candidate": {"name": "X"}}).status_code)
        done.append(api.post("/v1/screen", account("Ali Khamenei")).status_code)

    thread = threading.Thread(target=screens, daemon=True)
    thread.start()
    thread.join(60)
    assert done == [422, 422, 200]
