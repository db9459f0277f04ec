"""The audit log: the hash chain, tamper detection, concurrent appends, filters, pages, exports."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import uuid
from dataclasses import fields
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from compliance.audit import (HASH_SCHEME, Actor, AuditEvent, AuditFilter, AuditLog, AuditRecord, CursorError)
from compliance.audit_records import prepare, record_hash, retain_until, seal
from compliance.store import Store

SCREENER = Actor(key_id="k1", name="alice", role="screener")


def event(action: str = "screen", actor: Actor = SCREENER, **kw) -> AuditEvent:
    return AuditEvent(action=action, actor=actor, **kw)


def match(entity_id: str, score: float = 0.93) -> dict:
    return {"entity_id": entity_id, "list": entity_id.split(":")[0], "score": score, "verdict": "match",
            "matched_name": "KHAMENEI, Ali", "explanation": {"summary": "Name 'Ali Khamenei' met ..."}}


def expected_hash(data: dict) -> str:
    """The documented scheme, computed independently of the module."""
    content = {k: v for k, v in data.items() if k != "hash"}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sql(log: AuditLog, statement: str, **params) -> None:
    """Tamper with the database directly, as someone with database access could."""
    with log.store.engine.begin() as conn:
        conn.execute(text(statement), params)


# --- the chain ---------------------------------------------------------------------------------

def test_append_chains_records(audit_log):
    first = audit_log.append(event(input={"names": ["Ali Khamenei"]}, account_id="acc-1", verdict="match",
                                   matches=[match("ofac_sdn:26945")], list_versions={"ofac_sdn": "2024-05-03"},
                                   engine_version="e1", policy_version="p1", request_id="r1", client="127.0.0.1"))
    second = audit_log.append(event("auth.denied", Actor(), status=401, detail={"reason": "missing key"}))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == "0" * 64 and second.prev_hash == first.hash
    assert first.hash == expected_hash(first.to_dict()) and second.hash == expected_hash(second.to_dict())
    assert first.hash_scheme == HASH_SCHEME
    assert first.ts.tzinfo is not None and first.ts.utcoffset().total_seconds() == 0
    assert first.retain_until == date(first.ts.year + 10, first.ts.month, first.ts.day)
    assert audit_log.get(first.id) == first and audit_log.get(second.id) == second
    assert audit_log.get("no-such-id") is None


def test_record_ids_sort_by_time_and_dict_form_is_json(audit_log):
    records = [audit_log.append(event()) for _ in range(3)]
    assert len({r.id for r in records}) == 3
    assert [r.id[:13] for r in records] == sorted(r.id[:13] for r in records)  # the millisecond part
    data = records[0].to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["ts"].endswith("Z") and data["actor"] == {"key_id": "k1", "name": "alice", "role": "screener"}
    assert {f.name for f in fields(AuditRecord)} - {"actor"} <= set(data)


def test_values_are_stored_as_json_and_read_back_equal(audit_log):
    record = audit_log.append(event(input={"names": ("Ali", "علی"), "dob": date(1939, 4, 19)},
                                    matches=(match("un_sc:1"),), detail={"n": 1.5}))
    assert record.input == {"names": ["Ali", "علی"], "dob": "1939-04-19"}  # JSON types; dates as text
    assert record.matches == [match("un_sc:1")]
    assert audit_log.get(record.id) == record and audit_log.verify().ok


@pytest.mark.parametrize("tricky", ['x"input":null', '"matches":null', "\\", "\u2028", "é", "😀", ""])
def test_hash_holds_for_awkward_strings(audit_log, tricky):
    record = audit_log.append(event(account_id=tricky, input={tricky: [tricky]}, detail=tricky,
                                    matches=[match(tricky or "x:1")], list_versions={tricky: tricky}))
    assert record.hash == expected_hash(record.to_dict()) and audit_log.verify().ok
    assert audit_log.get(record.id) == record
    assert [r.id for r in audit_log.query(AuditFilter(list_version=f"{tricky}@{tricky}")).records] == [record.id]


@pytest.mark.parametrize("given", [
    {},
    {"actor": Actor(), "status": 0, "detail": "x"},
    {"account_id": "a\u00e9", "verdict": "review", "input": ["x", {"y": None}], "matches": [match("un_sc:1", 0.5)],
     "list_versions": {"un_sc": "v1", "eu_fsf": None}, "engine_version": "e", "policy_version": "p",
     "request_id": "r", "client": "c", "batch_id": "b", "status": 201, "detail": {"row": 2, "z": [1.25, True]}},
])
def test_sealing_a_prepared_event_hashes_as_the_documented_scheme(given):
    """seal() hashes text put together from prepare()'s pieces: exactly record_hash() of the record."""
    ts = datetime(2026, 11, 21, 13, 40, 1, 5, tzinfo=UTC)
    record, row = seal(prepare(event(**given)), 12, ts, retain_until(ts, 10), "ab" * 32)
    assert record.hash == row["hash"] == record_hash(record) == expected_hash(record.to_dict())
    assert (row["seq"], row["ts"], row["prev_hash"], row["id"]) == (12, ts, "ab" * 32, record.id)
    made = uuid.UUID(record.id)  # a UUIDv7 (RFC 9562) carrying ts to the millisecond
    assert str(made) == record.id and (made.version, made.variant) == (7, uuid.RFC_4122)
    assert made.int >> 80 == int(ts.timestamp() * 1000)


