"""Audit events and records, the hash scheme that chains them, and their database rows.

Scheme "audit-v1": hash = sha256(canonical_json(record.to_dict() without "hash")).hexdigest(),
where to_dict() carries prev_hash and hash_scheme and canonical_json sorts keys, drops whitespace
and escapes non-ASCII (json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=True)).

Appending encodes that text in two steps, so that little is left for the write lock: `prepare`
encodes everything but the five fields the chain decides (id, seq, ts, retain_until, prev_hash),
as the text between them; `seal` puts those five in and hashes. verify() recomputes every hash
from the stored record with `record_hash` alone.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from sqlalchemy import Row

from compliance.store import GENESIS_HASH

__all__ = ["GENESIS_HASH", "HASH_SCHEME", "Actor", "AuditEvent", "AuditRecord", "Prepared", "canonical_json",
           "earlier_index_terms", "index_terms", "prepare", "record_hash", "record_from_row", "seal"]

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
            "id": self.id, "seq": self.seq, "ts": _stamp(self.ts),
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


@dataclass(frozen=True)
class Prepared:
    """An event checked and encoded, waiting for its place in the chain.

    Preparing is most of the work, and needs no lock: only seal() runs under the write lock.
    """

    values: dict[str, Any]  # the AuditRecord fields but id, seq, ts, retain_until and the hashes
    texts: dict[str, str | None]  # the JSON fields' canonical text, as stored and hashed
    hashed: tuple[str, ...]  # the hashed text around id, prev_hash, retain_until, seq and ts
    row: dict[str, Any]  # its audit_records row but for the chain's fields
    terms: frozenset[str]  # its audit_terms (index_terms)


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
    actor = Actor(*(_text(f"actor.{k}", v) for k, v in event.actor.to_dict().items()))
    values.update({name: _text(name, getattr(event, name)) for name in TEXT_FIELDS}, action=action,
                  actor=actor, status=None if event.status is None else int(event.status))
    row = {name: values[name] for name in ("action", *TEXT_FIELDS, "status")}
    row.update(texts, hash_scheme=HASH_SCHEME, actor_key_id=actor.key_id, actor_name=actor.name,
               actor_role=actor.role)
    return Prepared(values, texts, _hashed_text(values, texts), row,
                    index_terms(values["matches"], values["list_versions"]))


def seal(prepared: Prepared, seq: int, ts: datetime, retain: date, prev_hash: str
         ) -> tuple[AuditRecord, dict[str, Any]]:
    """The record at `seq` after `prev_hash`, and its row for audit_records."""
    record_id, text = _time_ordered_id(ts), prepared.hashed
    digest = hashlib.sha256(f'{text[0]}"{record_id}"{text[1]}"{prev_hash}"{text[2]}"{retain.isoformat()}"{text[3]}'
                            f'{seq}{text[4]}"{_stamp(ts)}"{text[5]}'.encode("ascii")).hexdigest()
    record = AuditRecord(id=record_id, seq=seq, ts=ts, retain_until=retain, prev_hash=prev_hash, hash=digest,
                         **prepared.values)
    return record, {**prepared.row, "id": record_id, "seq": seq, "ts": ts, "retain_until": retain,
                    "prev_hash": prev_hash, "hash": digest}


def index_terms(matches: Sequence[Any], list_versions: Mapping[str, Any]) -> frozenset[str]:
    """What audit_terms holds for a record: its matched entities and the versions of the lists
    in force. (A list id with its version is found through the version's term and the record's
    list_versions: see AuditLog's list_version filter.)"""
    return _terms(matches, list_versions, earlier=False)


def earlier_index_terms(matches: Sequence[Any], list_versions: Mapping[str, Any]) -> frozenset[str]:
    """index_terms as records before the tenth session's release have them: each list's version
    also as "list_version:<list>@<version>". Five more rows a screening (one per list in force),
    each its own page of the terms' index written at every commit; no filter reads them now."""
    return _terms(matches, list_versions, earlier=True)


def _terms(matches: Sequence[Any], list_versions: Mapping[str, Any], earlier: bool) -> frozenset[str]:
    terms = {f"entity:{m['entity_id']}" for m in matches if isinstance(m, Mapping) and m.get("entity_id") is not None}
    for list_id, version in list_versions.items():
        if version is not None:
            terms |= {f"version:{version}", f"list_version:{list_id}@{version}"} if earlier else {f"version:{version}"}
    return frozenset(terms)


def _hashed_text(values: Mapping[str, Any], texts: Mapping[str, str | None]) -> tuple[str, ...]:
    """canonical_json of the record's to_dict() without "hash", cut where the chain's fields go:
    its keys in sorted order, the JSON fields as their stored canonical text (which encodes again
    to itself). Written out rather than looped over: this runs once per record."""
    v, q, actor = values, _scalar, values["actor"]
    return (f'{{"account_id":{q(v["account_id"])},"action":{q(v["action"])},"actor":{{"key_id":{q(actor.key_id)},'
            f'"name":{q(actor.name)},"role":{q(actor.role)}}},"batch_id":{q(v["batch_id"])},"client":{q(v["client"])},'
            f'"detail":{texts["detail"] or "null"},"engine_version":{q(v["engine_version"])},'
            f'"hash_scheme":{q(HASH_SCHEME)},"id":',
            f',"input":{texts["input"] or "null"},"list_versions":{texts["list_versions"]},'
            f'"matches":{texts["matches"]},"policy_version":{q(v["policy_version"])},"prev_hash":',
            f',"request_id":{q(v["request_id"])},"retain_until":',
            ',"seq":',
            f',"status":{q(v["status"])},"ts":',
            f',"verdict":{q(v["verdict"])}}}')


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
    if type(value) not in (dict, list):  # dict and list, by far the most common, need no ABC check
        if isinstance(value, Sequence) and not isinstance(value, (str, bytes, list)):
            value = list(value)
        elif isinstance(value, Mapping) and not isinstance(value, dict):
            value = dict(value)
    return _STORED.encode(value)


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    value = str(value)
    if "\x00" in value:
        raise ValueError(f"audit field {name} contains a NUL character")
    return value


def _scalar(value: str | int | None) -> str:
    """canonical_json of a text field, the status or None (json's own string encoder, without its
    dispatch: this runs a dozen times per record)."""
    if value is None:
        return "null"
    return encode_basestring_ascii(value) if isinstance(value, str) else str(int(value))


@lru_cache(maxsize=4)
def _stamp(ts: datetime) -> str:
    """AuditRecord.to_dict()'s "ts" (one append seals all its records with one ts)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time_ordered_id(ts: datetime) -> str:
    """A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; sorts by time to the ms."""
    ms = int(ts.timestamp() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & (2**48 - 1)) << 80 | 0x7 << 76 | (rand >> 68 & 0xFFF) << 64 | 0b10 << 62 | rand & (2**62 - 1)
    text = f"{value:032x}"  # what str(uuid.UUID(int=value)) gives, without building the UUID
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
