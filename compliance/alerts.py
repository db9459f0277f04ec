"""Alerts raised by monitoring: stored once per account, entity version and kind; listed, acknowledged.

Kinds: `listed` (a match on an entity a refresh added), `changed` (a match on an entity whose
matching fields a refresh changed), `delisted` (an entity the account has a true_match decision
on left its list). Each alert names the audit record that raised it; acknowledging is audited.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from compliance import cursors
from compliance.audit import AuditEvent, AuditLog
from compliance.errors import NotFoundError
from compliance.service import Caller
from compliance.store import Store

KINDS = ("listed", "changed", "delisted")
MAX_PAGE = 500
_KEY_CHUNK = 500  # accounts per existence check


@dataclass(frozen=True)
class NewAlert:
    kind: str
    account_id: str
    entity_id: str
    entity_name: str | None
    list_id: str | None
    entity_fingerprint: str
    record_id: str | None = None
    score: float | None = None
    verdict: str | None = None
    refresh: str | None = None


@dataclass(frozen=True)
class AlertFilter:
    kind: str | None = None
    account_id: str | None = None
    entity_id: str | None = None
    list_id: str | None = None
    acknowledged: bool | None = None


class Alerts:
    """The alerts table of one store."""

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
        self._t = store.tables.review.alerts

    def unseen(self, conn: Connection, alerts: Sequence[NewAlert]) -> list[NewAlert]:
        """The alerts not raised before (same account, entity version and kind), each once."""
        t = self._t
        key = (t.c.account_id, t.c.entity_id, t.c.entity_fingerprint, t.c.kind)
        seen: set[tuple[str, ...]] = set()
        accounts = sorted({a.account_id for a in alerts})
        for i in range(0, len(accounts), _KEY_CHUNK):
            rows = conn.execute(select(*key).where(t.c.account_id.in_(accounts[i:i + _KEY_CHUNK])))
            seen |= {tuple(row) for row in rows}
        fresh = []
        for alert in alerts:
            identity = (alert.account_id, alert.entity_id, alert.entity_fingerprint, alert.kind)
            if identity not in seen:
                seen.add(identity)
                fresh.append(alert)
        return fresh

    def add(self, conn: Connection, alerts: Sequence[NewAlert]) -> list[dict[str, Any]]:
        """Store the alerts not raised before, within the caller's write transaction; their documents."""
        fresh = [{**asdict(a), "id": uuid.uuid4().hex, "created_at": datetime.now(UTC)}
                 for a in self.unseen(conn, alerts)]
        if not fresh:
            return []
        conn.execute(insert(self._t), fresh)
        stored = conn.execute(select(self._t).where(self._t.c.id.in_([a["id"] for a in fresh])).order_by(self._t.c.seq))
        return [alert_document(row) for row in stored]

    def page(self, filters: AlertFilter, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """Alerts matching every filter, newest first, `limit` at a time after `cursor`."""
        t = self._t
        stmt = select(t).order_by(t.c.seq.desc()).limit(limit + 1)
        for name in ("kind", "account_id", "entity_id", "list_id"):
            if getattr(filters, name) is not None:
                stmt = stmt.where(t.c[name] == getattr(filters, name))
        if filters.acknowledged is not None:
            acked = t.c.acknowledged_at
            stmt = stmt.where(acked.is_not(None) if filters.acknowledged else acked.is_(None))
        if cursor is not None:
            stmt = stmt.where(t.c.seq < cursors.decode("alerts", cursor, (int,))[0])
        with self.store.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        more = len(rows) > limit
        return {"alerts": [alert_document(r) for r in rows[:limit]],
                "next_cursor": cursors.encode("alerts", rows[limit - 1].seq) if more else None}

    def get(self, alert_id: str) -> dict[str, Any]:
        """Raises NotFoundError."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(self._t).where(self._t.c.id == alert_id)).first()
        if row is None:
            raise NotFoundError(f"no alert {alert_id!r}")
        return alert_document(row)

    def acknowledge(self, alert_id: str, caller: Caller, note: str | None = None) -> dict[str, Any]:
        """Mark an alert seen (audited, once; acknowledging again changes nothing). Raises NotFoundError."""
        t = self._t
        with self.store.begin_write() as conn:
            row = conn.execute(select(t).where(t.c.id == alert_id)).first()
            if row is None:
                raise NotFoundError(f"no alert {alert_id!r}")
            if row.acknowledged_at is not None:
                return alert_document(row)
            [record] = self.audit.append_in(conn, [AuditEvent(
                "alert.acknowledge", caller.actor, account_id=row.account_id, request_id=caller.request_id,
                client=caller.client, detail={"alert_id": alert_id, "kind": row.kind, "entity_id": row.entity_id,
                                              "note": note})])
            who = caller.actor.name or caller.actor.key_id
            conn.execute(update(t).where(t.c.id == alert_id).values(acknowledged_at=record.ts, acknowledged_by=who))
            return alert_document(conn.execute(select(t).where(t.c.id == alert_id)).one())

    def undelivered(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Alerts no webhook delivery has succeeded for, oldest first."""
        t, d = self._t, self.store.tables.review.webhook_deliveries
        delivered = select(d.c.alert_id).where(d.c.delivered.is_(True))
        stmt = select(t).where(t.c.id.not_in(delivered)).order_by(t.c.seq).limit(limit)
        with self.store.engine.connect() as conn:
            return [alert_document(row) for row in conn.execute(stmt)]


def alert_document(row: Row) -> dict[str, Any]:
    """An alert as shown: `record_id` is the audit record that raised it, which for a listed or
    changed match is the monitoring screening (`screening_id`, for review decisions)."""
    return {"id": row.id, "kind": row.kind, "account_id": row.account_id, "entity_id": row.entity_id,
            "entity_name": row.entity_name, "list": row.list_id, "score": row.score, "verdict": row.verdict,
            "record_id": row.record_id, "screening_id": row.record_id if row.kind != "delisted" else None,
            "refresh": row.refresh, "entity_fingerprint": row.entity_fingerprint,
            "created_at": _stamp(row.created_at), "acknowledged_at": _stamp(row.acknowledged_at),
            "acknowledged_by": row.acknowledged_by}


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

