"""Which CSV columns hold which account fields: the caller's mapping, else the header's names.

A mapping item is `field=column`, or `field=a+b` to join cells with a space (e.g.
`name=first_name+last_name`); `name` may be mapped several times, each column (or join)
one display name of the account. Fields the caller does not map are found by header name,
ignoring case, spaces and hyphens (`HEADER_NAMES`); further name columns are `name_2`,
`alias`, `alias_1`...; and with no name column, first/middle/last name columns are joined.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from compliance.batch.inputs import InputError

FIELDS = ("account_id", "name", "handle", "date_of_birth", "country", "nationality", "type", "identifiers")
# Fields that are something to screen: a file must map at least one.
SCREENABLE = ("name", "handle", "identifiers")
HEADER_NAMES: Mapping[str, tuple[str, ...]] = {
    "account_id": ("account_id", "accountid", "account", "account_number", "customer_id", "client_id",
                   "user_id", "id"),
    "name": ("name", "names", "full_name", "fullname", "display_name", "account_name", "customer_name",
             "legal_name"),
    "handle": ("handle", "username", "user_name", "screen_name"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate"),
    "country": ("country", "country_code"),
    "nationality": ("nationality", "citizenship"),
    "type": ("type", "account_type", "entity_type"),
    "identifiers": ("identifiers", "identifier"),
}
MORE_NAMES = re.compile(r"(?:name|alias|aka)_?\d*")
NAME_PARTS = (("first_name", "given_name", "forename", "firstname", "givenname"),
              ("middle_name", "middle_names", "middlename"),
              ("last_name", "surname", "family_name", "lastname", "familyname"))
Source = tuple[int, ...]  # column positions whose cells are joined with a space


def _normal(column: str) -> str:
    return re.sub(r"[\s-]+", "_", column.strip().casefold())


@dataclass(frozen=True)
class ColumnMap:
    """The input's columns, and for each account field the columns (or joins) that hold it."""

    columns: tuple[str, ...]
    fields: Mapping[str, tuple[Source, ...]]

    @classmethod
    def build(cls, header: Sequence[str], given: Sequence[str] = ()) -> ColumnMap:
        """The caller's items (`field=column[+column...]`) first, the rest found by header name.

        Raises InputError for an unknown field or column, or when nothing can be screened.
        """
        columns = tuple(c.strip() for c in header)
        fields = _given(columns, given)
        for field, sources in _by_header(columns).items():
            fields.setdefault(field, sources)
        if not any(fields.get(f) for f in SCREENABLE):
            raise InputError("no column to screen: the header needs a `name` column (or `handle`, "
                             "`identifiers`), or a mapping such as name=first_name+last_name",
                             [{"parameter": "map", "detail": f"columns: {', '.join(columns)}"}])
        return cls(columns, fields)

    def values(self, cells: Sequence[str]) -> dict[str, list[str]]:
        """Field -> its non-blank values in this row (joins made, cells stripped)."""
        found: dict[str, list[str]] = {}
        for field, sources in self.fields.items():
            for source in sources:
                value = " ".join(cells[i].strip() for i in source if i < len(cells) and cells[i].strip())
                if value:
                    found.setdefault(field, []).append(value)
        return found

    def to_json(self) -> dict[str, list[list[int]]]:
        return {field: [list(s) for s in sources] for field, sources in self.fields.items()}

    @classmethod
    def from_json(cls, columns: Sequence[str], fields: Mapping[str, Any]) -> ColumnMap:
        return cls(tuple(columns), {f: tuple(tuple(s) for s in sources) for f, sources in fields.items()})

    def describe(self) -> dict[str, list[str]]:
        """Field -> its sources by column name ("first_name+last_name"), for people."""
        return {f: ["+".join(self.columns[i] for i in s) for s in sources] for f, sources in self.fields.items()}


def _given(columns: tuple[str, ...], given: Sequence[str]) -> dict[str, tuple[Source, ...]]:
    positions: dict[str, int] = {}
    for i, column in enumerate(columns):
        positions.setdefault(column, i)
        positions.setdefault(_normal(column), i)
    fields: dict[str, tuple[Source, ...]] = {}
    for item in given:
        field, sep, spec = (part.strip() for part in item.partition("="))
        if not sep or field not in FIELDS or not spec:
            raise InputError(f"a column mapping item is `field=column`, with a field among {', '.join(FIELDS)}",
                             [{"parameter": "map", "detail": f"not understood: {item[:100]!r}"}])
        source = []
        for column in (c.strip() for c in spec.split("+")):
            where = positions.get(column, positions.get(_normal(column)))
            if where is None:
                raise InputError(f"the mapping names a column the header does not have: {column[:100]!r}",
                                 [{"parameter": "map", "detail": f"columns: {', '.join(columns)}"}])
            source.append(where)
        if field in fields and field != "name":
            raise InputError(f"only `name` may be mapped more than once, not {field!r}",
                             [{"parameter": "map", "detail": item[:100]}])
        fields[field] = (*fields.get(field, ()), tuple(source))
    return fields


def _by_header(columns: tuple[str, ...]) -> dict[str, tuple[Source, ...]]:
    normal = [_normal(c) for c in columns]
    fields: dict[str, tuple[Source, ...]] = {}
    for field, names in HEADER_NAMES.items():
        found = next((i for i, n in enumerate(normal) if n in names), None)
        if found is not None:
            fields[field] = ((found,),)
    more = [(i,) for i, n in enumerate(normal)
            if MORE_NAMES.fullmatch(n) and (i,) not in fields.get("name", ()) and n not in HEADER_NAMES["name"]]
    parts = [next((i for i, n in enumerate(normal) if n in names), None) for names in NAME_PARTS]
    if "name" not in fields and (parts[0] is not None or parts[2] is not None):
        fields["name"] = (tuple(i for i in parts if i is not None),)
    if more:
        fields["name"] = (*fields.get("name", ()), *more)
    return fields
