"""Review decisions on the matches of screenings, and assignment of screenings to analysts.

Framework-free. A decision names a screening (its audit record) and one entity among its matches
(or its suppressed matches); it is appended to the audit log ("decision") and stored with the
fingerprints of the entity as screened and of the account's screened fields, in one transaction
(`compliance.memory` reads them back). `true_match` and `false_positive` are final: a screening
leaves the open queue when each of its matches has one.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, update

from compliance.audit import AuditEvent, AuditLog, AuditRecord
from compliance.errors import InvalidInputError, NotFoundError
from compliance.keys import KeyNotFoundError, KeyStore, Permission
from compliance.review_queue import SCREENING_ACTIONS, ReviewQueue
from compliance.service import Caller
from compliance.store import Store

DECISIONS = ("true_match", "false_positive", "escalated", "needs_info")
MATCH_SUMMARY = ("entity_id", "list", "name", "matched_name", "programs", "score", "verdict", "entity_fingerprint")


class ReviewDesk:
    """What analysts do: decide on matches, read the queue, assign screenings."""

    def __init__(self, store: Store, audit: AuditLog, keys: KeyStore) -> None:
        self.store = store
        self.audit = audit
        self.keys = keys
        self.queue = ReviewQueue(store, audit)
        self._t = store.tables.review

    def decide(self, screening_id: str, entity_id: str, decision: str, note: str, caller: Caller) -> dict[str, Any]:
        """Record a decision on one match of a screening. Raises NotFoundError, InvalidInputError."""
        if decision not in DECISIONS:
            raise InvalidInputError(f"decision must be one of {', '.join(DECISIONS)}",
                                    [{"pointer": "#/decision", "detail": "unknown decision"}])
        record = self._screening(screening_id)
        match = _match_of(record, entity_id)
        if match is None:
            detail = f"entity {entity_id!r} is not among the matches of screening {screening_id!r}"
            raise InvalidInputError(detail, [{"pointer": "#/entity_id", "detail": detail}])
        account_fingerprint = record.detail.get("account_fingerprint") if isinstance(record.detail, Mapping) else None
        entity_fingerprint = match.get("entity_fingerprint")
        event = AuditEvent(
            action="decision", actor=caller.actor, account_id=record.account_id,
            input={"screening_id": screening_id, "entity_id": entity_id, "decision": decision, "note": note},
            matches=[{k: match.get(k) for k in MATCH_SUMMARY}], request_id=caller.request_id, client=caller.client,
            detail={"screening_id": screening_id, "decision": decision, "entity_fingerprint": entity_fingerprint,
                    "account_fingerprint": account_fingerprint})
        with self.store.begin_write() as conn:
            self.queue.sync(conn)
            [stored] = self.audit.append_in(conn, [event])
            conn.execute(insert(self._t.decisions).values(
                id=stored.id, seq=stored.seq, screening_id=screening_id, account_id=record.account_id,
                entity_id=entity_id, decision=decision, note=note, actor_key_id=caller.actor.key_id,
                actor_name=caller.actor.name, actor_role=caller.actor.role, decided_at=stored.ts,
                entity_fingerprint=entity_fingerprint, account_fingerprint=account_fingerprint))
            self.queue.recount(conn, screening_id, [m["entity_id"] for m in record.matches])
        return {"decision_id": stored.id, "screening_id": screening_id, "account_id": record.account_id,
                "entity_id": entity_id, "decision": decision, "note": note, "decided_at": stored.to_dict()["ts"],
                "decided_by": caller.actor.to_dict(), "final": decision in ("true_match", "false_positive")}

    def item(self, screening_id: str) -> dict[str, Any]:
        """One screening in the queue, with explanations and each match's latest decision."""
        with self.store.begin_write() as conn:
            self.queue.sync(conn)
            row = self.queue.item(conn, screening_id)
            if row is None:
                raise NotFoundError(f"no screening {screening_id!r} in the review queue")
            return self.queue.documents(conn, [row], explain=True)[0]

    def assign(self, screening_id: str, assignee: str | None, caller: Caller) -> dict[str, Any]:
        """Assign a queued screening to an analyst's key (the caller's when `assignee` is None).

        Raises NotFoundError (not in the queue) or InvalidInputError (no such active key that may review).
        """
        key_id, name = self._assignee(assignee, caller)
        items = self._t.review_items
        with self.store.begin_write() as conn:
            self.queue.sync(conn)
            row = self.queue.item(conn, screening_id)
            if row is None:
                raise NotFoundError(f"no screening {screening_id!r} in the review queue")
            [stored] = self.audit.append_in(conn, [AuditEvent(
                "review.assign", caller.actor, account_id=row.account_id, request_id=caller.request_id,
                client=caller.client, detail={"screening_id": screening_id, "assignee_key_id": key_id,
                                              "assignee_name": name})])
            conn.execute(update(items).where(items.c.screening_id == screening_id).values(
                assignee_key_id=key_id, assignee_name=name, assigned_at=stored.ts))
            row = self.queue.item(conn, screening_id)
            return self.queue.documents(conn, [row], explain=False)[0]

    def _assignee(self, assignee: str | None, caller: Caller) -> tuple[str | None, str | None]:
        if assignee is None:
            if caller.actor.key_id is None:
                raise InvalidInputError("name the analyst's key id in `assignee`",
                                        [{"pointer": "#/assignee", "detail": "required without a key"}])
            return caller.actor.key_id, caller.actor.name
        try:
            key = self.keys.get(assignee)
        except KeyNotFoundError:
            key = None
        if key is None or not key.active or not key.can(Permission.REVIEW):
            detail = f"no active key {assignee!r} that may review"
            raise InvalidInputError(detail, [{"pointer": "#/assignee", "detail": detail}]) from None
        return key.id, key.name

    def _screening(self, screening_id: str) -> AuditRecord:
        record = self.audit.get(screening_id)
        if record is None or record.action not in SCREENING_ACTIONS:
            raise NotFoundError(f"no screening {screening_id!r}")
        return record


def _match_of(record: AuditRecord, entity_id: str) -> Mapping[str, Any] | None:
    """The screening's match (or suppressed match) on `entity_id`."""
    suppressed = record.detail.get("suppressed", []) if isinstance(record.detail, Mapping) else []
    for match in [*record.matches, *suppressed]:
        if isinstance(match, Mapping) and match.get("entity_id") == entity_id:
            return match
    return None

