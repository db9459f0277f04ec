"""Append-only, hash-chained audit log: append, read, filter and verify. No update, no delete.

The record types, the hash scheme and the row mapping live in `compliance.audit_records`.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, Select, bindparam, func, or_, select, update

from compliance.audit_export import export_chunks
from compliance.audit_records import (GENESIS_HASH, HASH_SCHEME, Actor, AuditEvent, AuditRecord, Prepared,
                                      canonical_json, earlier_index_terms, index_terms, prepare, record_from_row,
                                      record_hash, retain_until, seal)
from compliance.store import HEAD_ID, Store, execute_plain, insert_rows

__all__ = ["Actor", "AuditEvent", "AuditRecord", "AuditFilter", "AuditPage", "ChainReport", "AuditLog",
           "CursorError", "HASH_SCHEME", "Prepared", "prepare"]

MAX_PAGE = 1000
# Rows read per round trip by verify() and export(): bounded memory however long the log.
BATCH_ROWS = 1000


class CursorError(ValueError):
    """A pagination cursor that this log did not hand out."""


@dataclass(frozen=True)
class AuditFilter:
    """What query() and export() select; every field narrows, None means any.

    `since` is inclusive and `until` exclusive (naive datetimes are taken as UTC); `actor` is a
    key id or name; `entity_id` any match's entity; `list_version` "version" or "list_id@version".
    """

    since: datetime | None = None
    until: datetime | None = None
    actor: str | None = None
    account_id: str | None = None
    action: str | None = None
    verdict: str | None = None
    entity_id: str | None = None
    list_version: str | None = None
    batch_id: str | None = None


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class ChainReport:
    """The outcome of verify(): `checked` links held; the first broken one, if any."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    broken_id: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked, "broken_seq": self.broken_seq,
                "broken_id": self.broken_id, "reason": self.reason}


