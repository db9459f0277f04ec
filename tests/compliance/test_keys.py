"""API keys: created once, stored hashed, authenticated, revoked, audited; roles and permissions."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from compliance.audit import Actor, AuditFilter
from compliance.keys import ROLE_PERMISSIONS, ApiKey, KeyNotFoundError, Permission, Role

ADMIN = Actor.system("cli:test")
P = Permission


def test_create_then_authenticate(key_store):
    key, secret = key_store.create("billing-service", Role.SCREENER, ADMIN)
    assert secret.startswith(f"cs_{key.id}_") and key.prefix == f"cs_{key.id}_"
    assert len(secret) - len(key.prefix) >= 43  # token_urlsafe(32): 256 bits
    assert (key.name, key.role, key.active) == ("billing-service", Role.SCREENER, True)
    found = key_store.authenticate(secret)
    assert found == key and found.actor() == Actor(key.id, "billing-service", "screener")


def test_keys_are_random(key_store):
    made = [key_store.create(f"k{n}", Role.SCREENER, ADMIN) for n in range(5)]
    assert len({k.id for k, _ in made}) == len({s for _, s in made}) == 5


@pytest.mark.parametrize("mangle", [
    lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # one character of the secret
    lambda s: s.replace("cs_", "cx_", 1),
    lambda s: "cs_" + "0" * 16 + s[19:],  # another (unknown) key id, same secret
    lambda s: s + "x" * 200,
    lambda s: "",
    lambda s: "Bearer " + s,
])
def test_wrong_keys_do_not_authenticate(key_store, mangle):
    _, secret = key_store.create("x", Role.ADMIN, ADMIN)
    assert key_store.authenticate(mangle(secret)) is None


def test_a_secret_for_one_id_does_not_open_another(key_store):
    first, secret = key_store.create("one", Role.SCREENER, ADMIN)
    second, _ = key_store.create("two", Role.ADMIN, ADMIN)
    assert key_store.authenticate(secret.replace(first.id, second.id)) is None


def test_revoked_key_stops_working_at_once(key_store):
    key, secret = key_store.create("laptop", Role.ANALYST, ADMIN)
    revoked = key_store.revoke(key.id, ADMIN)
    assert revoked.revoked_at is not None and not revoked.active
    assert key_store.authenticate(secret) is None
    again = key_store.revoke(key.id, ADMIN)  # stays revoked, keeps its first revocation time
    assert again.revoked_at == revoked.revoked_at
    assert [k.active for k in key_store.list()] == [False]


def test_revoking_an_unknown_key(key_store):
    with pytest.raises(KeyNotFoundError):
        key_store.revoke("0123456789abcdef", ADMIN)
    with pytest.raises(KeyNotFoundError):
        key_store.get("nope")


def test_secret_is_never_stored(key_store, store, audit_log):
    key, secret = key_store.create("ci", Role.ADMIN, ADMIN)
    key_store.revoke(key.id, ADMIN)
    random_part = secret[len(key.prefix):]
    dumped = []
    with store.engine.connect() as conn:
        for table in store.metadata.sorted_tables:
            dumped += [repr(tuple(row)) for row in conn.execute(select(table))]
    everything = "\n".join(dumped)
    assert key.id in everything  # the scan does see the rows
    assert secret not in everything and random_part not in everything and random_part[:16] not in everything


def test_create_and_revoke_are_audited(key_store, audit_log):
    key, secret = key_store.create("reports", Role.AUDITOR, ADMIN)
    key_store.revoke(key.id, Actor(key_id="kadmin", name="ops", role="admin"))
    created, revoked = sorted(audit_log.query(AuditFilter()).records, key=lambda r: r.seq)
    assert (created.action, revoked.action) == ("key.create", "key.revoke")
    assert created.actor == ADMIN and revoked.actor.key_id == "kadmin"
    assert created.detail == revoked.detail == {"key_id": key.id, "name": "reports", "role": "auditor"}
    assert secret not in str(created.to_dict()) and audit_log.verify().ok


def test_list_and_count(key_store):
    a, _ = key_store.create("a", Role.ADMIN, ADMIN)
    s, _ = key_store.create("s", Role.SCREENER, ADMIN)
    key_store.revoke(a.id, ADMIN)
    assert [k.id for k in key_store.list()] == [a.id, s.id]
    assert key_store.count_active() == 1
    assert key_store.count_active(Role.ADMIN) == 0 and key_store.count_active(Role.SCREENER) == 1
    assert key_store.get(s.id) == s
    shown = key_store.list()[1].to_dict()
    assert shown["prefix"] == f"cs_{s.id}_" and shown["created_at"].endswith("Z") and "key" not in shown


def test_bootstrap_creates_one_admin_key_only_when_none_is_active(key_store):
    key_store.create("screener", Role.SCREENER, ADMIN)
    made = key_store.bootstrap(ADMIN)
    assert made is not None and made[0].role is Role.ADMIN and made[0].name == "bootstrap-admin"
    assert key_store.authenticate(made[1]) == made[0]
    assert key_store.bootstrap(ADMIN) is None
    key_store.revoke(made[0].id, ADMIN)
    assert key_store.bootstrap(ADMIN) is not None


@pytest.mark.parametrize("name, role", [("", Role.ADMIN), ("   ", Role.ADMIN), ("x" * 201, Role.ADMIN),
                                        ("ok", "superuser")])
def test_bad_names_and_roles_are_refused(key_store, name, role):
    with pytest.raises(ValueError):
        key_store.create(name, role, ADMIN)
    assert key_store.list() == []


@pytest.mark.parametrize("role, allowed", [
    (Role.SCREENER, {P.SCREEN, P.LISTS_READ}),
    (Role.ANALYST, {P.SCREEN, P.LISTS_READ, P.REVIEW}),
    (Role.AUDITOR, {P.AUDIT_READ, P.LISTS_READ}),
    (Role.ADMIN, set(Permission)),
])
def test_role_permissions(role, allowed):
    key = ApiKey("0" * 16, "k", role, None, None)
    assert {p for p in Permission if key.can(p)} == allowed == ROLE_PERMISSIONS[role]


def test_auditor_cannot_screen_and_admin_can_everything():
    auditor, admin = (ApiKey("0" * 16, "k", r, None, None) for r in (Role.AUDITOR, Role.ADMIN))
    assert not auditor.can(Permission.SCREEN) and auditor.can(Permission.AUDIT_READ)
    assert all(admin.can(p) for p in Permission)
