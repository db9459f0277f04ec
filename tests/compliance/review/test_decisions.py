"""Decisions and the review queue without Flask, on SQLite and PostgreSQL."""
import pytest

from compliance.audit import Actor, AuditFilter
from compliance.errors import InvalidInputError, NotFoundError
from compliance.keys import Role
from compliance.service import Caller
from tests.compliance.review.conftest import SCREENER, account


def test_a_decision_is_stored_and_audited_in_one_record(screener, desk, analyst, audit_log, store):
    screened = screener.screen(account("Ali Khamenei"), SCREENER)
    made = desk.decide(screened["screening_id"], "ofac_sdn:26945", "false_positive", "other person: DOB 1990",
                       analyst)
    [record] = audit_log.query(AuditFilter(action="decision")).records
    assert made["decision_id"] == record.id and made["final"] is True
    assert (made["account_id"], made["entity_id"], made["decided_by"]) == ("acct-1", "ofac_sdn:26945",
                                                                          analyst.actor.to_dict())
    assert record.input == {"screening_id": screened["screening_id"], "entity_id": "ofac_sdn:26945",
                            "decision": "false_positive", "note": "other person: DOB 1990"}
    assert record.matches[0]["entity_id"] == "ofac_sdn:26945" and record.actor == analyst.actor
    assert record.detail["entity_fingerprint"] == screener.fingerprint("ofac_sdn:26945")
    assert record.detail["account_fingerprint"] and audit_log.verify().ok
    assert audit_log.query(AuditFilter(entity_id="ofac_sdn:26945", action="decision")).records == [record]


def test_unknown_screening_is_not_found(desk, analyst, key_store):
    with pytest.raises(NotFoundError):
        desk.decide("0192f000-0000-7000-8000-000000000000", "ofac_sdn:26945", "true_match", "n", analyst)
    key, _ = key_store.create("other", Role.SCREENER, Actor.system("test"))  # a key.create record is no screening
    [created] = [r for r in desk.audit.query(AuditFilter(action="key.create")).records if r.detail["key_id"] == key.id]
    with pytest.raises(NotFoundError):
        desk.decide(created.id, "ofac_sdn:26945", "true_match", "n", analyst)


def test_an_entity_not_among_the_matches_is_refused(screener, desk, analyst, audit_log):
    screened = screener.screen(account("Ali Khamenei"), SCREENER)
    with pytest.raises(InvalidInputError) as refused:
        desk.decide(screened["screening_id"], "ofac_sdn:20157", "true_match", "n", analyst)
    assert refused.value.errors[0]["pointer"] == "#/entity_id"
    assert audit_log.query(AuditFilter(action="decision")).records == []


def test_the_queue_holds_alerting_screenings_highest_score_first(screener, desk):
    clear = screener.screen(account("Catherine Gloria Fischer", "c-0"), SCREENER)
    review = screener.screen(account("Mohammad Hosseini", "c-1"), SCREENER)
    match = screener.screen(account("Kim Jong Un", "c-2"), SCREENER)
    page = desk.queue.page("open", limit=10)
    assert clear["verdict"] == "clear" and review["verdict"] == "review" and match["verdict"] == "match"
    assert [i["screening_id"] for i in page["items"]] == [match["screening_id"], review["screening_id"]]
    first = page["items"][0]
    assert (first["account_id"], first["top_score"], first["status"]) == ("c-2", 1.0, "open")
    assert [m["entity_id"] for m in first["matches"]] == [m["entity_id"] for m in match["matches"]]
    assert first["matches"][0]["decision"] is None and "explanation" not in first["matches"][0]


def test_the_queue_pages_with_a_cursor(screener, desk):
    names = ["Kim Jong Un", "Ahmad Vahidi", "Viktor Bout", "Hassan Nasrallah", "Mohammad Hosseini"]
    for i, name in enumerate(names):
        screener.screen(account(name, f"c-{i}"), SCREENER)
    seen, cursor = [], None
    while True:
        page = desk.queue.page("open", limit=2, cursor=cursor)
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and len({i["screening_id"] for i in seen}) == 5
    assert [i["top_score"] for i in seen] == sorted((i["top_score"] for i in seen), reverse=True)
    with pytest.raises(InvalidInputError):
        desk.queue.page("open", cursor="bm90LWEtY3Vyc29y")


def test_a_screening_closes_when_every_match_has_a_final_decision(screener, desk, analyst):
    screened = screener.screen(account("Kim Jong Un"), SCREENER)
    sid = screened["screening_id"]
    first, *others = (m["entity_id"] for m in screened["matches"])
    assert first == "ofac_sdn:20157" and others  # KIM, Jong Un; then Tong Un KIM...
    desk.decide(sid, first, "true_match", "the leader", analyst)
    for other in others:
        desk.decide(sid, other, "escalated", "unsure", analyst)  # not final: still open
    [item] = desk.queue.page("open")["items"]
    assert (item["decided_count"], item["match_count"]) == (1, 1 + len(others))
    assert [m["decision"]["decision"] for m in item["matches"]] == ["true_match"] + ["escalated"] * len(others)
    for other in others[:-1]:
        desk.decide(sid, other, "false_positive", "an alias collision", analyst)
    assert len(desk.queue.page("open")["items"]) == 1  # one match still escalated
    desk.decide(sid, others[-1], "false_positive", "an alias collision", analyst)
    assert desk.queue.page("open")["items"] == []
    [closed] = desk.queue.page("closed")["items"]
    assert closed["status"] == "closed" and closed["matches"][-1]["decision"]["decision"] == "false_positive"


def test_batches_and_their_items_enter_the_queue(screener, desk):
    done = screener.screen_batch([account("Viktor Bout", "b-1"), account("Catherine Gloria Fischer", "b-2")],
                                 SCREENER)
    [item] = desk.queue.page("all")["items"]
    assert item["screening_id"] == done["results"][0]["screening_id"] and item["action"] == "screen.batch_item"


def test_assignment_to_self_and_to_another_analyst(screener, desk, analyst, key_store, audit_log):
    sid = screener.screen(account("Viktor Bout"), SCREENER)["screening_id"]
    mine = desk.assign(sid, None, analyst)
    assert mine["assignee"] == {"key_id": analyst.actor.key_id, "name": "alice"} and mine["assigned_at"]
    bob, _ = key_store.create("bob", Role.ANALYST, Actor.system("test"))
    assert desk.assign(sid, bob.id, analyst)["assignee"]["name"] == "bob"
    assert [i["screening_id"] for i in desk.queue.page("open", assignee=bob.id)["items"]] == [sid]
    assert desk.queue.page("open", assignee=analyst.actor.key_id)["items"] == []
    records = audit_log.query(AuditFilter(action="review.assign")).records
    assert [r.detail["assignee_name"] for r in records] == ["bob", "alice"]


def test_assignment_refuses_keys_that_may_not_review_and_unknown_screenings(screener, desk, analyst, key_store):
    sid = screener.screen(account("Viktor Bout"), SCREENER)["screening_id"]
    screener_key, _ = key_store.create("svc", Role.SCREENER, Actor.system("test"))
    for assignee in (screener_key.id, "0123456789abcdef"):
        with pytest.raises(InvalidInputError):
            desk.assign(sid, assignee, analyst)
    with pytest.raises(InvalidInputError):
        desk.assign(sid, None, Caller(Actor.system("cli:ops")))
    with pytest.raises(NotFoundError):
        desk.assign("0192f000-0000-7000-8000-000000000000", None, analyst)
