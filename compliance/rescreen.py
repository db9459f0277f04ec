"""The monitoring job of one list refresh: which accounts the change alerts on, and the alerts.

1. Targets: entities added, and entities whose fingerprint (the fields matching uses) changed.
2. Reverse screening (`compliance.reverse_screening`) over an index of every monitored account
   finds each account the engine could match with a target; the account's own features then
   drop those that cannot reach review.
3. Each remaining account is screened by the engine against the targets only
   (`Screener.screen_within`: the whole lists' weights, so the scores are those of a full
   screening), with its review memory; every match is an alert (`listed` or `changed`), raised
   once per account and entity version, under a "screen.monitor" audit record that enters the
   review queue.
4. Entities that left their list raise a `delisted` alert for each account whose latest final
   decision on them is true_match.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from compliance.account_index import AccountIndex
from compliance.alerts import NewAlert
from compliance.audit import AuditEvent
from compliance.errors import InvalidInputError
from compliance.fingerprints import entity_fingerprint
from compliance.matching.features import query_facts
from compliance.memory import FINAL
from compliance.reverse_screening import ReverseSearch
from compliance.service import Account, Caller, Screener
from watchlists.model import Entity

if TYPE_CHECKING:
    from compliance.monitoring import Monitor

CHUNK = 500  # accounts screened and committed together
log = logging.getLogger(__name__)


class Rescreen:
    """One run: `run(old, new)` returns the report (counts, seconds, the new alerts)."""

    def __init__(self, monitor: Monitor, screener: Screener, caller: Caller, refresh: str | None) -> None:
        self.monitor = monitor
        self.screener = screener
        self.caller = caller
        self.refresh = refresh
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def run(self, old: Sequence[Entity], new: Sequence[Entity]) -> dict[str, Any]:
        started = time.perf_counter()
        before = {e.id: e for e in old}
        added = [e.id for e in new if e.id not in before]
        changed = [e.id for e in new if e.id in before and
                   entity_fingerprint(before[e.id]) != self.screener.fingerprint(e.id)]
        after = {e.id for e in new}
        removed = [e for e in old if e.id not in after]
        self.counts.update(added=len(added), changed=len(changed), removed=len(removed))
        alerts = self._matches(added, changed) if added or changed else []
        alerts += self._delisted(removed)
        self.seconds["total"] = time.perf_counter() - started
        log.info("monitoring %s: %s", self.refresh or "refresh", ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        return {"refresh": self.refresh, "counts": self.counts, "seconds": self.seconds, "alerts": alerts}

    def _matches(self, added: list[str], changed: list[str]) -> list[dict[str, Any]]:
        targets, listed = {*added, *changed}, set(added)
        clock = time.perf_counter()
        self.counts["forms_recomputed"] = self.monitor.refresh_forms()  # after a matching upgrade
        index = AccountIndex(self.screener.engine, self.monitor.forms())
        self.seconds["index"], clock = time.perf_counter() - clock, time.perf_counter()
        search = ReverseSearch(index)
        candidates = search.candidates(targets)
        self.seconds["search"], clock = time.perf_counter() - clock, time.perf_counter()
        accounts = self.monitor.accounts(candidates)
        kept = [a for account_id, a in accounts.items() if search.could_match(query_facts(a.query),
                                                                             candidates[account_id])]
        self.counts.update(accounts=len(index), **{f"reached_{k}": v for k, v in search.stats.items()},
                           candidates=len(candidates), screened=len(kept), errors=0, alerted_accounts=0)
        alerts: list[dict[str, Any]] = []
        for i in range(0, len(kept), CHUNK):
            hits = [hit for account in kept[i:i + CHUNK] if (hit := self._screen(account, targets)) is not None]
            alerts += self._record(hits, listed)
        self.seconds["confirm"] = time.perf_counter() - clock
        return alerts

    def _screen(self, account: Account, targets: set[str]) -> tuple[Account, dict[str, Any], tuple[str, ...]] | None:
        try:
            result, lists = self.screener.screen_within(account, targets, limit=len(targets))
        except InvalidInputError:  # its `lists` filter names a list no longer in use
            self.counts["errors"] += 1
            return None
        return (account, result, lists) if result["matches"] else None

    def _record(self, hits: list[tuple[Account, dict[str, Any], tuple[str, ...]]], listed: set[str]
                ) -> list[dict[str, Any]]:
        """One "screen.monitor" record per account with an alert not raised before, and the alerts."""
        alerts = self.monitor.alerts
        with self.monitor.store.begin_write() as conn:
            fresh: dict[str, list[NewAlert]] = {}
            for alert in alerts.unseen(conn, [self._alert(account, m, listed) for account, result, _ in hits
                                              for m in result["matches"]]):
                fresh.setdefault(alert.account_id, []).append(alert)
            shown = [(account, result, lists) for account, result, lists in hits if account.account_id in fresh]
            if not shown:
                return []
            records = self.monitor.audit.append_in(conn, [self.screener.monitor_event(
                account, result, lists, self.caller, {"refresh": self.refresh}) for account, result, lists in shown])
            stored = [replace(a, record_id=record.id)
                      for (account, _, _), record in zip(shown, records) for a in fresh[account.account_id]]
            self.counts["alerted_accounts"] += len(shown)
            return alerts.add(conn, stored)

    def _alert(self, account: Account, match: dict[str, Any], listed: set[str]) -> NewAlert:
        return NewAlert(kind="listed" if match["entity_id"] in listed else "changed",
                        account_id=account.account_id or "", entity_id=match["entity_id"], entity_name=match["name"],
                        list_id=match["list"], entity_fingerprint=self.screener.fingerprint(match["entity_id"]) or "",
                        score=match["score"], verdict=match["verdict"], refresh=self.refresh)

    def _delisted(self, removed: list[Entity]) -> list[dict[str, Any]]:
        """Alerts for accounts whose latest final decision on a removed entity is true_match."""
        if not removed:
            return []
        gone = {e.id: e for e in removed}
        d = self.monitor.store.tables.review.decisions
        latest: dict[tuple[str, str], str] = {}
        ids = sorted(gone)
        with self.monitor.store.engine.connect() as conn:
            for i in range(0, len(ids), CHUNK):
                stmt = (select(d.c.account_id, d.c.entity_id, d.c.decision, d.c.id)
                        .where(d.c.entity_id.in_(ids[i:i + CHUNK]), d.c.decision.in_(FINAL),
                               d.c.account_id.is_not(None)).order_by(d.c.seq))
                for row in conn.execute(stmt):
                    latest[(row.account_id, row.entity_id)] = row.decision
        pairs = sorted(pair for pair, decision in latest.items() if decision == "true_match")
        self.counts["delisted"] = len(pairs)
        if not pairs:
            return []
        with self.monitor.store.begin_write() as conn:
            proposed = [NewAlert("delisted", account_id, entity_id, gone[entity_id].name, gone[entity_id].list_id,
                                 entity_fingerprint(gone[entity_id]), refresh=self.refresh)
                        for account_id, entity_id in pairs]
            fresh = self.monitor.alerts.unseen(conn, proposed)
            if not fresh:
                return []
            records = self.monitor.audit.append_in(conn, [AuditEvent(
                "monitor.delisted", self.caller.actor, account_id=a.account_id,
                matches=[{"entity_id": a.entity_id, "list": a.list_id, "name": a.entity_name,
                          "entity_fingerprint": a.entity_fingerprint}], detail={"refresh": self.refresh})
                for a in fresh])
            return self.monitor.alerts.add(conn, [replace(a, record_id=r.id) for a, r in zip(fresh, records)])
