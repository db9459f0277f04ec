"""Screening as a service: engine -> policy -> audit, and the JSON-able documents it answers with.

Framework-free. Input is validated in full first (list filters included), then scored, then
appended to the audit log with the input as received; every answer carries its audit record's
id. Nothing leaves unrecorded, and nothing is recorded for refused input.
"""
from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from compliance.audit import Actor, AuditEvent, AuditFilter, AuditLog, AuditRecord, CursorError
from compliance.config import Settings
from compliance.errors import InvalidInputError, NotFoundError
from compliance.fingerprints import entity_fingerprint, query_fingerprint
from compliance.lists import Watchlists
from compliance.matching.engine import ENGINE_VERSION, Engine
from compliance.matching.records import RecordError, candidate_from_record, query_from_record
from compliance.memory import Clearance, ReviewMemory
from compliance.models import Match, Query, Verdict
from compliance.policy import overall
from watchlists.lists import LISTS
from watchlists.model import Entity, Name

# Ranked matches returned (and recorded) per screening: a legal reviewer acts on the first few.
MATCH_LIMIT = 10
AUDIT_MATCH_KEYS = ("entity_id", "list", "name", "matched_name", "programs", "score", "verdict", "explanation")


@dataclass(frozen=True)
class Caller:
    """Who asked, and from where: recorded with every audit event."""

    actor: Actor
    request_id: str | None = None
    client: str | None = None


@dataclass(frozen=True)
class Account:
    """One account holder to screen: the parsed query and the input as received."""

    query: Query
    input: Mapping[str, Any]
    account_id: str | None = None
    ref: str | None = None


