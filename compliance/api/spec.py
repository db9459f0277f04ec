"""flask-smorest as this service uses it: one Api whose errors are problem+json (in the
handlers and in the OpenAPI document), a bearer security scheme, and a Blueprint whose JSON
parser shares Flask's cached body (parsed once: the view reads it again as the audited input)
and whose request schemas are instantiated once. `as_documented` answers a document that is
already in its response schema's form without dumping it again.
"""
from __future__ import annotations

import http
from typing import Any

import flask
import flask_smorest
from flask import Flask
from flask_smorest.utils import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request
from werkzeug.exceptions import BadRequest, HTTPException

from compliance.api.problems import PROBLEM_JSON, ProblemSchema, http_problem, register_error_handlers

BEARER = "bearerAuth"
# Documented on views that read a JSON body and need the lists: malformed, too large, not JSON, not ready.
BODY_ERRORS = {str(code): http.HTTPStatus(code).name for code in (400, 413, 415, 503)}
NOT_READY = {"503": http.HTTPStatus(503).name}
OPENAPI_SETTINGS = {
    "API_TITLE": "Sanctions screening",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",  # the Swagger UI bundled with swagger_ui_bundle reads 3.0
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
}
DESCRIPTION = (
    "Screens account holders against the OFAC, UN, EU and UK sanctions lists, with an explanation "
    "for every match and a tamper-evident audit log. Every endpoint except /healthz, /readyz, "
    "/openapi.json and /docs needs `Authorization: Bearer <key>`. Every error is "
    "`application/problem+json` (RFC 9457)."
)


def as_documented(document: Any) -> flask.Response:
    """`document` as the 200 JSON response, skipping flask-smorest's schema dump.

    For views whose service already builds the documented form (the schema's fields, in its
    order, as plain JSON types), where the dump would only copy a large document field by
    field. The view keeps its `@bp.response` schema for the OpenAPI document; a test holds each
    such view's answers to be unchanged by that schema's dump.
    """
    return flask.current_app.json.response(document)


class JsonParser(FlaskParser):
    """webargs' parser reading the body through `request.get_json` (cached for the view)."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        try:
            return req.get_json(force=True, cache=True)
        except (BadRequest, RecursionError) as exc:  # RecursionError: nesting too deep to decode
            abort(400, exc=exc, messages={"json": ["Invalid JSON body."]})


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = JsonParser()

    def arguments(self, schema: Any, **kwargs: Any) -> Any:
        """flask-smorest's `arguments`, with a Schema class instantiated once, here: given the
        class, webargs makes a new instance (deep-copying every field) on every request. Loading
        keeps no state in the instance, so one serves every request and thread."""
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


class ComplianceApi(flask_smorest.Api):
    """The Api with problem+json error responses and a bearer security scheme."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Flask) -> None:
        for key, value in OPENAPI_SETTINGS.items():
            app.config.setdefault(key, value)
        super().__init__(app, spec_kwargs={"info": {"description": DESCRIPTION}})
        self.spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer",
                                                      "description": "an API key from `python -m compliance keys create`"})

    def _register_error_handlers(self) -> None:
        register_error_handlers(self._app)

    def handle_http_exception(self, error: HTTPException) -> flask.Response:
        return http_problem(error)

    def _register_responses(self) -> None:
        """The default error responses, documented as problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, response, lazy=True)
