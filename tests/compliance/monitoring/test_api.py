"""Monitored accounts and alerts through the Flask test client: roles, validation, pagination."""
import pytest

from tests.compliance.api.conftest import assert_problem, records
from tests.compliance.monitoring.conftest import OPERATOR, holder


def test_enroll_list_and_remove(api, app):
    body = {"account_id": "m-1", "names": ["Ali Khamenei"], "date_of_birth": "1939"}
    created = api.post("/v1/monitored-accounts", body, role="screener")
    assert created.status_code == 201 and created.json["input"] == body
    assert api.get("/v1/monitored-accounts", role="screener").json["accounts"][0]["account_id"] == "m-1"
    assert api.get("/v1/monitored-accounts/m-1", role="screener").json["fingerprint"] == created.json["fingerprint"]
    removed = api.client.delete("/v1/monitored-accounts/m-1", headers=api.headers("screener"))
    assert removed.status_code == 200
    assert_problem(api.client.delete("/v1/monitored-accounts/m-1", headers=api.headers("screener")), 404)
    assert [r.action for r in records(app, account_id="m-1")] == ["monitor.enroll", "monitor.remove"]


def test_enrollment_is_validated_like_screening(api):
    missing = api.post("/v1/monitored-accounts", {"names": ["Ali Khamenei"]}, role="screener")
    assert assert_problem(missing, 422)["errors"][0]["pointer"] == "#/account_id"
    bad = api.post("/v1/monitored-accounts", {"account_id": "m", "names": ["A"], "date_of_birth": "soon",
                                              "colour": "red"}, role="screener")
    assert {e["pointer"] for e in assert_problem(bad, 422)["errors"]} == {"#/date_of_birth", "#/colour"}
    assert_problem(api.post("/v1/monitored-accounts", {"account_id": "m", "names": ["A"]}, role="auditor"), 403)


def stored_alerts(app, count=3):
    monitor = app.extensions["compliance"].monitor
    with monitor.store.begin_write() as conn:
        from compliance.alerts import NewAlert

        return monitor.alerts.add(conn, [NewAlert("listed" if i % 2 == 0 else "delisted", f"m-{i}", f"un_sc:{i}",
                                                  f"ENTITY {i}", "un_sc", f"{i:064x}") for i in range(count)])


@pytest.mark.parametrize("role", ["screener", "auditor"])
def test_alerts_are_for_analysts(api, app, role):
    stored_alerts(app)
    assert_problem(api.get("/v1/alerts", role=role), 403)


def test_alerts_filter_page_and_acknowledge(api, app):
    made = stored_alerts(app, 5)
    page = api.get("/v1/alerts?limit=2", role="analyst").json
    rest = api.get(f"/v1/alerts?limit=10&cursor={page['next_cursor']}", role="analyst").json
    assert [a["id"] for a in page["alerts"] + rest["alerts"]] == [a["id"] for a in reversed(made)]
    listed = api.get("/v1/alerts?kind=listed", role="analyst").json["alerts"]
    assert {a["account_id"] for a in listed} == {"m-0", "m-2", "m-4"}
    assert api.get("/v1/alerts?account_id=m-3", role="analyst").json["alerts"][0]["kind"] == "delisted"
    done = api.post(f"/v1/alerts/{made[0]['id']}/acknowledge", {"note": "seen"}, role="analyst")
    assert done.status_code == 200 and done.json["acknowledged_by"] == "test-analyst"
    again = api.post(f"/v1/alerts/{made[0]['id']}/acknowledge", {}, role="admin")
    assert again.json["acknowledged_at"] == done.json["acknowledged_at"]
    open_ids = {a["id"] for a in api.get("/v1/alerts?acknowledged=false", role="analyst").json["alerts"]}
    assert made[0]["id"] not in open_ids and len(open_ids) == 4
    [record] = records(app, action="alert.acknowledge")
    assert record.detail["note"] == "seen" and record.account_id == "m-0"
    assert_problem(api.post("/v1/alerts/nope/acknowledge", {}, role="analyst"), 404)
    assert_problem(api.get("/v1/alerts?kind=other", role="analyst"), 422)
    assert_problem(api.get("/v1/alerts?cursor=xyz", role="analyst"), 422)


def test_a_monitoring_alert_can_be_decided(api, app, un_refresh, default_watchlists, tmp_path):
    from tests.compliance.monitoring.conftest import screener_for

    services = app.extensions["compliance"]
    services.monitor.enroll([holder("m-1", "Germain Katanga")], OPERATOR)
    screener = screener_for(un_refresh.new_engine, services.store, services.audit, default_watchlists, tmp_path)
    [alert] = services.monitor.on_refresh(un_refresh.old, un_refresh.new, screener, OPERATOR)["alerts"]
    shown = api.get(f"/v1/alerts/{alert['id']}", role="analyst").json
    decided = api.post("/v1/decisions", {"screening_id": shown["screening_id"], "entity_id": shown["entity_id"],
                                         "decision": "true_match", "note": "him"}, role="analyst")
    assert decided.status_code == 201
    assert api.get("/v1/reviews?status=closed", role="analyst").json["items"][0]["screening_id"] == \
        shown["screening_id"]
