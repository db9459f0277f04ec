"""GET /openapi.json and the self-hosted Swagger UI at /docs (no CDN)."""
import re

import pytest


def test_openapi_document(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.") and spec["info"]["title"]
    expected = {"/v1/screen", "/v1/screen/batch", "/v1/compare", "/v1/lists", "/v1/entities/{entity_id}",
                "/v1/audit", "/v1/audit/{record_id}", "/v1/audit/export.csv", "/v1/audit/export.jsonl",
                "/v1/audit/verify", "/healthz", "/readyz"}
    assert expected <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": spec["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    screen = spec["paths"]["/v1/screen"]["post"]
    assert screen["security"] == [{"bearerAuth": []}]
    assert {"200", "400", "401", "403", "413", "415", "422", "503"} <= set(screen["responses"])
    assert screen["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Account")
    account = spec["components"]["schemas"]["Account"]["properties"]
    assert account["names"]["maxItems"] == 20 and account["names"]["items"]["maxLength"] == 512
    error = spec["components"]["responses"]["UNPROCESSABLE_ENTITY"]["content"]
    assert list(error) == ["application/problem+json"]
    assert spec["paths"]["/healthz"]["get"]["security"] == []
    assert {"ScreenResult", "Match", "Problem", "AuditRecord"} <= set(spec["components"]["schemas"])


def test_openapi_and_docs_need_no_key(client):
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_docs_page_serves_swagger_ui_from_the_app(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/docs/") for s in sources), sources
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert asset.content_length or asset.get_data()
    assert "/openapi.json" in client.get("/docs/swagger-initializer.js").get_data(as_text=True)
    assert client.get("/docs/assets/swagger-ui-bundle.js").get_data().startswith(b"/*!")


@pytest.mark.parametrize("name", ["index.html", "../__init__.py", "swagger-ui.js.map", "nope.js"])
def test_docs_serve_only_the_listed_assets(client, name):
    response = client.get(f"/docs/assets/{name}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
