"""Audit events and records, the hash scheme that chains them, and their database rows.

Scheme "audit-v1": hash = sha256(canonical_json(record.to_dict() without "hash")).hexdigest(),
where to_dict() carries prev_hash and hash_scheme and canonical_json sorts keys, drops whitespace
and escapes non-ASCII (json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)).
"""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Row

from compliance.store import GENESIS_HASH

__all__ = ["GENESIS_HASH", "HASH_SCHEME", "Actor", "AuditEvent", "AuditRecord", "Prepared", "canonical_json",
           "prepare", "record_hash", "record_from_row", "seal"]

# Bump when the hashed form changes; verify() refuses records of a scheme it does not know.
HASH_SCHEME = "audit-v1"
JSON_FIELDS = ("input", "matches", "list_versions", "detail")
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
# Stored JSON text: canonical too, with anything not JSON-able stored as its str()
_STORED = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=str)
TEXT_FIELDS = ("account_id", "verdict", "engine_version", "policy_version", "request_id", "client", "batch_id")


@dataclass(frozen=True)
class Actor:
    """Who acted: an API key (id, name, role), or an operator at the command line."""

    key_id: str | None = None
    name: str | None = None
    role: str | None = None

    @classmethod
    def system(cls, name: str) -> Actor:
        """An operator acting outside the API, e.g. `Actor.system("cli:alice")`: no key, admin rights."""
        return cls(key_id=None, name=name, role="admin")

    def to_dict(self) -> dict[str, str | None]:
        return {"key_id": self.key_id, "name": self.name, "role": self.role}


@dataclass(frozen=True)
class AuditEvent:
    """Something to record. `input`, `matches`, `list_versions` and `detail` must be JSON-able
    (other values are stored as their str()); strings may not contain NUL characters."""

    action: str
    actor: Actor
    input: Any = None
    account_id: str | None = None
    verdict: str | None = None
    matches: Sequence[Mapping[str, Any]] = ()
    list_versions: Mapping[str, str] = field(default_factory=dict)
    engine_version: str | None = None
    policy_version: str | None = None
    request_id: str | None = None
    client: str | None = None
    batch_id: str | None = None
    status: int | None = None
    detail: Any = None


@dataclass(frozen=True)
class AuditRecord:
    """An AuditEvent as stored: its place in the chain, time, retention and hashes."""

    id: str
    seq: int
    ts: datetime
    retain_until: date
    action: str
    actor: Actor
    input: Any = None
    account_id: str | None = None
    verdict: str | None = None
    matches: list[dict[str, Any]] = field(default_factory=list)
    list_versions: dict[str, str] = field(default_factory=dict)
    engine_version: str | None = None
    policy_version: str | None = None
    request_id: str | None = None
    client: str | None = None
    batch_id: str | None = None
    status: int | None = None
    detail: Any = None
    prev_hash: str = GENESIS_HASH
    hash: str = ""
    hash_scheme: str = HASH_SCHEME

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (API, JSONL export); without "hash" it is exactly what is hashed."""
        return {
            "id": self.id, "seq": self.seq, "ts": self.ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "retain_until": self.retain_until.isoformat(), "action": self.action, "actor": self.actor.to_dict(),
            "input": self.input, "account_id": self.account_id, "verdict": self.verdict, "matches": self.matches,
            "list_versions": self.list_versions, "engine_version": self.engine_version,
            "policy_version": self.policy_version, "request_id": self.request_id, "client": self.client,
            "batch_id": self.batch_id, "status": self.status, "detail": self.detail,
            "hash_scheme": self.hash_scheme, "prev_hash": self.prev_hash, "hash": self.hash,
        }


def canonical_json(value: Any) -> str:
    return _CANONICAL.encode(value)


def record_hash(record: AuditRecord) -> str:
    """The record's hash under HASH_SCHEME (see the module docstring)."""
    content = record.to_dict()
    del content["hash"]
    return hashlib.sha256(canonical_json(content).encode("ascii")).hexdigest()


