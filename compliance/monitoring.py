"""Continuous monitoring: enrolled accounts are re-screened when a list refresh lands.

Framework-free. An account is enrolled with the fields of /v1/screen (and an account id); its
parsed query, the fingerprint of its screened fields and its normalized names (for the reverse
index, `compliance.account_index`) are stored with it. `Monitor.on_refresh(old, new, screener)`
runs `compliance.rescreen` over the two entity sets: the entities added or changed in a field
matching uses are screened against every monitored account by reverse screening, and entities
that left a list raise an alert for accounts with a true_match decision on them.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from compliance import cursors
from compliance.account_index import Forms
from compliance.alerts import Alerts
from compliance.audit import AuditEvent, AuditLog
from compliance.config import Settings
from compliance.errors import NotFoundError
from compliance.fingerprints import query_fingerprint
from compliance.models import Query
from compliance.rescreen import Rescreen
from compliance.service import Account, Caller, Screener
from compliance.store import Store
from compliance.webhooks import WebhookPolicy, WebhookSender
from watchlists.model import Entity, EntityType

MAX_PAGE = 1000
ENROLL_CHUNK = 1000  # accounts written per statement


@cache
def matching_digest() -> str:
    """A digest of the matching code: stored forms are recomputed when it changes."""
    digest = hashlib.sha256()
    for path in sorted((Path(__file__).parent / "matching").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def query_to_dict(query: Query) -> dict[str, Any]:
    return {"names": list(query.names), "handle": query.handle, "type": query.type.value if query.type else None,
            "birth_date": query.birth_date, "countries": list(query.countries),
            "identifiers": [list(i) for i in query.identifiers], "lists": list(query.lists) if query.lists else None}


def query_from_dict(data: Mapping[str, Any]) -> Query:
    return Query(names=tuple(data["names"]), handle=data["handle"],
                 type=EntityType(data["type"]) if data["type"] else None, birth_date=data["birth_date"],
                 countries=tuple(data["countries"]), identifiers=tuple((t, v) for t, v in data["identifiers"]),
                 lists=tuple(data["lists"]) if data["lists"] else None)


def forms_text(query: Query) -> str:
    return Forms.of(query).dumps(matching_digest())


class Monitor:
    """Monitored accounts in a store, and what a list refresh means for them."""

    def __init__(self, store: Store, audit: AuditLog, alerts: Alerts, sender: WebhookSender | None = None) -> None:
        self.store = store
        self.audit = audit
        self.alerts = alerts
        self.sender = sender
        self._t = store.tables.review.monitored_accounts

    def enroll(self, accounts: Sequence[Account], caller: Caller) -> list[dict[str, Any]]:
        """Enroll (or re-enroll, replacing the stored fields) accounts; each needs an account id. Audited."""
        with self.store.begin_write() as conn:
            return self.enroll_in(conn, accounts, caller)

    def enroll_in(self, conn: Connection, accounts: Sequence[Account], caller: Caller,
                  batch_id: str | None = None) -> list[dict[str, Any]]:
        """`enroll` within the caller's write transaction (a batch job's chunk commit, with its id)."""
        if any(a.account_id is None for a in accounts):
            raise ValueError("a monitored account needs an account_id")
        if not accounts:
            return []
        now = datetime.now(UTC)
        rows = [{"account_id": a.account_id, "input": json.dumps(dict(a.input), ensure_ascii=False, sort_keys=True),
                 "query": json.dumps(query_to_dict(a.query)), "forms": forms_text(a.query),
                 "fingerprint": query_fingerprint(a.query), "enrolled_at": now,
                 "enrolled_by": caller.actor.name or caller.actor.key_id} for a in accounts]
        rows = list({row["account_id"]: row for row in rows}.values())  # an id given twice: the last wins
        for i in range(0, len(rows), ENROLL_CHUNK):
            conn.execute(self._upsert(rows[i:i + ENROLL_CHUNK]))
        self.audit.append_in(conn, [AuditEvent(
            "monitor.enroll", caller.actor, request_id=caller.request_id, client=caller.client, batch_id=batch_id,
            account_id=accounts[0].account_id if len(accounts) == 1 else None,
            detail={"accounts": len(accounts), **({"account_ids": [a.account_id for a in accounts]}
                                                  if len(accounts) <= 100 else {})})])
        return [_document(row) for row in rows]

    def remove(self, account_id: str, caller: Caller) -> dict[str, Any]:
        """Stop monitoring an account (audited). Raises NotFoundError."""
        with self.store.begin_write() as conn:
            row = conn.execute(select(self._t).where(self._t.c.account_id == account_id)).first()
            if row is None:
                raise NotFoundError(f"account {account_id!r} is not monitored")
            conn.execute(delete(self._t).where(self._t.c.account_id == account_id))
            self.audit.append_in(conn, [AuditEvent("monitor.remove", caller.actor, account_id=account_id,
                                                   request_id=caller.request_id, client=caller.client)])
        return _document(row._mapping)

    def get(self, account_id: str) -> dict[str, Any]:
        """Raises NotFoundError."""
        with self.store.engine.connect() as conn:
            row = conn.execute(select(self._t).where(self._t.c.account_id == account_id)).first()
        if row is None:
            raise NotFoundError(f"account {account_id!r} is not monitored")
        return _document(row._mapping)

    def page(self, limit: int = 100, cursor: str | None = None) -> dict[str, Any]:
        """Monitored accounts by account id, `limit` at a time after `cursor`."""
        stmt = select(self._t).order_by(self._t.c.account_id).limit(limit + 1)
        if cursor is not None:
            stmt = stmt.where(self._t.c.account_id > cursors.decode("accounts", cursor, (str,))[0])
        with self.store.engine.connect() as conn:
            rows = conn.execute(stmt).all()
        more = len(rows) > limit
        return {"accounts": [_document(r._mapping) for r in rows[:limit]],
                "next_cursor": cursors.encode("accounts", rows[limit - 1].account_id) if more else None}

    def count(self) -> int:
        with self.store.engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(self._t)) or 0

    def forms(self) -> Iterator[tuple[str, Forms]]:
        """(account id, forms) of every monitored account, read in batches; forms stored by other
        matching code are recomputed from the account's query."""
        digest, t = matching_digest(), self._t
        with self.store.engine.connect() as conn:
            result = conn.execution_options(yield_per=10_000).execute(select(t.c.account_id, t.c.forms))
            for account_id, text in result:
                forms, made_by = Forms.loads(text)
                if made_by == digest:
                    yield account_id, forms
                else:
                    yield account_id, Forms.of(self.accounts([account_id])[account_id].query)

    def refresh_forms(self) -> int:
        """Recompute the stored forms that other matching code made (after an upgrade): how many."""
        t, current = self._t, matching_digest()
        done = 0
        while True:
            with self.store.engine.connect() as conn:
                stale = conn.execute(select(t.c.account_id, t.c.query).where(
                    ~t.c.forms.startswith(f"forms1|{current}|")).limit(ENROLL_CHUNK)).all()
            if not stale:
                return done
            rows = [{"key": account_id, "text": forms_text(query_from_dict(json.loads(query)))}
                    for account_id, query in stale]
            with self.store.begin_write() as conn:
                conn.execute(update(t).where(t.c.account_id == bindparam("key")).values(forms=bindparam("text")), rows)
            done += len(rows)

    def accounts(self, account_ids: Iterable[str]) -> dict[str, Account]:
        """The monitored accounts with these ids, as Accounts to screen."""
        wanted, found = sorted(set(account_ids)), {}
        with self.store.engine.connect() as conn:
            for i in range(0, len(wanted), ENROLL_CHUNK):
                stmt = select(self._t).where(self._t.c.account_id.in_(wanted[i:i + ENROLL_CHUNK]))
                for row in conn.execute(stmt):
                    found[row.account_id] = Account(query_from_dict(json.loads(row.query)), json.loads(row.input),
                                                    row.account_id)
        return found

    def on_refresh(self, old_entities: Iterable[Entity], new_entities: Iterable[Entity], screener: Screener,
                   caller: Caller, refresh: str | None = None) -> dict[str, Any]:
        """Alerts for what a refresh changed: `screener` screens with the lists after it (its engine is
        built over `new_entities`). The report: counts, timings, the new alerts."""
        job = Rescreen(self, screener, caller, refresh)
        report = job.run(list(old_entities), list(new_entities))
        if self.sender is not None and report["alerts"]:
            delivered, failed = self.sender.deliver_all(report["alerts"])
            report["webhook"] = {"delivered": delivered, "failed": failed}
        return report

    def _upsert(self, rows: list[dict[str, Any]]) -> Any:
        dialect = postgresql if self.store.backend == "postgresql" else sqlite
        stmt = dialect.insert(self._t).values(rows)
        return stmt.on_conflict_do_update(index_elements=[self._t.c.account_id], set_={
            name: stmt.excluded[name] for name in ("input", "query", "forms", "fingerprint", "enrolled_at",
                                                   "enrolled_by")})


def _document(row: Mapping[str, Any]) -> dict[str, Any]:
    enrolled = row["enrolled_at"]
    return {"account_id": row["account_id"], "input": json.loads(row["input"]), "fingerprint": row["fingerprint"],
            "enrolled_at": enrolled.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "enrolled_by": row["enrolled_by"]}


def monitor_for(store: Store, audit: AuditLog, settings: Settings) -> Monitor:
    """The Monitor over a store, delivering alerts to the configured webhook, if any."""
    sender = None
    if settings.webhook_url:
        sender = WebhookSender(store, WebhookPolicy(settings.webhook_url, settings.webhook_secret,
                                                    settings.webhook_timeout, settings.webhook_retries,
                                                    settings.webhook_backoff))
    return Monitor(store, audit, Alerts(store, audit), sender)
