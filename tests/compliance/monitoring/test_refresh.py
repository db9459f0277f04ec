"""Real refreshes from the command line: the bundled SDN 2021-03 XML to the 2024-05 CSV, and
`lists refresh` downloading the UN list from a loopback server over an excerpt in force."""
from __future__ import annotations

import gzip
import json
import threading
from functools import partial
from http.server import HTTPServer, SimpleHTTPRequestHandler
from pathlib import Path

import pytest

from compliance.alerts import AlertFilter, Alerts
from compliance.audit import AuditLog
from compliance.config import Settings
from compliance.keys import KeyStore
from compliance.lists import Watchlists
from compliance.matching.engine import Engine
from compliance.memory import ReviewMemory
from compliance.review import ReviewDesk
from compliance.service import Screener
from compliance.store import Store
from tests.cli import run_cli
from tests.compliance.monitoring.conftest import OPERATOR, holder
from watchlists.catalog import BUNDLE_DIR, Catalog
from watchlists.lists import LISTS
from watchlists.manifest import import_files

ROOT = Path(__file__).resolve().parents[3]
UN_EXCERPT = ROOT / "tests" / "fixtures" / "watchlists" / "un" / "consolidated_excerpt.xml"


def write_accounts(path: Path, *accounts: dict) -> Path:
    path.write_text("".join(json.dumps(a) + "\n" for a in accounts), encoding="utf-8")
    return path


def stored_alerts(instance: Path) -> dict[str, set[tuple[str, str]]]:
    """account id -> {(kind, entity id)} of the alerts in the instance's store."""
    store = Store.connect(Settings.from_env({}, instance_dir=instance).store_url)
    found: dict[str, set[tuple[str, str]]] = {}
    for alert in Alerts(store, AuditLog(store)).page(AlertFilter(), limit=500)["alerts"]:
        found.setdefault(alert["account_id"], set()).add((alert["kind"], alert["entity_id"]))
    store.close()
    return found


def decide_true_match_under_2021(instance: Path) -> None:
    """An analyst confirmed Noriega while the 2021 list was in force."""
    settings = Settings.from_env({}, instance_dir=instance, lists=("ofac_sdn",),
                                 list_versions={"ofac_sdn": "2021-03-10"})
    store = Store.connect(settings.store_url)
    audit = AuditLog(store)
    watchlists = Watchlists.load(settings)
    screener = Screener(Engine.build(e for item in watchlists.lists for e in item.entities), watchlists, audit,
                        settings, memory=ReviewMemory(store))
    screened = screener.screen(holder("a-noriega", "Manuel Antonio Noriega"), OPERATOR)
    assert "ofac_sdn:1572" in {m["entity_id"] for m in screened["matches"]}
    ReviewDesk(store, audit, KeyStore(store, audit)).decide(screened["screening_id"], "ofac_sdn:1572", "true_match",
                                                            "the former head of state", OPERATOR)
    store.close()


@pytest.mark.slow
def test_the_sdn_refresh_from_2021_to_2024_alerts_on_the_new_designations(tmp_path):
    env = {"COMPLIANCE_LISTS": "ofac_sdn"}
    accounts = write_accounts(
        tmp_path / "accounts.jsonl",
        {"account_id": "a-zahhar", "names": ["Mahmoud Khaled Zahhar"], "type": "person"},
        {"account_id": "a-vtb", "names": ["VTB Bank PJSC"], "type": "organization"},
        {"account_id": "a-sber", "names": ["Sberbank of Russia"], "type": "organization"},
        {"account_id": "a-fischer", "names": ["Catherine Gloria Fischer"], "date_of_birth": "1941-01-10"},
        {"account_id": "a-noriega", "names": ["Manuel Antonio Noriega"]})
    enrolled = run_cli("monitor", "enroll", str(accounts), instance=tmp_path, **env)
    assert enrolled.returncode == 0, enrolled.stderr
    decide_true_match_under_2021(tmp_path)
    done = run_cli("monitor", "rescreen", "--from", "ofac_sdn@2021-03-10", "--to", "ofac_sdn@2024-05-03", "--json",
                   instance=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"]["added"] > 7000 and report["counts"]["removed"] > 900
    alerts = stored_alerts(tmp_path)
    assert ("listed", "ofac_sdn:9647") in alerts["a-zahhar"]  # ZAHHAR, Mahmoud Khaled
    assert ("listed", "ofac_sdn:17013") in alerts["a-vtb"]  # VTB BANK PUBLIC JOINT STOCK COMPANY
    assert ("listed", "ofac_sdn:17018") in alerts["a-sber"]  # PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA
    assert ("delisted", "ofac_sdn:1572") in alerts["a-noriega"]  # NORIEGA, Manuel Antonio
    assert "a-fischer" not in alerts
    assert {a["entity_name"] for a in report["alerts"] if a["account_id"] == "a-zahhar"} >= {"ZAHHAR, Mahmoud Khaled"}


@pytest.fixture
def un_server(tmp_path):
    """The bundled UN list, decompressed, served on 127.0.0.1."""
    [bundled] = (BUNDLE_DIR / "un_sc").glob("*/UN_consolidated.xml.gz")
    served = tmp_path / "served"
    served.mkdir()
    (served / "consolidated.xml").write_bytes(gzip.decompress(bundled.read_bytes()))
    server = HTTPServer(("127.0.0.1", 0), partial(QuietHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/consolidated.xml"
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:
        pass


def test_lists_refresh_rescreens_the_monitored_accounts(tmp_path, un_server):
    instance = tmp_path / "instance"
    catalog = Catalog(store_dir=instance / "watchlists")
    excerpt, _ = import_files(LISTS["un_sc"], {"primary": UN_EXCERPT}, catalog.store_dir, "test excerpt", None, "")
    catalog.set_current(excerpt)  # ten UN entries in force
    env = {"COMPLIANCE_LISTS": "un_sc"}
    accounts = write_accounts(tmp_path / "accounts.jsonl",
                              {"account_id": "u-1", "names": ["Germain Katanga"]},
                              {"account_id": "u-2", "names": ["Eric Badege"]},
                              {"account_id": "u-3", "names": ["Catherine Gloria Fischer"]})
    assert run_cli("monitor", "enroll", str(accounts), instance=instance, **env).returncode == 0
    done = run_cli("lists", "refresh", "--list", "un_sc", "--url", un_server, instance=instance, **env)
    assert done.returncode == 0, done.stderr
    assert "un_sc: updated" in done.stdout and "monitoring un_sc@" in done.stdout
    alerts = stored_alerts(instance)
    assert alerts["u-1"] == {("listed", "un_sc:6907998")}  # GERMAIN KATANGA: not in the excerpt
    assert "u-3" not in alerts and all(kind != "listed" for kind, _ in alerts.get("u-2", ()))
