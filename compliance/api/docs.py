"""Interactive API docs at /docs: Swagger UI served by the app itself from `swagger_ui_bundle`
(no CDN), reading /openapi.json. Public, like the document it shows."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, render_template_string, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path
from werkzeug.exceptions import NotFound

bp = Blueprint("docs", __name__)
ASSETS_DIR = Path(str(swagger_ui_path))
ASSETS = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                    "favicon-32x32.png", "favicon-16x16.png"})
ASSET_MAX_AGE = 24 * 3600
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{{ title }}</title>
  <link rel="stylesheet" href="{{ url_for('docs.asset', name='swagger-ui.css') }}">
  <link rel="icon" type="image/png" href="{{ url_for('docs.asset', name='favicon-32x32.png') }}" sizes="32x32">
  <style>html { box-sizing: border-box; overflow-y: scroll; } *, *:before, *:after { box-sizing: inherit; }
  body { margin: 0; background: #fafafa; }</style>
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{{ url_for('docs.asset', name='swagger-ui-bundle.js') }}" charset="utf-8"></script>
  <script src="{{ url_for('docs.asset', name='swagger-ui-standalone-preset.js') }}" charset="utf-8"></script>
  <script src="{{ url_for('docs.initializer') }}" charset="utf-8"></script>
</body>
</html>
"""
INITIALIZER = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: %s,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout"
  });
};
"""


@bp.get("/docs")
def page() -> str:
    return render_template_string(PAGE, title="Sanctions screening API")


@bp.get("/docs/swagger-initializer.js")
def initializer() -> Response:
    spec_url = url_for("api-docs.openapi_json")
    return Response(INITIALIZER % f'"{spec_url}"', mimetype="text/javascript")


@bp.get("/docs/assets/<name>")
def asset(name: str) -> Response:
    if name not in ASSETS:
        raise NotFound()
    return send_from_directory(ASSETS_DIR, name, max_age=ASSET_MAX_AGE)
