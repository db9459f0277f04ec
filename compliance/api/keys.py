"""API keys over HTTP, for admin keys: create (the secret shown once), list, read, revoke.

The same KeyStore as `python -m compliance keys`; every creation and revocation is audited with
the admin key that made it, the request id and the client. Over HTTP the last active admin key
cannot be revoked (409): that would leave nobody able to manage keys but the command line.
"""
from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from marshmallow import fields
from marshmallow.validate import OneOf

from compliance.api.auth import requires
from compliance.api.context import caller, services
from compliance.api.schemas import text
from compliance.api.spec import Blueprint
from compliance.keys import MAX_NAME, Permission, Role

JSON_ERRORS = {str(code): http.HTTPStatus(code).name for code in (400, 413, 415)}
bp = Blueprint("keys", __name__, url_prefix="/v1",
               description="API keys (admin): create, list, revoke. A key's secret is shown once, at creation.")


class KeyCreateSchema(ma.Schema):
    name = text(MAX_NAME, required=True, metadata={"description": "who or what calls with it",
                                                   "example": "crm-nightly-batch"})
    role = fields.String(required=True, validate=OneOf([r.value for r in Role]),
                         metadata={"description": "screener, analyst, auditor or admin"})


class KeySchema(ma.Schema):
    id = fields.String()
    name = fields.String()
    role = fields.String()
    prefix = fields.String(metadata={"description": "the key's non-secret start, to tell keys apart"})
    created_at = fields.String()
    revoked_at = fields.String(allow_none=True)


class CreatedKeySchema(KeySchema):
    key = fields.String(metadata={"description": "the secret, for `Authorization: Bearer <key>`: shown only now"})


class KeyListSchema(ma.Schema):
    keys = fields.List(fields.Nested(KeySchema), metadata={"description": "oldest first, revoked ones included"})


@bp.post("/keys")
@requires(Permission.KEYS_ADMIN)
@bp.doc(responses=JSON_ERRORS)
@bp.arguments(KeyCreateSchema)
@bp.response(201, CreatedKeySchema)
def create(body: dict[str, Any]) -> dict[str, Any]:
    """Create a key with a role; its secret is in the answer and nowhere else (stored hashed)."""
    who = caller()
    key, secret = services().keys.create(body["name"], body["role"], who.actor, who.request_id, who.client)
    return {**key.to_dict(), "key": secret}


@bp.get("/keys")
@requires(Permission.KEYS_ADMIN)
@bp.response(200, KeyListSchema)
def keys() -> dict[str, Any]:
    """Every key with its role and state (never a secret)."""
    return {"keys": [k.to_dict() for k in services().keys.list()]}


@bp.get("/keys/<key_id>")
@requires(Permission.KEYS_ADMIN)
@bp.response(200, KeySchema)
@bp.alt_response(404, response="NOT_FOUND")
def key(key_id: str) -> dict[str, Any]:
    return services().keys.get(key_id).to_dict()


@bp.delete("/keys/<key_id>")
@requires(Permission.KEYS_ADMIN)
@bp.response(200, KeySchema)
@bp.alt_response(404, response="NOT_FOUND")
@bp.alt_response(409, response="CONFLICT")
def revoke(key_id: str) -> dict[str, Any]:
    """Revoke a key: it stops working on the next request. Revoking a revoked key changes nothing."""
    who = caller()
    return services().keys.revoke(key_id, who.actor, who.request_id, who.client, keep_an_admin=True).to_dict()
