"""Refreshed lists put in force in a running service and in batch workers, without a restart:
the next check after a refresh reloads them; screenings before and after name their versions;
a version that cannot be loaded leaves the lists in force."""
from __future__ import annotations

import dataclasses
import io
import time
import weakref
from pathlib import Path

import pytest

from compliance import create_app
from compliance.audit import Actor, AuditFilter
from compliance.batch.inputs import Format
from compliance.keys import Role
from compliance.reloading import versions_in_force
from compliance.service import Caller
from watchlists.catalog import Catalog
from watchlists.lists import LISTS
from watchlists.manifest import import_files

ROOT = Path(__file__).resolve().parents[2]
UN_EXCERPT = ROOT / "tests" / "fixtures" / "watchlists" / "un" / "consolidated_excerpt.xml"
KATANGA = "un_sc:6907998"  # GERMAIN KATANGA: on the full UN list, not in the ten-entry excerpt
CHECK = 0.2  # seconds between checks


def put_excerpt_in_force(instance: Path) -> str:
    """What `lists refresh` leaves behind: a stored version and its CURRENT pointer."""
    catalog = Catalog(store_dir=instance / "watchlists")
    excerpt, _ = import_files(LISTS["un_sc"], {"primary": UN_EXCERPT}, catalog.store_dir, "test excerpt", None, "")
    catalog.set_current(excerpt)
    return excerpt.version


@pytest.fixture
def service(tmp_path):
    app = create_app({"TESTING": True, "instance_dir": tmp_path, "lists": ("un_sc",), "database_url": None,
                      "lists_check_seconds": CHECK})
    services = app.extensions["compliance"]
    _, secret = services.keys.create("reload", Role.SCREENER, Actor.system("test"))
    yield app, services, {"Authorization": f"Bearer {secret}"}
    services.reloader.wait(60)
    services.store.close()


def screen(app, headers, name: str) -> dict:
    response = app.test_client().post("/v1/screen", json={"names": [name]}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_a_refresh_is_in_force_at_the_next_check_and_each_screening_names_its_version(service, tmp_path):
    app, services, headers = service
    old_index = weakref.ref(services.engine.index)
    before = screen(app, headers, "Germain Katanga")
    bundled = before["lists"][0]["version"]
    assert before["verdict"] == "match" and before["matches"][0]["entity_id"] == KATANGA
    excerpt = put_excerpt_in_force(tmp_path)
    time.sleep(CHECK * 1.5)
    screen(app, headers, "Germain Katanga")  # this request's check starts the reload (in the background)
    services.reloader.wait(60)
    after = screen(app, headers, "Germain Katanga")
    assert after["verdict"] == "clear" and after["lists"][0]["version"] == excerpt != bundled
    assert services.reloader.reloads == 1 and len(services.engine.entities) == 10
    assert app.test_client().get("/readyz").json["lists"][0]["version"] == excerpt
    recorded = {r.id: r.list_versions for r in services.audit.query(AuditFilter(action="screen")).records}
    assert recorded[before["screening_id"]] == {"un_sc": bundled}
    assert recorded[after["screening_id"]] == {"un_sc": excerpt}
    [reload] = services.audit.query(AuditFilter(action="lists.reload")).records
    assert reload.detail == {"lists": {"un_sc": excerpt}, "previous": {"un_sc": bundled}}
    assert reload.actor.name.startswith("service:") and services.audit.verify().ok
    deadline = time.monotonic() + 30  # the replaced engine's index, frozen out of the GC, is collected
    while old_index() is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert old_index() is None


def test_nothing_is_reloaded_while_the_versions_in_force_are_the_ones_in_use(service):
    app, services, headers = service
    for _ in range(3):
        time.sleep(CHECK * 1.5)
        screen(app, headers, "Jane Doe")
        services.reloader.wait(60)
    assert services.reloader.reloads == 0
    assert services.reloader.loaded == versions_in_force(services.settings)


def test_a_version_that_cannot_be_loaded_leaves_the_lists_in_force(service, tmp_path):
    app, services, headers = service
    version = put_excerpt_in_force(tmp_path)
    [stored] = (tmp_path / "watchlists" / "un_sc").glob(f"{version}/*.xml*")
    stored.write_bytes(b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIV")  # damaged after it was stored
    time.sleep(CHECK * 1.5)
    screen(app, headers, "Jane Doe")
    services.reloader.wait(60)
    assert services.reloader.reloads == 0 and not services.audit.query(AuditFilter(action="lists.reload")).records
    assert screen(app, headers, "Germain Katanga")["matches"][0]["entity_id"] == KATANGA


def test_a_batch_worker_takes_refreshed_lists_between_chunks(service, tmp_path):
    app, services, _ = service
    data = b"account_id,name\r\nk-1,Germain Katanga\r\nk-2,Germain Katanga\r\n"
    batches = services.batches
    batches.settings = dataclasses.replace(services.settings, batch_chunk_rows=1)
    caller = Caller(Actor.system("test"))
    job = batches.submit(io.BytesIO(data).read, Format.CSV, caller)
    worker = batches.worker()
    assert worker.step(job["id"])  # the first row, with the bundled list
    excerpt = put_excerpt_in_force(tmp_path)
    time.sleep(CHECK * 1.5)
    worker.run(lambda: False, job["id"])  # checks before the next chunk, reloads, then screens it
    rows = {r.account_id: r for r in batches.audit.query(AuditFilter(batch_id=job["id"],
                                                                     action="screen.batch_item")).records}
    assert rows["k-1"].verdict == "match" and rows["k-2"].verdict == "clear"
    assert rows["k-2"].list_versions == {"un_sc": excerpt} != rows["k-1"].list_versions
    assert worker.reloader.reloads == 1
    [reload] = batches.audit.query(AuditFilter(action="lists.reload")).records
    assert reload.actor.name.startswith("batch worker:") and reload.detail["lists"] == {"un_sc": excerpt}