def test_events_prepared_before_the_transaction_append_the_same(audit_log):
    first = audit_log.append(event(account_id="a", matches=[match("ofac_sdn:1")], list_versions={"ofac_sdn": "v"}))
    with audit_log.store.begin_write() as conn:
        second, third = audit_log.append_in(conn, [prepare(event(account_id="b")), event(account_id="c")])
    assert (second.seq, second.prev_hash, third.prev_hash) == (2, first.hash, second.hash)
    assert audit_log.get(second.id) == second and audit_log.verify().ok
    assert [r.account_id for r in audit_log.query(AuditFilter(list_version="v")).records] == ["a"]


def test_append_many_writes_all_or_nothing(audit_log):
    records = audit_log.append_many([event("screen.batch_item", batch_id="b1", input={"i": i}) for i in range(5)])
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in zip(records, records[1:]))
    with pytest.raises(ValueError, match="NUL"):
        audit_log.append_many([event(account_id="fine"), event(account_id="bad\x00id")])
    report = audit_log.verify()
    assert report.ok and report.checked == 5
    assert audit_log.append(event()).seq == 6
    assert audit_log.append_many([]) == []
    with audit_log.store.begin_write() as conn:
        assert audit_log.append_in(conn, []) == []
    assert audit_log.verify().checked == 6


@pytest.mark.parametrize("bad, message", [
    ({"action": ""}, "needs an action"),
    ({"matches": "ofac_sdn:1"}, "matches must be a sequence"),
    ({"list_versions": ["ofac_sdn"]}, "list_versions a mapping"),
    ({"input": {"x": float("nan")}}, "Out of range float"),
])
def test_bad_events_are_refused(audit_log, bad, message):
    with pytest.raises(ValueError, match=message):
        audit_log.append(event(**bad))


def test_retention_never_ends_early():
    assert retain_until(datetime(2026, 11, 21, 23, 59, tzinfo=UTC), 10) == date(2036, 11, 21)
    assert retain_until(datetime(2028, 2, 29, tzinfo=UTC), 10) == date(2038, 3, 1)


def test_there_is_no_way_to_change_or_remove_records():
    verbs = ("update", "delete", "remove", "purge", "edit", "truncate", "replace")
    assert not [name for name in dir(AuditLog) if name.lower().startswith(verbs)]


# --- tampering -----------------------------------------------------------------------------------

@pytest.fixture
def chain(audit_log) -> list[AuditRecord]:
    """Ten records; 3 and 7 have index rows (an entity match and list versions)."""
    return [audit_log.append(event(input={"n": n}, matches=[match("ofac_sdn:1")] if n in (3, 7) else [],
                                   list_versions={"ofac_sdn": "v1"} if n in (3, 7) else {}))
            for n in range(1, 11)]


def test_an_intact_chain_verifies(audit_log, chain):
    report = audit_log.verify()
    assert report.ok and report.checked == 10 and report.broken_seq is None
    assert report.to_dict() == {"ok": True, "checked": 10, "broken_seq": None, "broken_id": None, "reason": None}


def test_empty_chain_verifies(audit_log):
    assert audit_log.verify().to_dict()["ok"] is True and audit_log.verify().checked == 0


def test_edited_row_is_caught(audit_log, chain):
    sql(audit_log, "UPDATE audit_records SET input = :v WHERE seq = 5", v='{"n":500}')
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.broken_id, report.checked) == (False, 5, chain[4].id, 4)
    assert "content" in report.reason


def test_edited_row_with_a_recomputed_hash_breaks_the_next_link(audit_log, chain):
    forged = chain[4].to_dict() | {"account_id": "someone-else"}
    sql(audit_log, "UPDATE audit_records SET account_id = 'someone-else', hash = :h WHERE seq = 5",
        h=expected_hash(forged))
    report = audit_log.verify()
    assert (report.broken_seq, report.broken_id) == (6, chain[5].id) and "prev_hash" in report.reason


