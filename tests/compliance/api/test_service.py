"""The Screener without Flask: validation before scoring, audit records, all-or-nothing batches."""
import pytest

from compliance.audit import Actor, AuditFilter, AuditLog
from compliance.config import Settings
from compliance.errors import InvalidInputError, NotFoundError
from compliance.fingerprints import query_fingerprint
from compliance.models import Query
from compliance.service import Account, Caller, Screener
from compliance.store import Store

CALLER = Caller(Actor("k1", "svc", "screener"), "req-1", "10.0.0.1")


@pytest.fixture
def screener(tmp_path, default_watchlists, default_engine):
    store = Store.connect(f"sqlite:///{tmp_path / 'audit.sqlite3'}")
    yield Screener(default_engine, default_watchlists, AuditLog(store), Settings(instance_dir=tmp_path,
                                                                                  max_batch_items=3))
    store.close()


def accounts(*names: str, lists: tuple[str, ...] | None = None) -> list[Account]:
    return [Account(Query(names=(n,), lists=lists), {"names": [n]}, account_id=f"a{i}", ref=str(i))
            for i, n in enumerate(names)]


def stored(screener: Screener) -> list:
    return screener.audit.query(AuditFilter(), limit=100).records


def test_screen_records_who_asked(screener):
    result = screener.screen(accounts("Ali Khamenei")[0], CALLER)
    [record] = stored(screener)
    assert record.id == result["screening_id"] and record.actor == CALLER.actor
    assert (record.request_id, record.client) == ("req-1", "10.0.0.1")
    assert record.matches[0]["entity_id"] == result["matches"][0]["entity_id"]
    assert set(record.matches[0]) == {"entity_id", "list", "name", "matched_name", "programs", "score", "verdict",
                                      "explanation", "entity_fingerprint"}
    assert record.detail == {"account_fingerprint": query_fingerprint(accounts("Ali Khamenei")[0].query)}


def test_unknown_list_is_refused_before_anything_is_scored(screener, monkeypatch):
    monkeypatch.setattr(screener.engine, "screen", lambda *a: pytest.fail("screened"))
    with pytest.raises(InvalidInputError) as caught:
        screener.screen_batch(accounts("A", "B", lists=("eu_fsf", "mars")), CALLER)
    assert [e["pointer"] for e in caught.value.errors] == ["#/accounts/0/lists/1", "#/accounts/1/lists/1"]
    assert stored(screener) == []


def test_batch_over_the_limit_is_refused(screener):
    with pytest.raises(InvalidInputError):
        screener.screen_batch(accounts("A", "B", "C", "D"), CALLER)
    assert stored(screener) == []


def test_a_batch_is_recorded_all_or_nothing(screener, monkeypatch):
    def fail(events):
        raise RuntimeError("disk full")

    monkeypatch.setattr(screener.audit, "append_many", fail)
    with pytest.raises(RuntimeError):
        screener.screen_batch(accounts("Ali Khamenei", "B"), CALLER)
    monkeypatch.undo()
    assert stored(screener) == []
    result = screener.screen_batch(accounts("Ali Khamenei", "B"), CALLER)
    assert [r.batch_id for r in stored(screener)] == [result["batch_id"]] * 2


def test_entity_lookup(screener):
    assert screener.entity("ofac_sdn:26945")["name"] == "KHAMENEI, Ali Husseini"
    with pytest.raises(NotFoundError):
        screener.entity("ofac_sdn:nope")
