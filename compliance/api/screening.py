"""Screening endpoints: one account, a batch of accounts, and one query against one candidate."""
from __future__ import annotations

from typing import Any

from flask import Response, request

from compliance.api.auth import requires
from compliance.api.context import caller, cpu_bound, screener
from compliance.api.responses import BatchResultSchema, CompareResultSchema, ScreenResultSchema
from compliance.api.schemas import AccountSchema, BatchSchema, CompareSchema
from compliance.api.spec import BODY_ERRORS, Blueprint, as_documented
from compliance.keys import Permission
from compliance.service import Account

bp = Blueprint("screening", __name__, url_prefix="/v1",
               description="Screen account holders against the lists in force; every answer is audited.")


@bp.post("/screen")
@requires(Permission.SCREEN)
@cpu_bound
@bp.doc(responses=BODY_ERRORS)
@bp.arguments(AccountSchema)
@bp.response(200, ScreenResultSchema)
def screen(parsed: dict[str, Any]) -> Response:
    """Screen one account holder.

    Returns the verdict (match / review / clear), the ranked matches with their explanations,
    and the lists screened with their versions and stale flags. `screening_id` is the id of
    the audit record that holds the input, the result, the list versions and who asked.
    """
    # the service's document is already in ScreenResultSchema's form: answered as is
    return as_documented(screener().screen(Account(**parsed, input=request.get_json()), caller()))


@bp.post("/screen/batch")
@requires(Permission.SCREEN)
@bp.doc(responses=BODY_ERRORS)
@bp.arguments(BatchSchema)
@bp.response(200, BatchResultSchema)
def screen_batch(parsed: dict[str, Any]) -> Response:
    """Screen up to COMPLIANCE_MAX_BATCH_ITEMS account holders, each with its own audit record.

    Every account is validated before any is screened; the records are written together.
    """
    received = request.get_json()["accounts"]
    accounts = [Account(**item, input=given) for item, given in zip(parsed["accounts"], received)]
    # the service's document is already in BatchResultSchema's form: answered as is
    return as_documented(screener().screen_batch(accounts, caller()))


@bp.post("/compare")
@requires(Permission.SCREEN)
@cpu_bound
@bp.doc(responses=BODY_ERRORS)
@bp.arguments(CompareSchema)
@bp.response(200, CompareResultSchema)
def compare(parsed: dict[str, Any]) -> dict[str, Any]:
    """Explain one query against one candidate (the record format of the development sets)."""
    return screener().compare(parsed["query"], parsed["candidate"], request.get_json(), caller())
