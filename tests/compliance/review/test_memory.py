"""Review memory: a false positive suppresses the match for the same account until either side changes."""
import dataclasses

import pytest

from compliance.audit import AuditFilter
from compliance.config import Settings
from compliance.matching.engine import Engine
from compliance.memory import ReviewMemory
from compliance.service import Screener
from tests.compliance.review.conftest import SCREENER, account
from watchlists.model import BirthDate

KHAMENEI = "ofac_sdn:26945"


@pytest.fixture(scope="module")
def khamenei(default_engine):
    return next(e for e in default_engine.entities if e.id == KHAMENEI)


def screener_over(entities, store, audit_log, watchlists, tmp_path) -> Screener:
    return Screener(Engine.build(entities), watchlists, audit_log, Settings(instance_dir=tmp_path),
                    memory=ReviewMemory(store))


def clear_as_false_positive(screener, desk, analyst, holder):
    screened = screener.screen(holder, SCREENER)
    assert [m["entity_id"] for m in screened["matches"]] == [KHAMENEI]
    return desk.decide(screened["screening_id"], KHAMENEI, "false_positive", "a namesake", analyst)


def test_a_false_positive_suppresses_the_match_for_the_same_account(screener, desk, analyst, audit_log):
    decision = clear_as_false_positive(screener, desk, analyst, account("Ali Khamenei", countries=("DE",)))
    again = screener.screen(account("Ali Khamenei", countries=("DE",)), SCREENER)
    assert again["verdict"] == "clear" and again["matches"] == []
    [suppressed] = again["suppressed"]
    assert suppressed["entity_id"] == KHAMENEI and suppressed["explanation"]["summary"]
    assert suppressed["suppression"]["decision_id"] == decision["decision_id"]
    assert suppressed["suppression"]["cleared_by"]["name"] == "alice" and suppressed["suppression"]["cleared_at"]
    record = audit_log.get(again["screening_id"])
    assert record.verdict == "clear" and record.matches == []
    assert record.detail["suppressed"][0]["suppression"]["decision_id"] == decision["decision_id"]
    assert record.detail["suppressed"][0]["entity_fingerprint"] == screener.fingerprint(KHAMENEI)


def test_other_accounts_and_accounts_without_an_id_still_alert(screener, desk, analyst):
    clear_as_false_positive(screener, desk, analyst, account("Ali Khamenei"))
    assert screener.screen(account("Ali Khamenei", "acct-2"), SCREENER)["verdict"] == "match"
    assert screener.screen(account("Ali Khamenei", None), SCREENER)["verdict"] == "match"


def test_the_suppression_lapses_when_the_accounts_screened_fields_change(screener, desk, analyst):
    clear_as_false_positive(screener, desk, analyst, account("Ali Khamenei"))
    changed = screener.screen(account("Ali Khamenei", birth_date="1939-04-19"), SCREENER)
    assert changed["verdict"] == "match" and changed["suppressed"] == []
    lists_only = screener.screen(account("Ali Khamenei", lists=("ofac_sdn",)), SCREENER)  # not a screened field
    assert lists_only["verdict"] == "clear" and len(lists_only["suppressed"]) == 1


def test_the_suppression_lapses_when_the_entitys_matching_fields_change(store, audit_log, desk, analyst, khamenei,
                                                                        default_engine, default_watchlists, tmp_path):
    others = [e for e in default_engine.entities if e.list_id == "un_sc"]
    full = screener_over([*others, khamenei], store, audit_log, default_watchlists, tmp_path)
    clear_as_false_positive(full, desk, analyst, account("Ali Khamenei"))
    remarks = dataclasses.replace(khamenei, remarks="a new remark", programs=("IRAN-EO13876", "NEW"))
    same = screener_over([*others, remarks], store, audit_log, default_watchlists, tmp_path)
    assert same.screen(account("Ali Khamenei"), SCREENER)["verdict"] == "clear"  # not a matching field
    born = dataclasses.replace(khamenei, birth_dates=(BirthDate("1940", "1940"),))
    relisted = screener_over([*others, born], store, audit_log, default_watchlists, tmp_path)
    result = relisted.screen(account("Ali Khamenei"), SCREENER)
    assert [m["entity_id"] for m in result["matches"]] == [KHAMENEI] and result["suppressed"] == []


def test_the_latest_final_decision_counts(screener, desk, analyst, audit_log):
    first = clear_as_false_positive(screener, desk, analyst, account("Ali Khamenei"))
    suppressed = screener.screen(account("Ali Khamenei"), SCREENER)
    desk.decide(suppressed["screening_id"], KHAMENEI, "escalated", "ask compliance", analyst)  # not final
    assert screener.screen(account("Ali Khamenei"), SCREENER)["suppressed"][0]["suppression"]["decision_id"] == \
        first["decision_id"]
    desk.decide(suppressed["screening_id"], KHAMENEI, "true_match", "confirmed after all", analyst)
    assert screener.screen(account("Ali Khamenei"), SCREENER)["verdict"] == "match"
    assert len(audit_log.query(AuditFilter(action="decision")).records) == 3


def test_batches_of_the_api_apply_the_memory(screener, desk, analyst):
    clear_as_false_positive(screener, desk, analyst, account("Ali Khamenei"))
    done = screener.screen_batch([account("Ali Khamenei"), account("Ali Khamenei", "acct-2")], SCREENER)
    assert [r["verdict"] for r in done["results"]] == ["clear", "match"]
    assert done["verdicts"] == {"match": 1, "review": 0, "clear": 1}


def test_remember_all_reads_a_chunks_decisions_in_one_query_with_the_same_outcome(screener, desk, analyst,
                                                                                   monkeypatch):
    """Batch workers apply the memory to a chunk at once: what `remember` does row by row."""
    clear_as_false_positive(screener, desk, analyst, account("Ali Khamenei"))
    holders = [account("Ali Khamenei"), account("Ali Khamenei", "acct-2"), account("Ali Khamenei", None),
               account("Wilhelmina Quartermaine", "acct-3")]
    screened = [(holder, screener.screen_unrecorded(holder)[0]) for holder in holders]
    one_by_one = [screener.remember(holder, result) for holder, result in screened]
    queries = []
    read = screener.memory.clearances_of
    monkeypatch.setattr(screener.memory, "clearances_of", lambda ids: queries.append(set(ids)) or read(ids))
    monkeypatch.setattr("compliance.memory.IDS_PER_QUERY", 1)  # the ids are read in several statements
    assert screener.remember_all(screened) == one_by_one
    assert [r["verdict"] for r in one_by_one] == ["clear", "match", "match", one_by_one[3]["verdict"]]
    assert queries == [{"acct-1", "acct-2"}]  # accounts with an id and matches; in one call
