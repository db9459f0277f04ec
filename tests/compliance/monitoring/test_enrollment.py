"""Enrolling, listing and removing monitored accounts, on SQLite and PostgreSQL."""
import pytest
from sqlalchemy import select

from compliance.account_index import Forms
from compliance.audit import AuditFilter
from compliance.errors import InvalidInputError, NotFoundError
from compliance.fingerprints import query_fingerprint
from compliance.monitoring import query_from_dict, query_to_dict
from tests.compliance.monitoring.conftest import OPERATOR, holder


def test_enroll_stores_the_query_its_fingerprint_and_forms(monitor, audit_log):
    account = holder("m-1", "Али Хаменеи", "Ali Khamenei", date_of_birth="1939")
    [shown] = monitor.enroll([account], OPERATOR)
    assert shown["account_id"] == "m-1" and shown["input"] == account.input
    assert shown["fingerprint"] == query_fingerprint(account.query) and shown["enrolled_by"] == "test:monitor"
    assert monitor.get("m-1") == shown
    [(account_id, forms)] = list(monitor.forms())
    assert account_id == "m-1" and forms == Forms.of(account.query)
    assert monitor.accounts(["m-1", "nobody"])["m-1"].query == account.query
    [record] = audit_log.query(AuditFilter(action="monitor.enroll")).records
    assert record.account_id == "m-1" and record.detail == {"accounts": 1, "account_ids": ["m-1"]}


def test_enrolling_again_replaces_the_fields(monitor):
    monitor.enroll([holder("m-1", "Ali Khamenei")], OPERATOR)
    monitor.enroll([holder("m-1", "Ali Khamenei", date_of_birth="1939")], OPERATOR)
    assert monitor.count() == 1 and monitor.get("m-1")["input"]["date_of_birth"] == "1939"


def test_pages_by_account_id_and_removal(monitor, audit_log):
    monitor.enroll([holder(f"m-{i}", f"Person {i}") for i in range(5)], OPERATOR)
    first = monitor.page(limit=3)
    second = monitor.page(limit=3, cursor=first["next_cursor"])
    assert [a["account_id"] for a in first["accounts"] + second["accounts"]] == [f"m-{i}" for i in range(5)]
    assert second["next_cursor"] is None
    assert monitor.remove("m-2", OPERATOR)["account_id"] == "m-2"
    assert monitor.count() == 4 and audit_log.query(AuditFilter(action="monitor.remove")).records[0].account_id == "m-2"
    with pytest.raises(NotFoundError):
        monitor.remove("m-2", OPERATOR)
    with pytest.raises(NotFoundError):
        monitor.get("m-2")
    with pytest.raises(InvalidInputError):
        monitor.page(cursor="garbage")


def test_an_account_needs_an_id(monitor):
    with pytest.raises(ValueError):
        monitor.enroll([holder(None, "Ali Khamenei")], OPERATOR)


def test_queries_round_trip(monitor):
    account = holder("m-1", "Ali", identifiers=[{"type": "passport", "value": "A123456"}], date_of_birth="1939")
    assert query_from_dict(query_to_dict(account.query)) == account.query


def test_forms_made_by_other_matching_code_are_recomputed(monitor, store):
    account = holder("m-1", "Ali Khamenei")
    monitor.enroll([account, holder("m-2", "Kim Jong Un")], OPERATOR)
    t = store.tables.review.monitored_accounts
    with store.begin_write() as conn:
        conn.execute(t.update().where(t.c.account_id == "m-1").values(forms="forms1|olddigest|0|X|0stale tokens"))
    assert dict(monitor.forms())["m-1"] == Forms.of(account.query)  # read through the stale text
    assert monitor.refresh_forms() == 1 and monitor.refresh_forms() == 0
    with store.engine.connect() as conn:
        assert "stale" not in conn.scalar(select(t.c.forms).where(t.c.account_id == "m-1"))
