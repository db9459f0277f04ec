"""What a list refresh means for monitored accounts: listed, changed and delisted alerts, once each."""
import io

from compliance.audit import AuditFilter
from compliance.batch.inputs import Format
from compliance.batch.service import BatchService
from compliance.config import Settings
from compliance.review import ReviewDesk
from tests.compliance.monitoring.conftest import ADDED, CHANGED, OPERATOR, REMOVED, holder

SOULEMAN_PASSPORT = "Laissez-passer no. N°235/MISPAT/DIRCAB/DGPC/DGAEI/SI/SP"


def enroll_all(monitor):
    monitor.enroll([
        holder("m-1", "Germain Katanga"), holder("m-2", "Thomas Lubanga"), holder("m-3", "Laurent Nkunda"),
        holder("m-4", "Bosco Taganda"), holder("m-5", "Catherine Gloria Fischer", date_of_birth="1941-01-10"),
        holder("m-6", "Jean Dupont", identifiers=[{"type": "passport", "value": SOULEMAN_PASSPORT}]),
        holder("m-7", "Joseph Kony"),
    ], OPERATOR)


def test_added_and_changed_entities_alert_the_accounts_that_match_them(monitor, un_refresh, new_screener,
                                                                      audit_log):
    enroll_all(monitor)
    report = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR, "un_sc@old -> un_sc@new")
    found = {(a["account_id"], a["entity_id"], a["kind"]) for a in report["alerts"]}
    assert found == {("m-1", ADDED[0], "listed"), ("m-2", ADDED[1], "listed"), ("m-6", ADDED[2], "listed"),
                     ("m-3", CHANGED, "changed")}
    counts = report["counts"]
    assert (counts["added"], counts["changed"], counts["removed"], counts["accounts"]) == (3, 1, 1, 7)
    identifier = next(a for a in report["alerts"] if a["account_id"] == "m-6")
    assert identifier["verdict"] == "match" and identifier["score"] == 1.0
    screening = audit_log.get(identifier["screening_id"])
    assert screening.action == "screen.monitor" and screening.account_id == "m-6"
    assert [m["entity_id"] for m in screening.matches] == [ADDED[2]]
    assert screening.detail["refresh"] == "un_sc@old -> un_sc@new" and audit_log.verify().ok


def test_a_replayed_refresh_raises_nothing_new(monitor, un_refresh, new_screener, audit_log):
    enroll_all(monitor)
    first = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    screenings = len(audit_log.query(AuditFilter(action="screen.monitor")).records)
    again = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    assert len(first["alerts"]) == 4 and again["alerts"] == []
    assert len(audit_log.query(AuditFilter(action="screen.monitor")).records) == screenings == 4


def test_alerts_enter_the_review_queue_and_a_false_positive_is_remembered(monitor, un_refresh, new_screener,
                                                                          store, audit_log, key_store):
    enroll_all(monitor)
    report = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    desk = ReviewDesk(store, audit_log, key_store)
    queued = {i["screening_id"] for i in desk.queue.page("open")["items"]}
    assert queued == {a["screening_id"] for a in report["alerts"]}
    changed = next(a for a in report["alerts"] if a["kind"] == "changed")
    desk.decide(changed["screening_id"], CHANGED, "false_positive", "not him", OPERATOR)
    assert new_screener.screen(holder("m-3", "Laurent Nkunda"), OPERATOR)["suppressed"][0]["entity_id"] == CHANGED


def test_a_false_positive_on_the_new_version_suppresses_its_alert(monitor, un_refresh, new_screener, store,
                                                                  audit_log, key_store):
    account = holder("m-3", "Laurent Nkunda")
    monitor.enroll([account], OPERATOR)
    screened = new_screener.screen(account, OPERATOR)
    ReviewDesk(store, audit_log, key_store).decide(screened["screening_id"], CHANGED, "false_positive", "no",
                                                   OPERATOR)
    report = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    assert report["alerts"] == [] and report["counts"]["screened"] == 1


def test_delisting_alerts_accounts_with_a_true_match(monitor, un_refresh, new_screener, old_screener, store,
                                                     audit_log, key_store):
    enroll_all(monitor)
    desk = ReviewDesk(store, audit_log, key_store)
    kony = old_screener.screen(holder("m-7", "Joseph Kony"), OPERATOR)
    desk.decide(kony["screening_id"], REMOVED, "true_match", "confirmed", OPERATOR)
    other = old_screener.screen(holder("x-1", "Joseph Kony"), OPERATOR)  # cleared: no alert on delisting
    desk.decide(other["screening_id"], REMOVED, "false_positive", "namesake", OPERATOR)
    report = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    [delisted] = [a for a in report["alerts"] if a["kind"] == "delisted"]
    assert (delisted["account_id"], delisted["entity_id"], delisted["entity_name"]) == ("m-7", REMOVED, "JOSEPH KONY")
    assert delisted["screening_id"] is None and audit_log.get(delisted["record_id"]).action == "monitor.delisted"
    assert monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)["alerts"] == []


def test_nothing_to_do_without_changes_or_accounts(monitor, un_refresh, new_screener):
    assert monitor.on_refresh(un_refresh.new, un_refresh.new, new_screener, OPERATOR)["alerts"] == []
    report = monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    assert report["alerts"] == [] and report["counts"]["accounts"] == 0


def test_accounts_enrolled_by_a_monitor_batch_job_are_alerted_by_the_next_refresh(un_refresh, old_screener,
                                                                                  new_screener, store, audit_log,
                                                                                  tmp_path):
    batches = BatchService(store, audit_log, Settings.from_env({}, instance_dir=tmp_path, batch_chunk_rows=2),
                           old_screener)
    data = b"account_id,name\r\nb-1,Germain Katanga\r\nb-2,Laurent Nkunda\r\nb-3,Jean Dupont\r\n"
    job = batches.submit(io.BytesIO(data).read, Format.CSV, OPERATOR, monitor=True)
    assert batches.run_job(job["id"], 1).verdicts == {"match": 1, "review": 0, "clear": 2}  # Nkunda, listed before
    report = batches.monitor.on_refresh(un_refresh.old, un_refresh.new, new_screener, OPERATOR)
    assert {(a["account_id"], a["entity_id"], a["kind"]) for a in report["alerts"]} == {
        ("b-1", ADDED[0], "listed"), ("b-2", CHANGED, "changed")}
    assert report["counts"]["accounts"] == 3 and audit_log.verify().ok
