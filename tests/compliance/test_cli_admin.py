"""`python -m compliance keys ...` and `audit ...` run as an operator runs them: real subprocesses.

Each run costs about a second, so most tests use SQLite only; `audit verify` runs on both
backends to show the CLI reaches PostgreSQL through COMPLIANCE_DATABASE_URL.
"""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import text

from compliance.audit import Actor, AuditFilter, AuditLog
from compliance.keys import KeyStore, Role
from compliance.store import Store
from tests.cli import run_cli


def run(store_url: str, instance, *args: str):
    return run_cli(*args, instance=instance, COMPLIANCE_DATABASE_URL=store_url)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'store.sqlite3'}"


def make_keys(store_url: str, *names: str) -> None:
    """Keys made through the library, not the CLI (each CLI run costs about a second)."""
    store = Store.connect(store_url)
    keys = KeyStore(store, AuditLog(store))
    for name in names:
        keys.create(name, Role.SCREENER, Actor.system("test"))
    store.close()


def test_keys_create_list_revoke(sqlite_url, tmp_path):
    done = run(sqlite_url, tmp_path, "keys", "create", "--role", "screener", "--name", "billing", "--json")
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    assert set(created) == {"id", "name", "role", "key"}
    assert (created["name"], created["role"]) == ("billing", "screener")
    assert created["key"].startswith(f"cs_{created['id']}_")

    listed = run(sqlite_url, tmp_path, "keys", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert (row["id"], row["role"], row["revoked_at"]) == (created["id"], "screener", None)
    assert created["key"] not in listed.stdout

    assert run(sqlite_url, tmp_path, "keys", "revoke", created["id"]).returncode == 0
    table = run(sqlite_url, tmp_path, "keys", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "ROLE", "CREATED", "REVOKED"]
    assert created["id"] in table[1] and table[1].rstrip().endswith("UTC")  # a revocation time, not "-"
    missing = run(sqlite_url, tmp_path, "keys", "revoke", "0123456789abcdef")
    assert missing.returncode == 1 and "no API key" in missing.stderr

    store = Store.connect(sqlite_url)
    assert KeyStore(store, AuditLog(store)).authenticate(created["key"]) is None
    actions = [r.action for r in AuditLog(store).query(AuditFilter(actor=_operator_name(store))).records]
    store.close()
    assert actions == ["key.revoke", "key.create"]


def _operator_name(store: Store) -> str:
    record = AuditLog(store).query(AuditFilter(action="key.create")).records[0]
    assert record.actor.name.startswith("cli:") and record.actor.role == "admin"
    return record.actor.name


def test_bad_role_is_a_usage_error(sqlite_url, tmp_path):
    done = run(sqlite_url, tmp_path, "keys", "create", "--role", "root", "--name", "x")
    assert done.returncode == 2 and "root" in done.stderr


def test_bootstrap_prints_an_admin_key_once(sqlite_url, tmp_path):
    first = run(sqlite_url, tmp_path, "keys", "bootstrap")
    assert first.returncode == 0, first.stderr
    [secret] = [w for w in first.stdout.split() if w.startswith("cs_")]
    assert "keys create --role" in first.stdout
    second = run(sqlite_url, tmp_path, "keys", "bootstrap")
    assert second.returncode == 0 and "cs_" not in second.stdout and len(second.stdout.splitlines()) <= 1
    store = Store.connect(sqlite_url)
    key = KeyStore(store, AuditLog(store)).authenticate(secret)
    store.close()
    assert key is not None and (key.name, key.role.value) == ("bootstrap-admin", "admin")


def test_audit_verify_exit_codes(store_url, tmp_path):
    make_keys(store_url, "a", "b", "c")
    intact = run(store_url, tmp_path, "audit", "verify", "--json")
    assert intact.returncode == 0, intact.stderr
    assert json.loads(intact.stdout) == {"ok": True, "checked": 3, "broken_seq": None, "broken_id": None,
                                         "reason": None}

    store = Store.connect(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_records SET actor_name = 'someone else' WHERE seq = 2"))
    store.close()
    broken = run(store_url, tmp_path, "audit", "verify")
    assert broken.returncode == 1 and "seq 2" in broken.stderr and "BROKEN" in broken.stderr
    as_json = run(store_url, tmp_path, "audit", "verify", "--json")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["broken_seq"] == 2


def test_audit_export(sqlite_url, tmp_path):
    make_keys(sqlite_url, "a", "b")
    out = tmp_path / "audit.csv"
    done = run(sqlite_url, tmp_path, "audit", "export", "--format", "csv", "--action", "key.create", "-o", str(out))
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert [(r["action"], json.loads(r["detail"])["name"]) for r in rows] == [("key.create", "a"), ("key.create", "b")]

    jsonl = run(sqlite_url, tmp_path, "audit", "export", "--format", "jsonl", "--since", "2000-01-01")
    assert jsonl.returncode == 0, jsonl.stderr
    actions = [json.loads(line)["action"] for line in jsonl.stdout.splitlines()]
    assert actions == ["key.create", "key.create", "audit.export", "audit.export"]  # exports are audited too
    bad = run(sqlite_url, tmp_path, "audit", "export", "--format", "jsonl", "--since", "yesterday")
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr
