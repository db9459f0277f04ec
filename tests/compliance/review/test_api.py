"""The review endpoints through the Flask test client: roles, problems, the queue, suppression."""
import pytest

from tests.compliance.api.conftest import account, assert_problem, records

DECISION = {"entity_id": "ofac_sdn:26945", "decision": "false_positive", "note": "a namesake, born 1990"}


def screen(api, name="Ali Khamenei", account_id="acct-1"):
    response = api.post("/v1/screen", account(name, account_id=account_id), role="screener")
    assert response.status_code == 200
    return response.json


@pytest.mark.parametrize("role", ["screener", "auditor"])
def test_only_analysts_and_admins_decide(api, app, role):
    screened = screen(api)
    response = api.post("/v1/decisions", {"screening_id": screened["screening_id"], **DECISION}, role=role)
    assert_problem(response, 403)
    assert records(app, action="decision") == []
    assert_problem(api.post("/v1/decisions", {"screening_id": screened["screening_id"], **DECISION}, role=None), 401)


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_a_decision_is_created_and_audited(api, app, role):
    screened = screen(api)
    response = api.post("/v1/decisions", {"screening_id": screened["screening_id"], **DECISION}, role=role)
    assert response.status_code == 201, response.json
    made = response.json
    assert made["decided_by"]["role"] == role and made["screening_id"] == screened["screening_id"]
    record = api.get(f"/v1/audit/{made['decision_id']}", role="auditor").json
    assert record["action"] == "decision" and record["input"]["note"] == DECISION["note"]


def test_problems_for_unknown_screenings_entities_and_fields(api):
    screened = screen(api)
    unknown = api.post("/v1/decisions", {"screening_id": "0192f000-0000-7000-8000-000000000000", **DECISION},
                       role="analyst")
    assert "no screening" in assert_problem(unknown, 404)["detail"]
    other = api.post("/v1/decisions", {**DECISION, "screening_id": screened["screening_id"],
                                       "entity_id": "ofac_sdn:20157"}, role="analyst")
    assert assert_problem(other, 422)["errors"][0]["pointer"] == "#/entity_id"
    bad = api.post("/v1/decisions", {**DECISION, "screening_id": screened["screening_id"], "decision": "maybe",
                                     "extra": 1}, role="analyst")
    assert {e["pointer"] for e in assert_problem(bad, 422)["errors"]} == {"#/decision", "#/extra"}
    blank = api.post("/v1/decisions", {**DECISION, "screening_id": screened["screening_id"], "note": " "},
                     role="analyst")
    assert_problem(blank, 422)


def test_a_false_positive_shows_under_suppressed_in_the_next_screening(api):
    screened = screen(api)
    made = api.post("/v1/decisions", {"screening_id": screened["screening_id"], **DECISION}, role="analyst").json
    again = screen(api)
    assert again["verdict"] == "clear" and again["matches"] == []
    [suppressed] = again["suppressed"]
    assert suppressed["entity_id"] == "ofac_sdn:26945" and suppressed["score"] > 0.9
    assert suppressed["suppression"]["decision_id"] == made["decision_id"]
    assert suppressed["suppression"]["cleared_by"]["name"] == "test-analyst"
    assert screen(api, account_id="acct-2")["verdict"] == "match"


def test_the_queue_item_and_assignment(api, secrets):
    screened = screen(api, "Kim Jong Un")
    page = api.get("/v1/reviews", role="analyst")
    assert page.status_code == 200
    [item] = page.json["items"]
    assert item["screening_id"] == screened["screening_id"] and page.json["next_cursor"] is None
    assert_problem(api.get("/v1/reviews", role="screener"), 403)
    assert_problem(api.get("/v1/reviews?status=pending", role="analyst"), 422)
    detail = api.get(f"/v1/reviews/{screened['screening_id']}", role="analyst").json
    assert detail["matches"][0]["explanation"]["summary"]
    assigned = api.post(f"/v1/reviews/{screened['screening_id']}/assign", {}, role="analyst")
    assert assigned.status_code == 200 and assigned.json["assignee"]["name"] == "test-analyst"
    screener_id = secrets["screener"].split("_")[1]
    refused = api.post(f"/v1/reviews/{screened['screening_id']}/assign", {"assignee": screener_id}, role="admin")
    assert assert_problem(refused, 422)["errors"][0]["pointer"] == "#/assignee"
    assert_problem(api.get("/v1/reviews/0192f000-0000-7000-8000-000000000000", role="analyst"), 404)
