"""Review memory: a `false_positive` decision on (account, entity) suppresses that match later.

The latest final decision (true_match or false_positive) on the pair counts. It suppresses only
while both sides are as they were when it was taken: the entity's fingerprint (the fields
matching uses) equals the loaded entity's, and the account's screened fields equal the new
screening's. Otherwise it lapses, and the match counts (and alerts) again.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, or_, select

from compliance.store import Store

FINAL = ("true_match", "false_positive")
# Account ids per query of `clearances_of`: well below SQLite's limit on bound parameters (32,766).
IDS_PER_QUERY = 1000


@dataclass(frozen=True)
class Clearance:
    """A false_positive decision in force for one (account, entity) pair."""

    decision_id: str
    entity_fingerprint: str | None
    account_fingerprint: str | None
    cleared_by: dict[str, str | None]
    cleared_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "cleared_by": self.cleared_by,
                "cleared_at": self.cleared_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")}


class ReviewMemory:
    """Reads the decisions table: one indexed query per screened account with an account id and
    matches, or one for many accounts (`clearances_of`: a batch chunk's)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        t = self._t = store.tables.review.decisions
        # Built once: SQLAlchemy then reuses their compiled forms (building them per call cost
        # more than running them, on every screening with matches).
        columns = (t.c.id, t.c.account_id, t.c.entity_id, t.c.decision, t.c.entity_fingerprint,
                   t.c.account_fingerprint, t.c.actor_key_id, t.c.actor_name, t.c.actor_role, t.c.decided_at)
        final = select(*columns).where(or_(*(t.c.decision == decision for decision in FINAL))).order_by(t.c.seq)
        self._final_decisions = final.where(t.c.account_id.in_(bindparam("ids", expanding=True)))
        self._final_decisions_of_one = final.where(t.c.account_id == bindparam("account_id"))

    def clearances(self, account_id: str) -> dict[str, Clearance]:
        """entity id -> the false_positive in force, where the latest final decision is one.

        On the driver's cursor (`Store.read_all`): every screening with matches and an account
        id reads this, and through SQLAlchemy's execute it cost 239 us against 33 (same process,
        2-core development machine).
        """
        rows = self.store.read_all(self._final_decisions_of_one, {"account_id": account_id})
        return _in_force(rows).get(account_id, {})

    def clearances_of(self, account_ids: Collection[str]) -> dict[str, dict[str, Clearance]]:
        """`clearances` of each of these accounts (those with none left out), in one query."""
        stmt, wanted = self._final_decisions, sorted(set(account_ids))
        rows: list[Mapping[str, Any]] = []
        with self.store.engine.connect() as conn:
            for start in range(0, len(wanted), IDS_PER_QUERY):
                rows += [row._mapping for row in conn.execute(stmt, {"ids": wanted[start:start + IDS_PER_QUERY]})]
        return _in_force(rows)

    def suppress(self, account_id: str | None, account_fingerprint: str, matches: Sequence[Mapping[str, Any]],
                 fingerprint: Callable[[str], str | None], cleared: Mapping[str, Clearance] | None = None
                 ) -> tuple[list[Mapping[str, Any]], list[dict[str, Any]]]:
        """(matches kept, matches suppressed with their `suppression`): `fingerprint(entity_id)` is
        the loaded entity's; `cleared` the account's `clearances`, if already read. Nothing is
        suppressed for an account without an id."""
        if account_id is None or not matches:
            return list(matches), []
        if cleared is None:
            cleared = self.clearances(account_id)
        kept: list[Mapping[str, Any]] = []
        suppressed: list[dict[str, Any]] = []
        for match in matches:
            found = cleared.get(match["entity_id"])
            entity = fingerprint(match["entity_id"])
            if found is not None and found.account_fingerprint == account_fingerprint and \
                    entity is not None and found.entity_fingerprint == entity:
                suppressed.append({**match, "suppression": found.to_dict()})
            else:
                kept.append(match)
        return kept, suppressed


def _in_force(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Clearance]]:
    """account id -> entity id -> its Clearance, from final decisions in the order taken: the
    latest on each pair counts, and only a false_positive clears."""
    latest = {(row["account_id"], row["entity_id"]): row for row in rows}
    found: dict[str, dict[str, Clearance]] = {}
    for (account_id, entity_id), row in latest.items():
        if row["decision"] == "false_positive":
            found.setdefault(account_id, {})[entity_id] = Clearance(
                row["id"], row["entity_fingerprint"], row["account_fingerprint"],
                {"key_id": row["actor_key_id"], "name": row["actor_name"], "role": row["actor_role"]},
                row["decided_at"])
    return found
