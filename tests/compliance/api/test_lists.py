"""GET /v1/lists and /v1/entities/<id>."""
from .conftest import assert_problem


def test_lists_show_versions_publish_dates_and_staleness(api):
    response = api.get("/v1/lists", role="screener")
    assert response.status_code == 200
    lists = {item["id"]: item for item in response.json["lists"]}
    assert set(lists) == {"ofac_sdn", "ofac_cons", "un_sc", "eu_fsf", "uk_ofsi"}
    assert lists["ofac_sdn"]["published"] == "2024-05-03" and lists["ofac_sdn"]["entities"] == 14965
    assert all(item["stale"] for item in lists.values())


def test_entity_by_id(api):
    response = api.get("/v1/entities/ofac_sdn:26945", role="screener")
    assert response.status_code == 200
    entity = response.json
    assert entity["entity_id"] == "ofac_sdn:26945" and entity["list"] == "ofac_sdn"
    assert entity["name"] == "KHAMENEI, Ali Husseini"
    assert "IRAN-EO13876" in entity["programs"]
    assert entity["details"]["type"] == "person"
    assert {"birth_dates", "nationalities", "identifiers", "addresses", "remarks"} <= set(entity["details"])
    assert "matched_name" not in entity and "score" not in entity


def test_entity_documents_carry_legal_basis_where_the_list_publishes_it(app, api):
    screener = app.extensions["compliance"].screener
    listed = next(e for e in screener.engine.entities if e.legal_basis and e.listed_on)
    entity = api.get(f"/v1/entities/{listed.id}", role="screener").json
    assert entity["legal_basis"] == list(listed.legal_basis) and entity["listed_on"] == listed.listed_on


def test_unknown_entity_is_404(api):
    body = assert_problem(api.get("/v1/entities/ofac_sdn:does-not-exist", role="screener"), 404)
    assert "ofac_sdn:does-not-exist" in body["detail"]