class AuditLog:
    """The audit log in a Store. Safe under concurrent appends from several processes."""

    def __init__(self, store: Store, retention_years: int = 10) -> None:
        if retention_years < 1:
            raise ValueError("retention_years must be at least 1")
        self.store = store
        self.retention_years = retention_years
        self._t = store.tables
        # The append's statements, built once: SQLAlchemy then reuses their cache keys and
        # compiled forms instead of building and hashing new expressions on every append.
        head = self._t.audit_head
        self._read_head = select(head.c.seq, head.c.hash).where(head.c.id == HEAD_ID)
        self._move_head = (update(head).where(head.c.id == HEAD_ID)
                           .values(seq=bindparam("head_seq"), hash=bindparam("head_hash")))

    def append(self, event: AuditEvent) -> AuditRecord:
        """Append one event in its own transaction."""
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AuditEvent]) -> list[AuditRecord]:
        """Append events in one transaction: all of them, in order, or none."""
        if not events:
            return []
        prepared = [prepare(e) for e in events]  # before taking the lock: most of the work
        with self.store.begin_write() as conn:
            return self._write(conn, prepared)

    def append_in(self, conn: Connection, events: Sequence[AuditEvent | Prepared]) -> list[AuditRecord]:
        """Append within the caller's `Store.begin_write()` transaction (commits with it).

        Events `prepare`d before the transaction began leave less to do while it holds the lock.
        """
        if not events:
            return []
        return self._write(conn, [e if isinstance(e, Prepared) else prepare(e) for e in events])

    def _write(self, conn: Connection, prepared: list[Prepared]) -> list[AuditRecord]:
        head = execute_plain(conn, self._read_head)
        seq, prev = head["seq"], head["hash"]
        ts = datetime.now(UTC)  # taken under the write lock, so ts never runs backwards along seq
        retain = retain_until(ts, self.retention_years)
        records, rows, terms = [], [], []
        for item in prepared:
            seq += 1
            record, row = seal(item, seq, ts, retain, prev)
            prev = record.hash
            records.append(record)
            rows.append(row)
            terms += [{"seq": seq, "term": term} for term in item.terms]
        insert_rows(conn, self._t.audit_records, rows)
        insert_rows(conn, self._t.audit_terms, terms)
        execute_plain(conn, self._move_head, {"head_seq": seq, "head_hash": prev})
        return records

    def get(self, record_id: str) -> AuditRecord | None:
        t = self._t.audit_records
        with self.store.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == record_id)).first()
        return None if row is None else record_from_row(row)

    def query(self, filters: AuditFilter, limit: int = 100, cursor: str | None = None) -> AuditPage:
        """One page of matching records, newest (highest seq) first; pass next_cursor for the next.

        Raises:
            ValueError: limit outside 1..MAX_PAGE; CursorError for a cursor not from this log.
        """
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE}")
        t = self._t.audit_records
        stmt = select(t).where(*self._conditions(filters)).order_by(t.c.seq.desc()).limit(limit + 1)
        if cursor is not None:
            stmt = stmt.where(t.c.seq < _decode_cursor(cursor))
        with self.store.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        records = [record_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(records, _encode_cursor(records[-1].seq) if more else None)

    def export(self, filters: AuditFilter, fmt: str) -> Iterator[str]:
        """Matching records, oldest first, as "csv" (with header) or "jsonl" text chunks.

        Raises ValueError at once for an unknown format; rows are read in batches as the
        chunks are consumed (one open connection until the iterator is exhausted or closed).
        """
        t = self._t.audit_records
        stmt = select(t).where(*self._conditions(filters)).order_by(t.c.seq)
        return export_chunks(self._stream(stmt), fmt)

    def _stream(self, stmt: Select) -> Iterator[list[AuditRecord]]:
        with self.store.engine.connect() as conn:
            result = conn.execution_options(yield_per=BATCH_ROWS).execute(stmt)
            for part in result.partitions():
                yield [record_from_row(r) for r in part]

    def verify(self) -> ChainReport:
        """Walk the chain in seq order, recomputing every hash; report the first broken link.

        Checks seq continuity (deleted rows), prev_hash links, each record's hash (edited,
        reordered or forged rows), the index terms (entities, list versions) and the chain head
        (rows cut off the end, or added past it).
        """
        h, t = self._t.audit_head, self._t.audit_records
        with self.store.engine.connect() as conn:
            # one statement, so one snapshot on both backends
            head = conn.execute(
                select(h.c.seq, h.c.hash, select(func.max(t.c.seq)).scalar_subquery()).where(h.c.id == HEAD_ID)
            ).first()
            if head is None:
                return ChainReport(False, 0, 1, None, "the chain head row is missing")
            head_seq, head_hash, max_seq = head
            checked, prev = 0, GENESIS_HASH
            try:
                for rows, index in self._chunks(conn, head_seq):
                    for row in rows:
                        problem = _check(row, checked + 1, prev, index.get(row.seq, set()))
                        if problem is not None:
                            return ChainReport(False, checked, *problem)
                        checked, prev = checked + 1, row.hash
            except (ValueError, TypeError) as exc:  # a value edited into something unreadable
                return ChainReport(False, checked, checked + 1, None, f"a record cannot be read ({type(exc).__name__})")
        if checked < head_seq or prev != head_hash:
            return ChainReport(False, checked, checked + 1, None,
                               f"the chain ends at seq {checked} but its head records seq {head_seq}")
        if (max_seq or 0) > head_seq:
            return ChainReport(False, checked, head_seq + 1, None, "records stored past the chain head")
        return ChainReport(True, checked)

    def _chunks(self, conn: Connection, head_seq: int) -> Iterator[tuple[Sequence[Row], dict[int, set[str]]]]:
        """Records up to head_seq in seq order, BATCH_ROWS at a time, with their index terms."""
        t, terms = self._t.audit_records, self._t.audit_terms
        last = 0
        while True:
            rows = conn.execute(select(t).where(t.c.seq > last, t.c.seq <= head_seq)
                                .order_by(t.c.seq).limit(BATCH_ROWS)).all()
            if not rows:
                return
            index: dict[int, set[str]] = {}
            for seq, term in conn.execute(select(terms.c.seq, terms.c.term)
                                          .where(terms.c.seq.between(rows[0].seq, rows[-1].seq))):
                index.setdefault(seq, set()).add(term)
            yield rows, index
            last = rows[-1].seq

    def _conditions(self, f: AuditFilter) -> list[ColumnElement[bool]]:
        t, terms = self._t.audit_records, self._t.audit_terms
        found: list[ColumnElement[bool]] = []
        if f.since is not None:
            found.append(t.c.ts >= f.since)
        if f.until is not None:
            found.append(t.c.ts < f.until)
        if f.actor is not None:
            found.append(or_(t.c.actor_key_id == f.actor, t.c.actor_name == f.actor))
        for name in ("account_id", "action", "verdict", "batch_id"):
            if getattr(f, name) is not None:
                found.append(t.c[name] == getattr(f, name))
        if f.entity_id is not None:
            found.append(t.c.seq.in_(select(terms.c.seq).where(terms.c.term == f"entity:{f.entity_id}")))
        if f.list_version is not None:
            list_id, at, version = f.list_version.rpartition("@")
            found.append(t.c.seq.in_(select(terms.c.seq).where(terms.c.term == f"version:{version}")))
            if at:  # and that version is the list's: its pair in the record's canonical list_versions
                pair = f"{canonical_json(list_id)}:{canonical_json(version)}"
                found.append(t.c.list_versions.contains(pair, autoescape=True))
        return found


def _check(row: Row, seq: int, prev: str, terms: set[str]) -> tuple[int, str | None, str] | None:
    """(broken seq, id, reason) when `row` does not continue the chain at `seq` after `prev`."""
    if row.seq != seq:
        return seq, None, f"record seq {seq} is missing (the next stored is seq {row.seq})"
    if row.hash_scheme != HASH_SCHEME:
        return seq, row.id, f"unknown hash scheme {row.hash_scheme!r}"
    if row.prev_hash != prev:
        return seq, row.id, f"prev_hash does not match the hash of seq {seq - 1}"
    record = record_from_row(row)
    if record_hash(record) != row.hash:
        return seq, row.id, "the record's content does not match its hash"
    if terms != index_terms(record.matches, record.list_versions) and \
            terms != earlier_index_terms(record.matches, record.list_versions):
        return seq, row.id, "the index terms (entities, list versions) differ from the record"
    return None


def _encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"v1:{seq}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        tag, _, seq = raw.partition(":")
        if tag == "v1" and seq.isdigit():
            return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise CursorError("not a cursor from this audit log")