class Screener:
    """Screens accounts and compares records against the lists in force, recording each."""

    def __init__(self, engine: Engine, watchlists: Watchlists, audit: AuditLog, settings: Settings,
                 match_limit: int = MATCH_LIMIT, memory: ReviewMemory | None = None) -> None:
        self.engine = engine
        self.memory = memory  # review decisions: false positives suppressed in later screenings
        self.watchlists = watchlists
        self.audit = audit
        self.settings = settings
        self.match_limit = match_limit
        self.versions = {item.meta.list_id: item.meta.version for item in watchlists.lists}
        self.entities = {entity.id: entity for entity in engine.entities}
        self._documents: dict[str, dict[str, Any]] = {}  # entity id -> its document (entities are immutable)
        self._status_cache: tuple[date, dict[str, dict[str, Any]]] | None = None
        self._fingerprints: dict[str, str] = {}  # entity id -> entity_fingerprint

    def lists(self) -> list[dict[str, Any]]:
        """Every list in force: version, publish date, age and stale flag, counts."""
        return list(self._statuses_today().values())

    def entity(self, entity_id: str) -> dict[str, Any]:
        """One listed entity's document. Raises NotFoundError."""
        entity = self.entities.get(entity_id)
        if entity is None:
            raise NotFoundError(f"no entity {entity_id!r} on the lists in force")
        return self._document(entity)

    def screen(self, account: Account, caller: Caller) -> dict[str, Any]:
        """Screen one account holder; its audit record's id is the `screening_id`."""
        lists = self._lists_for([account], lambda _: "#/lists")[0]
        result = self.remember(account, self._screen(account, lists))
        record = self.audit.append(self._event("screen", account, result, lists, caller))
        return {"screening_id": record.id, "screened_at": _stamp(record), **result,
                "lists": self._statuses(lists), **self._versions()}

    def screen_batch(self, accounts: Sequence[Account], caller: Caller) -> dict[str, Any]:
        """Screen many account holders; each gets its own audit record, all written in one go."""
        if len(accounts) > self.settings.max_batch_items:
            raise InvalidInputError(f"at most {self.settings.max_batch_items} accounts per request",
                                    [{"pointer": "#/accounts", "detail": f"Longer than maximum length "
                                                                        f"{self.settings.max_batch_items}."}])
        lists = self._lists_for(accounts, lambda i: f"#/accounts/{i}/lists")
        results = self.remember_all([(account, self._screen(account, used)) for account, used in zip(accounts, lists)])
        batch_id = uuid.uuid4().hex
        records = self.audit.append_many([
            self._event("screen.batch_item", account, result, used, caller, batch_id, {"ref": account.ref, "index": i})
            for i, (account, result, used) in enumerate(zip(accounts, results, lists))
        ])
        items = [{"ref": account.ref, "screening_id": record.id, **result, "lists": list(used)}
                 for account, result, record, used in zip(accounts, results, records, lists)]
        verdicts = Counter(item["verdict"] for item in items)
        return {"batch_id": batch_id, "screened_at": _stamp(records[0]) if records else None,
                "count": len(items), "verdicts": {v: verdicts.get(v, 0) for v in ("match", "review", "clear")},
                "lists": self._statuses(sorted({i for used in lists for i in used}, key=list(self.versions).index)),
                **self._versions(), "results": items}

    def screen_unrecorded(self, account: Account) -> tuple[dict[str, Any], tuple[str, ...]]:
        """Screen one account without recording it: (result, ids of the lists screened).

        For batch jobs, which record each row's `batch_event` in the transaction that stores its
        result. Without the review memory (the result may serve several accounts with the same
        query): `remember_all` applies it per account. Raises InvalidInputError for a list id not in use.
        """
        lists = self._lists_for([account], lambda _: "#/lists")[0]
        return self._screen(account, lists), lists

    def batch_event(self, account: Account, result: Mapping[str, Any], lists: Sequence[str], caller: Caller,
                    batch_id: str, detail: Any = None) -> AuditEvent:
        """The "screen.batch_item" audit event for a result of `screen_unrecorded`."""
        return self._event("screen.batch_item", account, result, lists, caller, batch_id, detail)

    def remember(self, account: Account, result: dict[str, Any],
                 cleared: Mapping[str, Clearance] | None = None) -> dict[str, Any]:
        """The result with the account's false positives in force moved from `matches` to
        `suppressed` (they no longer drive the verdict); see `compliance.memory`. `cleared`: the
        account's clearances, if already read (`remember_all`)."""
        if self.memory is None:
            return {**result, "suppressed": []}
        kept, suppressed = self.memory.suppress(account.account_id, query_fingerprint(account.query),
                                                result["matches"], self.fingerprint, cleared)
        verdict = overall(Verdict(m["verdict"]) for m in kept).value
        return {**result, "verdict": verdict, "matches": kept, "suppressed": suppressed}

    def remember_all(self, screened: Sequence[tuple[Account, dict[str, Any]]]) -> list[dict[str, Any]]:
        """`remember` for many results (a batch chunk's, a /v1/screen/batch request's), their
        accounts' decisions read in one query."""
        if self.memory is None:
            return [self.remember(account, result) for account, result in screened]
        ids = {account.account_id for account, result in screened
               if account.account_id is not None and result["matches"]}
        cleared = self.memory.clearances_of(ids) if ids else {}
        return [self.remember(account, result, cleared.get(account.account_id or "", {}))
                for account, result in screened]

    def screen_within(self, account: Account, entity_ids: Collection[str], limit: int) -> tuple[dict[str, Any],
                                                                                                  tuple[str, ...]]:
        """Screen against these entities only (monitoring: those a list refresh added or changed),
        with the whole lists' token weights and the review memory; unrecorded (`monitor_event`)."""
        lists = self._lists_for([account], lambda _: "#/lists")[0]
        return self.remember(account, self._screen(account, lists, entity_ids, limit)), lists

    def monitor_event(self, account: Account, result: Mapping[str, Any], lists: Sequence[str], caller: Caller,
                      detail: Any = None) -> AuditEvent:
        """The "screen.monitor" audit event for a result of `screen_within`."""
        return self._event("screen.monitor", account, result, lists, caller, None, detail)

    def fingerprint(self, entity_id: str) -> str | None:
        """The entity_fingerprint of a listed entity in force, None for one not on the lists."""
        found = self._fingerprints.get(entity_id)
        if found is None and entity_id in self.entities:
            found = self._fingerprints[entity_id] = entity_fingerprint(self.entities[entity_id])
        return found

    def compare(self, query: Mapping[str, Any], candidate: Mapping[str, Any], received: Mapping[str, Any],
                caller: Caller) -> dict[str, Any]:
        """Explain one query against one candidate, both in the record format; the answer is audited.

        A candidate that gives only the `entity_id` of a listed entity is that entity as listed.
        """
        listed = self.entities.get(candidate.get("entity_id") or "") if set(candidate) == {"entity_id"} else None
        if set(candidate) == {"entity_id"} and listed is None:
            detail = f"no entity {candidate['entity_id']!r} on the lists in force, and no name given"
            raise InvalidInputError(detail, [{"pointer": "#/candidate/entity_id", "detail": detail}])
        try:
            entity = listed or candidate_from_record(candidate, candidate.get("entity_id") or "record:candidate")
        except RecordError as exc:
            raise InvalidInputError(str(exc), [{"pointer": "#/candidate", "detail": str(exc)}]) from None
        try:
            parsed = query_from_record(query)
        except RecordError as exc:
            raise InvalidInputError(str(exc), [{"pointer": "#/query", "detail": str(exc)}]) from None
        comparison = self.engine.compare(parsed, entity)
        result = {"entity_id": entity.id, "matched_name": comparison.matched_name, "score": comparison.score,
                  "verdict": comparison.verdict.value, "explanation": comparison.explanation}
        record = self.audit.append(AuditEvent(
            action="compare", actor=caller.actor, input=dict(received), verdict=comparison.verdict.value,
            matches=[{"list": entity.list_id, "name": entity.name, **result}], **self._versions(),
            request_id=caller.request_id, client=caller.client))
        return {"comparison_id": record.id, **result, **self._versions()}

    def _screen(self, account: Account, lists: tuple[str, ...], within: Collection[str] | None = None,
                limit: int | None = None) -> dict[str, Any]:
        if within is None:
            matches = self.engine.screen(account.query, limit or self.match_limit)
        else:
            matches = self.engine.screen(account.query, limit or self.match_limit, within=within)
        return {"account_id": account.account_id, "verdict": overall(m.verdict for m in matches).value,
                "matches": [self._match(m) for m in matches]}

    def _lists_for(self, accounts: Sequence[Account], pointer: Callable[[int], str]) -> list[tuple[str, ...]]:
        """The list ids each account is screened against; every unknown id of every account is a 422."""
        errors, used = [], []
        for i, account in enumerate(accounts):
            wanted = account.query.lists
            for j, list_id in enumerate(wanted or ()):
                if list_id not in self.versions:
                    known = "known but not in use" if list_id in LISTS else "unknown"
                    errors.append({"pointer": f"{pointer(i)}/{j}",
                                   "detail": f"{known} list {list_id!r}; in use: {', '.join(self.versions)}"})
            used.append(tuple(dict.fromkeys(wanted)) if wanted else tuple(self.versions))
        if errors:
            raise InvalidInputError("the `lists` filter names a list that is not in use", errors)
        return used

    def _statuses(self, list_ids: Sequence[str]) -> list[dict[str, Any]]:
        by_id = self._statuses_today()
        return [by_id[list_id] for list_id in list_ids]

    def _statuses_today(self) -> dict[str, dict[str, Any]]:
        """List id -> status document; ages and stale flags change with the date only."""
        today = date.today()
        if self._status_cache is None or self._status_cache[0] != today:
            statuses = self.watchlists.statuses(self.settings, today)
            self._status_cache = (today, {s.id: s.to_dict() for s in statuses})
        return self._status_cache[1]

    def _versions(self) -> dict[str, Any]:
        return {"engine_version": ENGINE_VERSION, "policy_version": self.engine.policy.version}

    def _event(self, action: str, account: Account, result: Mapping[str, Any], lists: Sequence[str],
               caller: Caller, batch_id: str | None = None, detail: Any = None) -> AuditEvent:
        # each match with the fingerprint of the entity as screened, and in `detail` the account's
        # and the suppressed matches: what a review decision and the memory compare against
        suppressed = [{**{k: m[k] for k in AUDIT_MATCH_KEYS if k != "explanation"},
                       "entity_fingerprint": self.fingerprint(m["entity_id"]), "suppression": m["suppression"]}
                      for m in result.get("suppressed", ())]
        detail = {**(detail or {}), "account_fingerprint": query_fingerprint(account.query),
                  **({"suppressed": suppressed} if suppressed else {})}
        return AuditEvent(
            action=action, actor=caller.actor, input=dict(account.input), account_id=account.account_id,
            verdict=result["verdict"], matches=[{**{k: m[k] for k in AUDIT_MATCH_KEYS},
                                                 "entity_fingerprint": self.fingerprint(m["entity_id"])}
                                                for m in result["matches"]],
            list_versions={list_id: self.versions[list_id] for list_id in lists}, **self._versions(),
            request_id=caller.request_id, client=caller.client, batch_id=batch_id, detail=detail)

    def _match(self, match: Match) -> dict[str, Any]:
        return match_document(match, self._document(match.entity))

    def _document(self, entity: Entity) -> dict[str, Any]:
        document = self._documents.get(entity.id)
        if document is None:
            document = self._documents[entity.id] = entity_document(entity)
        return document


