"""Request schemas: every field typed and bounded, unknown fields refused (marshmallow's RAISE).

Accounts load into `{"query": Query, "account_id", "ref"}`; the view pairs each with its input
as received to make a `service.Account`.
"""
from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.validate import Length, OneOf, Range

from compliance.audit import MAX_PAGE
from compliance.models import Query, is_partial_date
from watchlists.model import EntityType

MAX_NAME = 512  # characters in one name
MAX_NAMES = 20  # names per account
MAX_TEXT = 128  # ids, handles, refs, identifier values
MAX_SHORT = 64  # types, codes
MAX_IDENTIFIERS = 20
MAX_LIST_FILTER = 10
ACCOUNT_TYPES = ("person", "organization", "unknown")
VERDICTS = ("match", "review", "clear")


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def not_blank(value: str) -> None:
    """Some visible text, and no control characters (NUL cannot be stored, the rest are noise)."""
    if not value.strip():
        raise ma.ValidationError("May not be blank.")
    if _CONTROL.search(value):
        raise ma.ValidationError("May not contain control characters.")


def partial_date(value: str) -> None:
    """YYYY, YYYY-MM or YYYY-MM-DD, and a real date."""
    if not is_partial_date(value):
        raise ma.ValidationError("Not a date: use YYYY, YYYY-MM or YYYY-MM-DD.")


def text(max_length: int = MAX_TEXT, **kwargs: Any) -> fields.String:
    """A bounded, non-blank string."""
    return fields.String(validate=[Length(min=1, max=max_length), not_blank], **kwargs)


def optional(max_length: int = MAX_TEXT, **kwargs: Any) -> fields.String:
    """A bounded, non-blank string that may be absent or null."""
    return text(max_length, allow_none=True, load_default=None, **kwargs)


class IdentifierSchema(ma.Schema):
    type = text(MAX_SHORT, required=True, metadata={"example": "passport"})
    value = text(MAX_TEXT, required=True, metadata={"example": "A1234567"})


class AccountSchema(ma.Schema):
    """One account holder. At least one of `names`, `handle`, `identifiers`."""

    account_id = optional(metadata={"description": "the platform's id for the account"})
    names = fields.List(text(MAX_NAME), validate=Length(max=MAX_NAMES), load_default=list,
                        metadata={"description": "display names, any script", "example": ["Ali Khamenei"]})
    handle = optional(metadata={"example": "@khamenei_ir"})
    type = fields.String(allow_none=True, load_default=None, validate=OneOf(ACCOUNT_TYPES))
    date_of_birth = fields.String(allow_none=True, load_default=None, validate=[Length(max=10), partial_date],
                                  metadata={"description": "YYYY, YYYY-MM or YYYY-MM-DD", "example": "1939-04-19"})
    country = optional(MAX_SHORT, metadata={"description": "ISO 3166 alpha-2 code or name"})
    nationality = optional(MAX_SHORT)
    identifiers = fields.List(fields.Nested(IdentifierSchema), validate=Length(max=MAX_IDENTIFIERS),
                              load_default=list)
    lists = fields.List(text(MAX_SHORT), validate=Length(min=1, max=MAX_LIST_FILTER), load_default=None,
                        allow_none=True, metadata={"description": "screen only these list ids"})

    @ma.validates_schema
    def _something_to_screen(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("names") or data.get("handle") or data.get("identifiers")):
            raise ma.ValidationError("Give at least one of names, handle, identifiers.")

    @ma.post_load
    def _query(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        countries = (data.get("country"), data.get("nationality"))
        query = Query(
            names=tuple(dict.fromkeys(n.strip() for n in data["names"])),
            handle=data.get("handle"),
            type=EntityType(data["type"]) if data.get("type") else None,
            birth_date=data.get("date_of_birth"),
            countries=tuple(dict.fromkeys(c for c in countries if c)),
            identifiers=tuple((i["type"], i["value"]) for i in data["identifiers"]),
            lists=tuple(data["lists"]) if data.get("lists") else None,
        )
        return {"query": query, "account_id": data.get("account_id"), "ref": data.get("ref")}


class BatchAccountSchema(AccountSchema):
    ref = optional(metadata={"description": "the caller's reference, echoed in the result"})


class BatchSchema(ma.Schema):
    accounts = fields.List(fields.Nested(BatchAccountSchema), required=True, validate=Length(min=1),
                           metadata={"description": "at most COMPLIANCE_MAX_BATCH_ITEMS (default 1,000)"})


class RecordSideSchema(ma.Schema):
    """One side of a comparison, in the record format of the development sets."""

    name = text(MAX_NAME, metadata={"example": "Ali Khamenei"})
    aliases = fields.List(text(MAX_NAME), validate=Length(max=MAX_NAMES))
    schema = text(MAX_SHORT, metadata={"description": "FollowTheMoney schema", "example": "Person"})
    birth_date = fields.String(validate=[Length(max=10), partial_date])
    birth_place = text()
    country = text(MAX_SHORT)
    gender = text(MAX_SHORT)
    program = text()
    entity_id = text(metadata={"description": "the candidate's id, e.g. ofac_sdn:26945; given alone, the listed "
                                              "entity with this id is the candidate"})
    name_parts = fields.Dict(keys=text(MAX_SHORT), values=text(MAX_NAME), validate=Length(max=10),
                             metadata={"example": {"firstName": "Ali", "lastName": "Khamenei"}})
    properties = fields.Dict(keys=text(MAX_SHORT),
                             values=fields.List(text(MAX_NAME), validate=Length(max=MAX_NAMES)),
                             validate=Length(max=30), metadata={"description": "FollowTheMoney properties"})


class CompareSchema(ma.Schema):
    query = fields.Nested(RecordSideSchema, required=True)
    candidate = fields.Nested(RecordSideSchema, required=True)


class AuditQuerySchema(ma.Schema):
    """Filters of GET /v1/audit and its exports; naive times are UTC."""

    since = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "inclusive, ISO 8601"})
    until = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "exclusive, ISO 8601"})
    actor = text(metadata={"description": "key id or key name"})
    account_id = text()
    action = text(MAX_SHORT, metadata={"example": "screen"})
    verdict = fields.String(validate=OneOf(VERDICTS))
    entity_id = text()
    list_version = text(metadata={"description": "a version, or list_id@version"})
    batch_id = text(MAX_SHORT)


class AuditPageQuerySchema(AuditQuerySchema):
    limit = fields.Integer(load_default=100, validate=Range(min=1, max=MAX_PAGE))
    cursor = text(256)