def _sealed_hash(record: AuditRecord, texts: Mapping[str, str | None]) -> str:
    """record_hash(record), reusing the JSON fields' canonical text instead of encoding them again.

    With those fields set to null, each `"<field>":null` occurs once, at the top level: inside a
    string value the quotes would be escaped. verify() recomputes with record_hash() itself.
    """
    content = record.to_dict() | dict.fromkeys(JSON_FIELDS)
    del content["hash"]
    encoded = canonical_json(content)
    for name in JSON_FIELDS:
        encoded = encoded.replace(f'"{name}":null', f'"{name}":{texts[name] or "null"}', 1)
    return hashlib.sha256(encoded.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Prepared:
    """An event checked and encoded, waiting for its place in the chain.

    Preparing is most of the work, and needs no lock: only seal() runs under the write lock.
    """

    values: dict[str, Any]  # the AuditRecord fields but id, seq, ts, retain_until and the hashes
    texts: dict[str, str | None]  # the JSON fields' canonical text, as stored and hashed


def prepare(event: AuditEvent) -> Prepared:
    """Validate `event` and normalize its JSON fields through their stored text, so the record
    sealed from it equals the one read back later, and hashes the same.

    Raises ValueError for a missing action, malformed matches or list versions, NaN or NUL.
    """
    given = {"input": event.input, "matches": event.matches or [], "list_versions": event.list_versions or {},
             "detail": event.detail}
    texts = {name: _json_text(value) for name, value in given.items()}
    values = {name: None if text is None else json.loads(text) for name, text in texts.items()}
    if not isinstance(values["matches"], list) or not isinstance(values["list_versions"], dict):
        raise ValueError("audit matches must be a sequence and list_versions a mapping")
    action = _text("action", event.action)
    if not action:
        raise ValueError("an audit event needs an action")
    values.update({name: _text(name, getattr(event, name)) for name in TEXT_FIELDS}, action=action,
                  actor=Actor(*(_text(f"actor.{k}", v) for k, v in event.actor.to_dict().items())),
                  status=None if event.status is None else int(event.status))
    return Prepared(values, texts)


def seal(prepared: Prepared, seq: int, ts: datetime, retain: date, prev_hash: str
         ) -> tuple[AuditRecord, dict[str, Any]]:
    """The record at `seq` after `prev_hash`, and its row for audit_records."""
    record = AuditRecord(id=_time_ordered_id(ts), seq=seq, ts=ts, retain_until=retain, prev_hash=prev_hash,
                         **prepared.values)
    record = replace(record, hash=_sealed_hash(record, prepared.texts))
    row = {name: getattr(record, name) for name in ("id", "seq", "ts", "retain_until", "action", *TEXT_FIELDS,
                                                    "status", "hash_scheme", "prev_hash", "hash")}
    row.update(prepared.texts, actor_key_id=record.actor.key_id, actor_name=record.actor.name,
               actor_role=record.actor.role)
    return record, row


def record_from_row(row: Row) -> AuditRecord:
    """The record stored in an audit_records row."""
    m = row._mapping
    return AuditRecord(
        id=m["id"], seq=m["seq"], ts=m["ts"], retain_until=m["retain_until"], action=m["action"],
        actor=Actor(m["actor_key_id"], m["actor_name"], m["actor_role"]),
        **{name: None if m[name] is None else json.loads(m[name]) for name in JSON_FIELDS},
        **{name: m[name] for name in TEXT_FIELDS},
        status=m["status"], prev_hash=m["prev_hash"], hash=m["hash"], hash_scheme=m["hash_scheme"])


def retain_until(ts: datetime, years: int) -> date:
    """The day `years` after `ts`; 29 February rolls forward to 1 March, never back."""
    day = ts.astimezone(UTC).date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28) + timedelta(days=1)


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes, list)):
        value = list(value)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        value = dict(value)
    return _STORED.encode(value)


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    value = str(value)
    if "\x00" in value:
        raise ValueError(f"audit field {name} contains a NUL character")
    return value


def _time_ordered_id(ts: datetime) -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; sorts by time to the ms."""
    ms = int(ts.timestamp() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    return str(uuid.UUID(int=value))
