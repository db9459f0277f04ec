"""The review queue: screenings that alerted (match or review), highest score first, until decided.

`review_items` indexes the audit log, the source of truth: before each read or write the
screening records appended since the last sync (`review_sync`) with a match or review verdict
are indexed with their account, top score and match count, whichever path recorded them (the
API, batch jobs, monitoring). A screening is open until every one of its matches has a final
decision (true_match or false_positive).
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, case, func, insert, or_, select, update

from compliance import cursors
from compliance.audit import AuditLog
from compliance.audit_records import AuditRecord, record_from_row
from compliance.memory import FINAL
from compliance.store import HEAD_ID, Store

SCREENING_ACTIONS = ("screen", "screen.batch_item", "screen.monitor")
STATUSES = ("open", "closed", "all")
SYNC_ROWS = 1000  # audit records indexed per round trip
MAX_PAGE = 500
SYNC_ID = 1


class ReviewQueue:
    """The queue over one store's audit log."""

    def __init__(self, store: Store, audit: AuditLog) -> None:
        self.store = store
        self.audit = audit
        self._t = store.tables.review

    def sync(self, conn: Connection) -> None:
        """Index the screening records appended since the last sync, within the caller's write transaction."""
        t, items, state = self.store.tables.audit_records, self._t.review_items, self._t.review_sync
        last = conn.scalar(select(state.c.seq).where(state.c.id == SYNC_ID))
        if last is None:
            conn.execute(insert(state).values(id=SYNC_ID, seq=0))
            last = 0
        head = self.store.tables.audit_head
        upto = conn.scalar(select(head.c.seq).where(head.c.id == HEAD_ID)) or 0
        while last < upto:
            rows = conn.execute(
                select(t.c.seq, t.c.id, t.c.action, t.c.account_id, t.c.verdict, t.c.matches, t.c.ts)
                .where(t.c.seq > last, t.c.seq <= upto, t.c.action.in_(SCREENING_ACTIONS),
                       t.c.verdict.in_(("match", "review")))
                .order_by(t.c.seq).limit(SYNC_ROWS)).all()
            if rows:
                conn.execute(insert(items), [_item(row) for row in rows])
            last = rows[-1].seq if len(rows) == SYNC_ROWS else upto
        conn.execute(update(state).where(state.c.id == SYNC_ID).values(seq=upto))

    def item(self, conn: Connection, screening_id: str) -> Row | None:
        items = self._t.review_items
        return conn.execute(select(items).where(items.c.screening_id == screening_id)).first()

    def recount(self, conn: Connection, screening_id: str, matched: Sequence[str]) -> None:
        """Update how many of a screening's matched entities have a final decision; closed when all do."""
        d, items = self._t.decisions, self._t.review_items
        decided = conn.scalar(select(func.count(func.distinct(d.c.entity_id))).where(
            d.c.screening_id == screening_id, d.c.decision.in_(FINAL), d.c.entity_id.in_(matched))) or 0
        conn.execute(update(items).where(items.c.screening_id == screening_id).values(
            decided_count=decided, status=case((items.c.match_count <= decided, "closed"), else_="open")))

    def page(self, status: str = "open", limit: int = 50, cursor: str | None = None, assignee: str | None = None,
             account_id: str | None = None) -> dict[str, Any]:
        """Items in the queue order (top score, then newest), `limit` at a time after `cursor`."""
        items = self._t.review_items
        with self.store.begin_write() as conn:
            self.sync(conn)
        stmt = select(items).order_by(items.c.top_score.desc(), items.c.seq.desc()).limit(limit + 1)
        if status != "all":
            stmt = stmt.where(items.c.status == status)
        if assignee is not None:
            stmt = stmt.where(items.c.assignee_key_id == assignee)
        if account_id is not None:
            stmt = stmt.where(items.c.account_id == account_id)
        if cursor is not None:
            score, seq = cursors.decode("reviews", cursor, (float, int))
            stmt = stmt.where(or_(items.c.top_score < score, and_(items.c.top_score == score, items.c.seq < seq)))
        with self.store.engine.connect() as conn:
            rows = conn.execute(stmt).all()
            shown = rows[:limit]
            documents = self.documents(conn, shown, explain=False)
        more = len(rows) > limit
        return {"items": documents,
                "next_cursor": cursors.encode("reviews", shown[-1].top_score, shown[-1].seq) if more else None}

    def documents(self, conn: Connection, rows: Sequence[Row], explain: bool) -> list[dict[str, Any]]:
        """Queue items with their matches (from the audit records) and each match's latest decision."""
        if not rows:
            return []
        t, d = self.store.tables.audit_records, self._t.decisions
        ids = [row.screening_id for row in rows]
        records = {r.id: record_from_row(r) for r in conn.execute(select(t).where(t.c.id.in_(ids)))}
        latest: dict[tuple[str, str], Row] = {}
        for decision in conn.execute(select(d).where(d.c.screening_id.in_(ids)).order_by(d.c.seq)):
            latest[(decision.screening_id, decision.entity_id)] = decision
        return [document(row, records[row.screening_id], latest, explain) for row in rows]


def document(row: Row, record: AuditRecord, latest: Mapping[tuple[str, str], Row], explain: bool) -> dict[str, Any]:
    """One queue item as shown to analysts."""
    keys = ("entity_id", "list", "name", "matched_name", "programs", "score", "verdict",
            *(("explanation",) if explain else ()))
    matches = [{**{k: m.get(k) for k in keys}, "decision": _decision(latest.get((row.screening_id, m["entity_id"])))}
               for m in record.matches]
    return {
        "screening_id": row.screening_id, "action": row.action, "screened_at": _stamp(row.screened_at),
        "account_id": row.account_id, "verdict": row.verdict, "top_score": row.top_score, "status": row.status,
        "match_count": row.match_count, "decided_count": row.decided_count, "matches": matches,
        "assignee": None if row.assignee_key_id is None and row.assignee_name is None
        else {"key_id": row.assignee_key_id, "name": row.assignee_name},
        "assigned_at": _stamp(row.assigned_at),
    }


def _decision(row: Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"decision_id": row.id, "decision": row.decision, "note": row.note, "decided_at": _stamp(row.decided_at),
            "decided_by": {"key_id": row.actor_key_id, "name": row.actor_name, "role": row.actor_role}}


def _item(row: Row) -> dict[str, Any]:
    matches = json.loads(row.matches or "[]")
    return {"screening_id": row.id, "seq": row.seq, "action": row.action, "account_id": row.account_id,
            "verdict": row.verdict, "top_score": max((float(m.get("score") or 0.0) for m in matches), default=0.0),
            "match_count": len(matches), "decided_count": 0, "status": "open", "screened_at": row.ts}


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
