"""One batch row -> one `service.Account`, with the checks `POST /v1/screen` makes, or a RowError.

CSV rows arrive as cells mapped to fields (`columns.ColumnMap`); JSONL rows as the `/v1/screen`
JSON object (plus `ref`). The limits match the API's request schema; a RowError's message names
the field and the rule, never the value (it is stored, and may be shown, beside other rows).
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from compliance.batch.columns import ColumnMap
from compliance.batch.inputs import RowError
from compliance.models import Query, is_partial_date
from compliance.service import Account
from watchlists.model import EntityType

MAX_NAME = 512  # characters in one name
MAX_NAMES = 20  # names per account
MAX_TEXT = 128  # ids, handles, refs, identifier values
MAX_SHORT = 64  # types, codes, countries
MAX_IDENTIFIERS = 20
MAX_LIST_FILTER = 10
JSON_FIELDS = ("account_id", "names", "handle", "type", "date_of_birth", "country", "nationality", "identifiers",
               "lists", "ref")
# CSV `type` cells people write, as account types (JSONL takes the API's three words only).
CSV_TYPES = {"person": "person", "individual": "person", "natural_person": "person", "organization": "organization",
             "organisation": "organization", "company": "organization", "entity": "organization",
             "legal_entity": "organization", "unknown": "unknown", "": "unknown"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def csv_account(cells: Sequence[str], columns: ColumnMap) -> Account:
    """The account in a CSV row; its input is {column: cell} for every column of the header."""
    if len(cells) > len(columns.columns) and any(c.strip() for c in cells[len(columns.columns):]):
        raise RowError(f"{len(cells)} cells, but the header has {len(columns.columns)} columns")
    values = columns.values(cells)
    one = lambda field: values.get(field, [None])[0]  # noqa: E731
    kind = one("type")
    if kind is not None:
        kind = CSV_TYPES.get(re.sub(r"[\s-]+", "_", kind.casefold()))
        if kind is None:
            raise RowError("type: use person, organization or unknown")
    identifiers = [_identifier(item) for cell in values.get("identifiers", []) for item in cell.split(";")
                   if item.strip()]
    given = dict(zip(columns.columns, (*cells, *[""] * (len(columns.columns) - len(cells)))))
    return _account(given, one("account_id"), values.get("name", []), one("handle"), kind, one("date_of_birth"),
                    [c for c in (one("country"), one("nationality")) if c], identifiers, None, None)


def account_id_of(given: Any, columns: ColumnMap | None) -> str | None:
    """The account id of a row that could not be made an account, when one can be read."""
    if columns is not None and isinstance(given, list):
        value = columns.values(given).get("account_id", [None])[0]
    else:
        value = given.get("account_id") if isinstance(given, dict) else None
    return value[:MAX_TEXT] if isinstance(value, str) and not _CONTROL.search(value) else None


def json_account(obj: Mapping[str, Any]) -> Account:
    """The account in a JSONL object with the `/v1/screen` fields (and `ref`)."""
    unknown = sorted(set(obj) - set(JSON_FIELDS))
    if unknown:
        raise RowError(f"unknown field {unknown[0][:64]!r}: the fields are those of /v1/screen")
    names = _strings(obj.get("names"), "names", MAX_NAMES)
    if obj.get("type") is not None and obj.get("type") not in ("person", "organization", "unknown"):
        raise RowError("type: use person, organization or unknown")
    raw_ids = obj.get("identifiers") or []
    if not isinstance(raw_ids, list) or len(raw_ids) > MAX_IDENTIFIERS:
        raise RowError(f"identifiers: a list of at most {MAX_IDENTIFIERS} {{type, value}} objects")
    identifiers = [_identifier_object(item) for item in raw_ids]
    lists = _strings(obj.get("lists"), "lists", MAX_LIST_FILTER) if obj.get("lists") is not None else None
    countries = [_text(obj.get(f), f, MAX_SHORT) for f in ("country", "nationality")]
    return _account(dict(obj), _text(obj.get("account_id"), "account_id"), names, _text(obj.get("handle"), "handle"),
                    obj.get("type"), _text(obj.get("date_of_birth"), "date_of_birth", 10),
                    [c for c in countries if c], identifiers, lists, _text(obj.get("ref"), "ref"))


def _account(given: dict[str, Any], account_id: str | None, names: Sequence[str], handle: str | None,
             kind: str | None, birth: str | None, countries: Sequence[str], identifiers: Sequence[tuple[str, str]],
             lists: Sequence[str] | None, ref: str | None) -> Account:
    """The Account, as AccountSchema would load it, after the checks common to both formats."""
    names = [checked for checked in (_text(n, "name", MAX_NAME) for n in names) if checked]
    if len(names) > MAX_NAMES:
        raise RowError(f"name: at most {MAX_NAMES} names")
    for value, field, limit in ((account_id, "account_id", MAX_TEXT), (handle, "handle", MAX_TEXT)):
        _text(value, field, limit)
    for country in countries:
        _text(country, "country", MAX_SHORT)
    if birth is not None:
        _partial_date(birth)
    if not (names or handle or identifiers):
        raise RowError("nothing to screen: no name, handle or identifiers")
    query = Query(names=tuple(dict.fromkeys(n.strip() for n in names)), handle=handle,
                  type=EntityType(kind) if kind else None, birth_date=birth, countries=tuple(dict.fromkeys(countries)),
                  identifiers=tuple(identifiers), lists=tuple(lists) if lists else None)
    return Account(query=query, input=given, account_id=account_id, ref=ref)


def _text(value: Any, field: str, limit: int = MAX_TEXT) -> str | None:
    """A bounded, non-blank string without control characters, or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"{field}: must be a string")
    if not value.strip():
        raise RowError(f"{field}: may not be blank")
    if len(value) > limit:
        raise RowError(f"{field}: longer than {limit} characters")
    if _CONTROL.search(value):
        raise RowError(f"{field}: may not contain control characters")
    return value


def _strings(value: Any, field: str, limit: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > limit:
        raise RowError(f"{field}: a list of at most {limit} strings")
    return [v for v in (_text(item, field, MAX_NAME) for item in value) if v]


def _identifier(item: str) -> tuple[str, str]:
    """`type:value` (or a bare value, typed "id") from a CSV identifiers cell (items split by `;`)."""
    kind, sep, value = item.strip().partition(":")
    kind, value = (kind.strip(), value.strip()) if sep else ("id", kind.strip())
    return _text(kind or "id", "identifiers", MAX_SHORT) or "id", _text(value, "identifiers") or ""


def _identifier_object(item: Any) -> tuple[str, str]:
    if not isinstance(item, dict) or set(item) != {"type", "value"}:
        raise RowError("identifiers: each item is an object with `type` and `value`")
    return _text(item["type"], "identifiers", MAX_SHORT) or "", _text(item["value"], "identifiers") or ""


def _partial_date(value: str) -> None:
    if not is_partial_date(value):
        raise RowError("date_of_birth: use YYYY, YYYY-MM or YYYY-MM-DD (a real date)")
