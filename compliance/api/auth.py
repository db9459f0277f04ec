"""Bearer-key authentication and permission checks, before any view runs.

Secure by default: only the blueprints in PUBLIC_BLUEPRINTS (health, docs, the OpenAPI
document) are open; every view of every other blueprint declares its permission with
`@requires(...)`, and one that declares none is refused to every key. (Routes outside any
blueprint are not part of the API: the service has none; tests add some.) Each refusal (401: missing, invalid or revoked key;
403: the key's role lacks the permission) is appended to the audit log as "auth.denied" with the
status, method, path, client, request id and, when known, the key's id, never the secret.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import current_app, g, request
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, Unauthorized

from compliance.api.context import services
from compliance.api.spec import BEARER, Blueprint
from compliance.audit import Actor, AuditEvent
from compliance.keys import KEY_PREFIX, ApiKey, Permission

PUBLIC_BLUEPRINTS = frozenset({"health", "docs", "api-docs"})
# Longer Authorization values are refused without a database lookup.
MAX_SECRET_LENGTH = 512
# The non-secret id at the start of a key (`cs_<id>_...`): recorded when a refused key names one.
_KEY_ID = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{1,32}})_")
View = TypeVar("View", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def requires(permission: Permission) -> Callable[[View], View]:
    """Declare the permission a view needs; documents the bearer scheme and 401/403 on it."""
    def decorator(view: View) -> View:
        view.required_permission = permission  # type: ignore[attr-defined]
        documented = Blueprint.doc(security=[{BEARER: []}],
                                   responses={"401": "UNAUTHORIZED", "403": "FORBIDDEN"})(view)
        return documented  # type: ignore[return-value]
    return decorator


def authenticate() -> None:
    """before_request: set `g.api_key`, or refuse (401/403, audited)."""
    if request.blueprint is None or request.blueprint in PUBLIC_BLUEPRINTS:
        return  # routing errors (404/405), public views, routes outside the API
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return
    permission: Permission | None = getattr(view, "required_permission", None)
    secret = bearer_secret(request.headers.get("Authorization"))
    key = services().keys.authenticate(secret) if secret else None
    if key is None:
        _deny(401, "no bearer key" if secret is None else "invalid or revoked key", None, permission,
              claimed=_claimed_id(secret))
    if permission is None or not key.can(permission):
        _deny(403, f"role {key.role.value} lacks {permission.value if permission else 'a declared permission'}",
              key, permission)
    g.api_key = key


def bearer_secret(header: str | None) -> str | None:
    """The secret of `Authorization: Bearer <secret>`; "" for a malformed or oversized one."""
    if not header:
        return None
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret or len(secret) > MAX_SECRET_LENGTH:
        return ""
    return secret


def _claimed_id(secret: str | None) -> str | None:
    """The key id a refused secret names, if it has the shape of a key (never the secret itself)."""
    found = _KEY_ID.match(secret) if secret else None
    return found[1] if found else None


def _deny(status: int, reason: str, key: ApiKey | None, permission: Permission | None,
          claimed: str | None = None) -> NoReturn:
    presented = bool(request.headers.get("Authorization"))
    detail = {"method": request.method, "path": request.path, "reason": reason,
              "required": permission.value if permission else None}
    if claimed is not None:
        detail["claimed_key_id"] = claimed
    services().audit.append(AuditEvent(
        action="auth.denied", actor=key.actor() if key is not None else Actor(), status=status,
        request_id=g.get("request_id"), client=request.remote_addr, detail=detail))
    log.info("refused %s %s with %d: %s (request %s)", request.method, request.path, status, reason,
             g.get("request_id"))
    if status == 401:
        params: dict[str, str | None] = {"realm": "compliance", **({"error": "invalid_token"} if presented else {})}
        raise Unauthorized("Send a valid API key as `Authorization: Bearer <key>`.",
                           www_authenticate=WWWAuthenticate("bearer", params))
    raise Forbidden(f"This key's role may not do this: {reason}.")