def match_document(match: Match, entity: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A match as shown to people (API, CLI): the entity's document (given, or built) plus the
    name that matched, the score, the verdict and the explanation."""
    c = match.comparison
    return {**(entity if entity is not None else entity_document(match.entity)), "matched_name": c.matched_name,
            "score": c.score, "verdict": c.verdict.value, "explanation": c.explanation}


def entity_document(e: Entity) -> dict[str, Any]:
    """What a legal team needs about a listed entity: names, programs, legal basis, details."""
    spec = LISTS.get(e.list_id)
    return {
        "entity_id": e.id, "list": e.list_id, "list_name": spec.name if spec else e.list_id,
        "list_version": e.list_version or None, "source_id": e.source_id, "name": e.name,
        "names": [_name(n) for n in e.names], "programs": list(e.programs), "legal_basis": list(e.legal_basis),
        "listed_on": e.listed_on,
        "details": {
            "type": e.type.value,
            "birth_dates": [{"text": b.text, "start": b.start, "end": b.end, "circa": b.circa} for b in e.birth_dates],
            "birth_places": list(e.birth_places), "nationalities": list(e.nationalities),
            "citizenships": list(e.citizenships), "countries": list(e.countries),
            "addresses": [{"full": a.full, "city": a.city, "country": a.country} for a in e.addresses],
            "identifiers": [{"type": i.type, "value": i.value, "country": i.country, "note": i.note}
                            for i in e.identifiers],
            "positions": list(e.positions), "gender": e.gender, "remarks": e.remarks,
            "extra": [{"field": k, "value": v} for k, v in e.extra],
        },
    }


def _stamp(record: AuditRecord) -> str:
    """The record's time as the audit log shows it (UTC, ISO 8601, Z)."""
    return record.to_dict()["ts"]


def _name(name: Name) -> dict[str, Any]:
    return {"name": name.full, "kind": name.kind.value, "quality": name.quality, "script": name.script}


class AuditDesk:
    """What auditors do with the log: read, filter, export (audited) and verify (audited)."""

    def __init__(self, audit: AuditLog) -> None:
        self.audit = audit

    def page(self, filters: AuditFilter, limit: int, cursor: str | None) -> dict[str, Any]:
        try:
            page = self.audit.query(filters, limit=limit, cursor=cursor)
        except CursorError as exc:
            raise InvalidInputError("the cursor is not one this service issued",
                                    [{"parameter": "cursor", "detail": str(exc)}]) from None
        return {"records": [r.to_dict() for r in page.records], "next_cursor": page.next_cursor}

    def record(self, record_id: str) -> dict[str, Any]:
        record: AuditRecord | None = self.audit.get(record_id)
        if record is None:
            raise NotFoundError(f"no audit record {record_id!r}")
        return record.to_dict()

    def export(self, filters: AuditFilter, fmt: str, caller: Caller, query: Mapping[str, Any]) -> Iterator[str]:
        """Record the export, then stream it (chunks of CSV or JSONL)."""
        self.audit.append(AuditEvent(action="audit.export", actor=caller.actor, input=dict(query),
                                     request_id=caller.request_id, client=caller.client, detail={"format": fmt}))
        return self.audit.export(filters, fmt)

    def verify(self, caller: Caller) -> dict[str, Any]:
        """Walk the hash chain; the check itself is recorded after it."""
        report = self.audit.verify()
        self.audit.append(AuditEvent(action="audit.verify", actor=caller.actor, request_id=caller.request_id,
                                     client=caller.client, detail=report.to_dict()))
        return report.to_dict()
