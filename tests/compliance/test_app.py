from compliance import create_app


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_lists_versions_and_staleness(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ready"
    lists = {item["id"]: item for item in body["lists"]}
    assert set(lists) == {"ofac_sdn", "ofac_cons", "un_sc", "eu_fsf", "uk_ofsi"}
    assert lists["ofac_sdn"]["published"] == "2024-05-03"
    assert lists["ofac_sdn"]["entities"] == 14965
    assert lists["un_sc"]["version"].startswith("2026-02-27-un_xml-")
    # every bundled snapshot is older than 30 days today
    assert set(body["stale"]) == set(lists) and all(item["stale"] for item in lists.values())
    assert body["entities"] == sum(item["entities"] for item in lists.values())


def test_readyz_is_503_when_lists_cannot_load(tmp_path):
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "lists": ("un_sc",),
                      "list_versions": {"un_sc": "1999"}})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "un_sc@1999 matches no version" in response.json["detail"]
    assert app.test_client().get("/healthz").status_code == 200


def test_unknown_route_is_problem_json(client):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404 and response.json["title"] == "Not Found"


def test_wrong_method_is_problem_json(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.mimetype == "application/problem+json"
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_is_generic_500(tmp_path, default_watchlists):
    app = create_app({"TESTING": False, "instance_dir": tmp_path, "watchlists": default_watchlists})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals: Ali Khamenei")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    assert "secret" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