def test_deleted_row_is_caught(audit_log, chain):
    sql(audit_log, "DELETE FROM audit_records WHERE seq = 4")
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.broken_id, report.checked) == (False, 4, None, 3)
    assert "missing" in report.reason


def test_deleted_last_rows_are_caught(audit_log, chain):
    sql(audit_log, "DELETE FROM audit_records WHERE seq >= 9")
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.checked) == (False, 9, 8) and "head" in report.reason


def test_deleted_chain_head_is_caught(audit_log, chain):
    sql(audit_log, "DELETE FROM audit_head")
    report = audit_log.verify()
    assert not report.ok and "head" in report.reason


def test_reordered_rows_are_caught(audit_log, chain):
    for old, new in ((2, -1), (6, 2), (-1, 6)):  # swap seq 2 and 6
        sql(audit_log, "UPDATE audit_records SET seq = :new WHERE seq = :old", old=old, new=new)
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.broken_id) == (False, 2, chain[5].id)


def test_forged_row_past_the_head_is_caught(audit_log, chain):
    forged = {**chain[-1].to_dict(), "id": "forged", "seq": 11, "prev_hash": chain[-1].hash}
    _insert(audit_log, forged | {"hash": expected_hash(forged)})
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.checked) == (False, 11, 10) and "past the chain head" in report.reason


def test_forged_row_inserted_inside_the_chain_is_caught(audit_log, chain):
    """Make room at seq 8 (moving 8..10 up by one) and insert a row whose own hash is right."""
    for seq in range(10, 7, -1):
        sql(audit_log, "UPDATE audit_records SET seq = :new WHERE seq = :old", old=seq, new=seq + 1)
    forged = {**chain[6].to_dict(), "id": "forged", "seq": 8, "prev_hash": chain[6].hash, "matches": [],
              "list_versions": {}}
    _insert(audit_log, forged | {"hash": expected_hash(forged)})
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.broken_id) == (False, 9, chain[7].id)
    assert "prev_hash" in report.reason


def test_unreadable_row_is_caught(audit_log, chain):
    sql(audit_log, "UPDATE audit_records SET detail = '{not json' WHERE seq = 6")
    report = audit_log.verify()
    assert (report.ok, report.broken_seq, report.checked) == (False, 6, 5) and "cannot be read" in report.reason


def test_tampered_index_rows_are_caught(audit_log, chain):
    """Hiding a record from an entity filter is tampering too."""
    sql(audit_log, "DELETE FROM audit_terms WHERE seq = 7 AND term = 'entity:ofac_sdn:1'")
    report = audit_log.verify()
    assert (report.ok, report.broken_seq) == (False, 7) and "index" in report.reason


def test_list_version_filter_takes_list_ids_literally(audit_log):
    """list@version is the version's index term and that pair in the record's list versions:
    LIKE's wildcards (_ and %) in a list id match only themselves."""
    first = audit_log.append(event(list_versions={"abc": "v1", "zz": "v%"}))
    second = audit_log.append(event(list_versions={"a_c": "v1", "y%": "v%"}))
    found = {name: [r.seq for r in audit_log.query(AuditFilter(list_version=name)).records]
             for name in ("abc@v1", "a_c@v1", "v1", "y%@v%", "zz@v%", "zz@v1", "a%@v1")}
    assert found == {"abc@v1": [first.seq], "a_c@v1": [second.seq], "v1": [second.seq, first.seq],
                     "y%@v%": [second.seq], "zz@v%": [first.seq], "zz@v1": [], "a%@v1": []}


def test_records_with_the_earlier_index_terms_verify_and_are_found(audit_log, monkeypatch):
    """Records written before list_version terms were dropped (each list's version was also
    "list_version:<list>@<version>") still verify, and the filters find them as they do new ones."""
    from compliance import audit_records

    with monkeypatch.context() as patch:
        patch.setattr(audit_records, "index_terms", audit_records.earlier_index_terms)
        old = audit_log.append(event(list_versions={"ofac_sdn": "v1", "un_sc": "v2"}))
    new = audit_log.append(event(list_versions={"ofac_sdn": "v1"}))
    with audit_log.store.engine.connect() as conn:
        stored = {seq: {t for s, t in conn.execute(text("SELECT seq, term FROM audit_terms")) if s == seq}
                  for seq in (old.seq, new.seq)}
    assert stored == {old.seq: {"version:v1", "version:v2", "list_version:ofac_sdn@v1", "list_version:un_sc@v2"},
                      new.seq: {"version:v1"}}
    assert audit_log.verify().ok
    assert [r.seq for r in audit_log.query(AuditFilter(list_version="ofac_sdn@v1")).records] == [new.seq, old.seq]
    assert [r.seq for r in audit_log.query(AuditFilter(list_version="un_sc@v2")).records] == [old.seq]
    sql(audit_log, "DELETE FROM audit_terms WHERE seq = :seq AND term = 'list_version:un_sc@v2'", seq=old.seq)
    report = audit_log.verify()  # neither the earlier terms nor the present ones
    assert (report.ok, report.broken_seq) == (False, old.seq) and "index" in report.reason


