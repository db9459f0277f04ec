"""Query and candidate objects in the JSON record format of the development sets.

A record side is `{"name", "aliases"?, "schema"?, "birth_date"?, "country"?, "name_parts"?,
"properties"?}` (FollowTheMoney-style schema names and property lists).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.models import Query
from watchlists.model import BirthDate, Entity, EntityType, Identifier, Name, NameKind

SCHEMA_TYPES = {
    "person": EntityType.PERSON,
    "legalentity": EntityType.ORGANIZATION,
    "organization": EntityType.ORGANIZATION,
    "company": EntityType.ORGANIZATION,
    "publicbody": EntityType.ORGANIZATION,
    "vessel": EntityType.VESSEL,
    "airplane": EntityType.AIRCRAFT,
    "aircraft": EntityType.AIRCRAFT,
}
# FollowTheMoney properties that carry identifiers.
ID_PROPERTIES = ("idNumber", "passportNumber", "taxNumber", "registrationNumber", "imoNumber",
                 "swiftBic", "innCode", "ogrnCode", "leiCode", "publicKey")


class RecordError(ValueError):
    """A record side that cannot become a query or candidate."""


def entity_type(schema: str | None) -> EntityType | None:
    if not schema:
        return None
    return SCHEMA_TYPES.get(schema.casefold(), EntityType.UNKNOWN)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in items if v not in (None, "")]


def _names(obj: Mapping[str, Any]) -> list[str]:
    props = obj.get("properties") or {}
    names = [*_list(obj.get("name")), *_list(obj.get("aliases")), *_list(props.get("name")),
             *_list(props.get("alias"))]
    if not names:
        raise RecordError("a record side needs a name")
    return list(dict.fromkeys(names))


def _countries(obj: Mapping[str, Any]) -> list[str]:
    props = obj.get("properties") or {}
    return list(dict.fromkeys([*_list(obj.get("country")), *_list(props.get("country")),
                               *_list(props.get("nationality")), *_list(props.get("citizenship"))]))


def _identifiers(obj: Mapping[str, Any]) -> list[tuple[str, str]]:
    props = obj.get("properties") or {}
    return [(prop, value) for prop in ID_PROPERTIES for value in _list(props.get(prop))]


def query_from_record(obj: Mapping[str, Any]) -> Query:
    """The query side of a record."""
    props = obj.get("properties") or {}
    birth = [*_list(obj.get("birth_date")), *_list(props.get("birthDate"))]
    return Query(
        names=tuple(_names(obj)),
        type=entity_type(obj.get("schema")),
        birth_date=birth[0] if birth else None,
        countries=tuple(_countries(obj)),
        identifiers=tuple(_identifiers(obj)),
    )


def candidate_from_record(obj: Mapping[str, Any], entity_id: str = "record:candidate") -> Entity:
    """The candidate side of a record, as a list entity."""
    names = _names(obj)
    parts = tuple((k.removesuffix("Name").lower(), v) for k, v in (obj.get("name_parts") or {}).items() if v)
    props = obj.get("properties") or {}
    births = [*_list(obj.get("birth_date")), *_list(props.get("birthDate"))]
    return Entity(
        id=entity_id,
        list_id=entity_id.partition(":")[0],
        source_id=entity_id.partition(":")[2],
        type=entity_type(obj.get("schema")) or EntityType.UNKNOWN,
        names=(Name(names[0], NameKind.PRIMARY, parts=parts), *(Name(n, NameKind.AKA) for n in names[1:])),
        programs=tuple(_list(obj.get("program"))),
        birth_dates=tuple(BirthDate(b, b) for b in births),
        nationalities=tuple(_countries(obj)),
        identifiers=tuple(Identifier(t, v) for t, v in _identifiers(obj)),
    )
