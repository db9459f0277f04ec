"""API keys and roles: create (shown once), list, revoke, authenticate. Stored only as hashes.

A key reads `cs_<id>_<secret>`: the id finds the row (one primary-key lookup), the secret is
checked against the stored hash in constant time.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from compliance.audit import Actor, AuditEvent, AuditLog
from compliance.errors import TYPE_BASE, ConflictError, NotFoundError
from compliance.store import Store

KEY_PREFIX = "cs"
SECRET_BYTES = 32  # 256 bits from secrets.token_urlsafe
ID_BYTES = 8
MAX_NAME = 200
_KEY_FORMAT = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{{2 * ID_BYTES}}})_([A-Za-z0-9_-]{{20,100}})")


class Role(StrEnum):
    SCREENER = "screener"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    SCREEN = "screen"
    LISTS_READ = "lists:read"
    REVIEW = "review"
    AUDIT_READ = "audit:read"
    KEYS_ADMIN = "keys:admin"
    LISTS_ADMIN = "lists:admin"


_SCREENER = frozenset({Permission.SCREEN, Permission.LISTS_READ})
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType({
    Role.SCREENER: _SCREENER,
    Role.ANALYST: _SCREENER | {Permission.REVIEW},
    Role.AUDITOR: frozenset({Permission.AUDIT_READ, Permission.LISTS_READ}),  # reads, never screens
    Role.ADMIN: frozenset(Permission),
})


class KeyNotFoundError(NotFoundError):
    """No key has this id (404 over HTTP)."""


class LastAdminKeyError(ConflictError):
    """Revoking this key would leave no active admin key."""

    type = TYPE_BASE + "last-admin-key"


@dataclass(frozen=True)
class ApiKey:
    """A key as listed: never its secret."""

    id: str
    name: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def prefix(self) -> str:
        """The non-secret start of the key, to tell keys apart on screen: `cs_<id>_`."""
        return f"{KEY_PREFIX}_{self.id}_"

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def actor(self) -> Actor:
        return Actor(key_id=self.id, name=self.name, role=self.role.value)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "role": self.role.value, "prefix": self.prefix,
                "created_at": _stamp(self.created_at), "revoked_at": _stamp(self.revoked_at)}


class KeyStore:
    """API keys in a Store; every change is audited in the same transaction."""

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
        self._keys = store.tables.api_keys
        # authenticate()'s lookup, built once (it runs on every request)
        self._by_id = select(self._keys).where(self._keys.c.id == bindparam("key_id"))

    def create(self, name: str, role: Role | str, actor: Actor, request_id: str | None = None,
               client: str | None = None) -> tuple[ApiKey, str]:
        """A new key and its secret (shown once, never stored). Raises ValueError for a bad name or role."""
        name, role = _valid_name(name), Role(role)
        with self.store.begin_write() as conn:
            return self._create_in(conn, name, role, actor, request_id, client)

    def bootstrap(self, actor: Actor, name: str = "bootstrap-admin") -> tuple[ApiKey, str] | None:
        """An admin key when no active admin key exists, else None (checked under the write lock)."""
        with self.store.begin_write() as conn:
            if self._count_active(conn, Role.ADMIN):
                return None
            return self._create_in(conn, name, Role.ADMIN, actor)

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(self._keys).order_by(self._keys.c.created_at, self._keys.c.id)).all()
        return [_key(r._mapping) for r in rows]

    def get(self, key_id: str) -> ApiKey:
        """Raises KeyNotFoundError."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(self._keys).where(self._keys.c.id == key_id)).first()
        if row is None:
            raise KeyNotFoundError(f"no API key with id {key_id!r}")
        return _key(row._mapping)

    def revoke(self, key_id: str, actor: Actor, request_id: str | None = None, client: str | None = None,
               keep_an_admin: bool = False) -> ApiKey:
        """Revoke a key (at once: authenticate reads the row on every call); a revoked key stays revoked.
        `keep_an_admin`: refuse to revoke the last active admin key (over HTTP, that would leave
        nobody able to manage keys; the CLI may, and `keys bootstrap` makes a new one).

        Raises KeyNotFoundError, LastAdminKeyError.
        """
        k = self._keys
        with self.store.begin_write() as conn:
            row = conn.execute(select(k).where(k.c.id == key_id)).first()
            if row is None:
                raise KeyNotFoundError(f"no API key with id {key_id!r}")
            key = _key(row._mapping)
            if not key.active:
                return key
            if keep_an_admin and key.role is Role.ADMIN and self._count_active(conn, Role.ADMIN) <= 1:
                raise LastAdminKeyError(f"key {key.id} is the last active admin key: create another admin key "
                                        "before revoking it")
            key = ApiKey(key.id, key.name, key.role, key.created_at, datetime.now(UTC))
            conn.execute(update(k).where(k.c.id == key_id).values(revoked_at=key.revoked_at))
            self.audit.append_in(conn, [AuditEvent("key.revoke", actor, request_id=request_id, client=client,
                                                   detail=_detail(key))])
        return key

    def authenticate(self, secret: str) -> ApiKey | None:
        """The active key whose full text is `secret`; None for anything else.

        One primary-key lookup and no cache, so a revocation takes effect on the next request.
        """
        parsed = _KEY_FORMAT.fullmatch(secret) if len(secret) <= 150 else None
        if parsed is None:
            return None
        row = self.store.read_one(self._by_id, {"key_id": parsed.group(1)})
        if row is None or not hmac.compare_digest(row["secret_hash"], _hash(secret)):
            return None
        key = _key(row)
        return key if key.active else None

    def count_active(self, role: Role | None = None) -> int:
        with self.store.engine.connect() as conn:
            return self._count_active(conn, role)

    def _count_active(self, conn: Connection, role: Role | None) -> int:
        k = self._keys
        stmt = select(func.count()).select_from(k).where(k.c.revoked_at.is_(None))
        if role is not None:
            stmt = stmt.where(k.c.role == role.value)
        return conn.scalar(stmt)

    def _create_in(self, conn: Connection, name: str, role: Role, actor: Actor, request_id: str | None = None,
                   client: str | None = None) -> tuple[ApiKey, str]:
        key = ApiKey(secrets.token_hex(ID_BYTES), name, role, datetime.now(UTC), None)
        secret = f"{KEY_PREFIX}_{key.id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        conn.execute(insert(self._keys).values(id=key.id, name=name, role=role.value, secret_hash=_hash(secret),
                                               created_at=key.created_at))
        self.audit.append_in(conn, [AuditEvent("key.create", actor, request_id=request_id, client=client,
                                               detail=_detail(key))])
        return key, secret


def _hash(secret: str) -> str:
    # A plain SHA-256 is enough: the secret holds 256 random bits, so there is nothing to
    # guess offline; slow password hashes (bcrypt, scrypt) exist for low-entropy secrets and
    # would cost milliseconds on every request.
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or "\x00" in name:
        raise ValueError(f"a key name must be 1 to {MAX_NAME} characters")
    return name


def _detail(key: ApiKey) -> dict[str, Any]:
    return {"key_id": key.id, "name": key.name, "role": key.role.value}


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _key(row: Mapping[str, Any]) -> ApiKey:
    return ApiKey(row["id"], row["name"], Role(row["role"]), row["created_at"], row["revoked_at"])