def _insert(log: AuditLog, data: dict) -> None:
    row = {k: data[k] for k in ("id", "seq", "action", "hash_scheme", "prev_hash", "hash", "account_id")}
    row |= {"ts": datetime.fromisoformat(data["ts"]), "retain_until": date.fromisoformat(data["retain_until"]),
            "actor_key_id": data["actor"]["key_id"], "actor_name": data["actor"]["name"],
            "actor_role": data["actor"]["role"], "input": json.dumps(data["input"]),
            "matches": json.dumps(data["matches"]), "list_versions": json.dumps(data["list_versions"])}
    with log.store.engine.begin() as conn:
        conn.execute(log.store.tables.audit_records.insert().values(**row))


# --- concurrency ---------------------------------------------------------------------------------

def _append_from_process(url: str, worker: int, start) -> None:
    start.wait(60)
    store = Store.connect(url)
    log = AuditLog(store)
    for i in range(40):
        log.append(event(actor=Actor(name=f"worker-{worker}"), detail={"worker": worker, "i": i}))
    log.append_many([event(actor=Actor(name=f"worker-{worker}"), detail={"worker": worker, "i": 40 + i})
                     for i in range(10)])
    store.close()


def test_concurrent_appends_from_processes_form_one_chain(store_url, audit_log):
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Event()
    workers = [spawn.Process(target=_append_from_process, args=(store_url, n, start)) for n in range(4)]
    for process in workers:
        process.start()
    start.set()
    for process in workers:
        process.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    report = audit_log.verify()
    assert report.ok and report.checked == 200
    records = _all(audit_log, AuditFilter())
    assert sorted(r.seq for r in records) == list(range(1, 201))
    for worker in range(4):
        mine = sorted((r for r in records if r.detail["worker"] == worker), key=lambda r: r.seq)
        assert [r.detail["i"] for r in mine] == list(range(50))  # each process's order kept, none lost


# --- queries -------------------------------------------------------------------------------------

@pytest.fixture
def sample(audit_log) -> list[AuditRecord]:
    bob = Actor(key_id="k2", name="bob", role="screener")
    return [
        audit_log.append(event(account_id="a1", verdict="match", matches=[match("ofac_sdn:1")],
                               list_versions={"ofac_sdn": "2024-05-03"})),
        audit_log.append(event(actor=bob, account_id="a2", verdict="clear",
                               list_versions={"ofac_sdn": "2021-03-10", "un_sc": "2026-02-27"})),
        audit_log.append(event("screen.batch_item", account_id="a3", verdict="review", batch_id="b1",
                               matches=[match("un_sc:9", 0.8), match("ofac_sdn:1")],
                               list_versions={"un_sc": "2026-02-27"})),
        audit_log.append(event("screen.batch_item", actor=bob, account_id="a1", verdict="clear", batch_id="b1")),
        audit_log.append(event("key.create", Actor.system("cli:root"), detail={"key_id": "k3"})),
    ]


@pytest.mark.parametrize("filters, expected", [
    (AuditFilter(), [1, 2, 3, 4, 5]),
    (AuditFilter(actor="k2"), [2, 4]),
    (AuditFilter(actor="alice"), [1, 3]),
    (AuditFilter(actor="cli:root"), [5]),
    (AuditFilter(account_id="a1"), [1, 4]),
    (AuditFilter(action="screen.batch_item"), [3, 4]),
    (AuditFilter(verdict="clear"), [2, 4]),
    (AuditFilter(entity_id="ofac_sdn:1"), [1, 3]),
    (AuditFilter(entity_id="un_sc:9"), [3]),
    (AuditFilter(entity_id="nothing:0"), []),
    (AuditFilter(list_version="2026-02-27"), [2, 3]),
    (AuditFilter(list_version="ofac_sdn@2021-03-10"), [2]),
    (AuditFilter(list_version="un_sc@2024-05-03"), []),
    (AuditFilter(batch_id="b1"), [3, 4]),
    (AuditFilter(batch_id="b1", verdict="review", entity_id="ofac_sdn:1"), [3]),
])
def test_query_filters(audit_log, sample, filters, expected):
    page = audit_log.query(filters)
    assert [r.seq for r in page.records] == sorted(expected, reverse=True)  # newest first
    assert page.next_cursor is None


