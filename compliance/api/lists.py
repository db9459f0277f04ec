"""The lists in force and their entities."""
from __future__ import annotations

from typing import Any

from compliance.api.auth import requires
from compliance.api.context import screener
from compliance.api.responses import EntitySchema, ListsSchema
from compliance.api.spec import NOT_READY, Blueprint
from compliance.keys import Permission

bp = Blueprint("lists", __name__, url_prefix="/v1", description="The lists in force and their entities.")


@bp.get("/lists")
@requires(Permission.LISTS_READ)
@bp.doc(responses=NOT_READY)
@bp.response(200, ListsSchema)
def lists() -> dict[str, Any]:
    """The lists in force: version, publish date, age, stale flag, counts and checksum."""
    return {"lists": screener().lists()}


@bp.get("/entities/<path:entity_id>")
@requires(Permission.LISTS_READ)
@bp.doc(responses=NOT_READY)
@bp.response(200, EntitySchema)
@bp.alt_response(404, response="NOT_FOUND")
def entity(entity_id: str) -> dict[str, Any]:
    """One listed entity by its list-scoped id, e.g. `ofac_sdn:26945`."""
    return screener().entity(entity_id)
