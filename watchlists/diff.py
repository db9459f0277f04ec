"""Compare two versions of a list entity by entity: added, removed, changed (with fields).

Fields are compared as sets of their values, so a reordering is not a change. Two
formats of the same list (SDN XML and CSV) carry different detail, and the diff shows
that too: it reports what the data says, not what the publisher meant.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from watchlists.model import Entity


def _values(entity: Entity) -> dict[str, frozenset[str]]:
    return {
        "type": frozenset([entity.type.value]),
        "names": frozenset(f"{n.full} [{n.kind.value}]" for n in entity.names),
        "programs": frozenset(entity.programs),
        "birth_dates": frozenset(d.text for d in entity.birth_dates),
        "birth_places": frozenset(entity.birth_places),
        "nationalities": frozenset(entity.nationalities),
        "citizenships": frozenset(entity.citizenships),
        "addresses": frozenset(a.full for a in entity.addresses),
        "identifiers": frozenset(f"{i.type}: {i.value}" for i in entity.identifiers),
        "positions": frozenset(entity.positions),
        "gender": frozenset([entity.gender] if entity.gender else []),
        "listed_on": frozenset([entity.listed_on] if entity.listed_on else []),
        "remarks": frozenset([entity.remarks] if entity.remarks else []),
    }


@dataclass(frozen=True)
class FieldChange:
    field: str
    removed: tuple[str, ...]
    added: tuple[str, ...]


@dataclass(frozen=True)
class EntityChange:
    id: str
    name: str
    fields: tuple[FieldChange, ...]


@dataclass
class ListDiff:
    added: list[Entity] = field(default_factory=list)
    removed: list[Entity] = field(default_factory=list)
    changed: list[EntityChange] = field(default_factory=list)
    unchanged: int = 0


def diff_entities(old: Iterable[Entity], new: Iterable[Entity]) -> ListDiff:
    """Diff two entity collections by entity id."""
    before = {e.id: e for e in old}
    after = {e.id: e for e in new}
    result = ListDiff(
        added=[after[i] for i in after if i not in before],
        removed=[before[i] for i in before if i not in after],
    )
    for entity_id in after.keys() & before.keys():
        changes = compare(before[entity_id], after[entity_id])
        if changes:
            result.changed.append(EntityChange(entity_id, after[entity_id].name, changes))
        else:
            result.unchanged += 1
    result.changed.sort(key=lambda c: c.id)
    return result


def compare(old: Entity, new: Entity) -> tuple[FieldChange, ...]:
    """The fields in which two versions of one entity differ."""
    a, b = _values(old), _values(new)
    return tuple(
        FieldChange(name, tuple(sorted(a[name] - b[name])), tuple(sorted(b[name] - a[name])))
        for name in a
        if a[name] != b[name]
    )