def test_query_time_range(audit_log, sample):
    since, until = sample[1].ts, sample[3].ts  # since inclusive, until exclusive
    assert [r.seq for r in audit_log.query(AuditFilter(since=since, until=until)).records] == [3, 2]
    naive = since.replace(tzinfo=None)  # taken as UTC
    assert [r.seq for r in audit_log.query(AuditFilter(since=naive)).records] == [5, 4, 3, 2]


def test_cursor_pages_visit_every_record_once(audit_log):
    audit_log.append_many([event(account_id="even" if n % 2 == 0 else "odd") for n in range(25)])
    for filters, total in ((AuditFilter(), 25), (AuditFilter(account_id="even"), 13)):
        seen, cursor, pages = [], None, 0
        while True:
            page = audit_log.query(filters, limit=4, cursor=cursor)
            seen += [r.seq for r in page.records]
            pages += 1
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert len(seen) == len(set(seen)) == total and seen == sorted(seen, reverse=True)
        assert pages == -(-total // 4)


def test_bad_cursor_and_limit_are_refused(audit_log):
    for cursor in ("garbage", "djI6MTA", "", "%%%"):
        with pytest.raises(CursorError):
            audit_log.query(AuditFilter(), cursor=cursor)
    for limit in (0, 1001):
        with pytest.raises(ValueError):
            audit_log.query(AuditFilter(), limit=limit)


# --- exports -------------------------------------------------------------------------------------

def _all(log: AuditLog, filters: AuditFilter) -> list[AuditRecord]:
    return sorted(log.query(filters, limit=1000).records, key=lambda r: r.seq)


@pytest.mark.parametrize("filters", [AuditFilter(), AuditFilter(entity_id="ofac_sdn:1")])
def test_jsonl_export_parses_back_and_rehashes(audit_log, sample, filters):
    lines = "".join(audit_log.export(filters, "jsonl")).splitlines()
    parsed = [json.loads(line) for line in lines]
    assert parsed == [r.to_dict() for r in _all(audit_log, filters)]
    assert all(p["hash"] == expected_hash(p) for p in parsed)


def test_csv_export_parses_back(audit_log, sample):
    rows = list(csv.DictReader(io.StringIO("".join(audit_log.export(AuditFilter(), "csv")))))
    assert [int(r["seq"]) for r in rows] == [1, 2, 3, 4, 5]
    for row, record in zip(rows, sample):
        assert row["id"] == record.id and row["action"] == record.action and row["hash"] == record.hash
        assert (row["actor_key_id"], row["actor_name"]) == (record.actor.key_id or "", record.actor.name)
        assert json.loads(row["matches"]) == record.matches
        assert json.loads(row["list_versions"]) == record.list_versions
        assert json.loads(row["input"]) == record.input and json.loads(row["detail"]) == record.detail
        assert row["verdict"] == (record.verdict or "")


def test_export_streams_in_batches(audit_log, monkeypatch):
    monkeypatch.setattr("compliance.audit.BATCH_ROWS", 7)
    audit_log.append_many([event(input={"n": n}) for n in range(20)])
    chunks = list(audit_log.export(AuditFilter(), "csv"))
    assert len(chunks) == 1 + 3  # header, then 7 + 7 + 6 rows
    assert chunks[0].startswith("id,seq,ts,") and sum(c.count("\r\n") for c in chunks) == 21


def test_empty_export_and_unknown_format(audit_log):
    assert list(audit_log.export(AuditFilter(), "jsonl")) == []
    assert "".join(audit_log.export(AuditFilter(), "csv")).startswith("id,seq,ts,retain_until,action,")
    with pytest.raises(ValueError, match="unknown export format"):
        audit_log.export(AuditFilter(), "xml")


def test_verify_reads_in_batches(audit_log, monkeypatch):
    monkeypatch.setattr("compliance.audit.BATCH_ROWS", 3)
    audit_log.append_many([event(matches=[match(f"ofac_sdn:{n}")]) for n in range(10)])
    assert audit_log.verify().checked == 10
    sql(audit_log, "UPDATE audit_records SET verdict = 'clear' WHERE seq = 8")
    assert audit_log.verify().broken_seq == 8
