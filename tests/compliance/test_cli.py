"""`python -m compliance lists ...` run as a user runs it: a real subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, instance: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "COMPLIANCE_INSTANCE_DIR": str(instance), **env}
    return subprocess.run([sys.executable, "-m", "compliance", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli-instance")


def test_lists_json(instance):
    done = run("lists", "--json", instance=instance)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["id"] for r in rows] == ["ofac_sdn", "ofac_cons", "un_sc", "eu_fsf", "uk_ofsi"]
    assert {r["id"]: r["entities"] for r in rows} == {
        "ofac_sdn": 14965, "ofac_cons": 443, "un_sc": 1003, "eu_fsf": 2269, "uk_ofsi": 4688}
    for row in rows:
        assert {"id", "name", "published", "stale", "entities", "names", "sha256"} <= set(row)
        assert len(row["sha256"]) == 64 and row["names"] >= row["entities"]
    assert {r["id"]: r["published"] for r in rows}["un_sc"] == "2026-02-27"


def test_lists_table_shows_age_and_staleness(instance):
    done = run("lists", instance=instance, COMPLIANCE_STALE_AFTER_DAYS="100000")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.strip().splitlines()
    assert header.split()[:3] == ["ID", "NAME", "PUBLISHED"]
    sdn = next(r for r in rows if r.startswith("ofac_sdn"))
    assert "2024-05-03" in sdn and "fresh" in sdn and "14,965" in sdn and "210ca6b4a818" in sdn
    assert not any("STALE" in r for r in rows)
    stale = run("lists", instance=instance, COMPLIANCE_STALE_AFTER_DAYS="30").stdout
    assert "5 of 5 lists are older than 30 days" in stale


def test_selecting_the_2021_sdn_xml_by_configuration(instance):
    done = run("lists", "--json", instance=instance, COMPLIANCE_LIST_VERSIONS="ofac_sdn=2021-03-10",
               COMPLIANCE_LISTS="ofac_sdn")
    rows = json.loads(done.stdout)
    assert [(r["id"], r["published"], r["entities"]) for r in rows] == [("ofac_sdn", "2021-03-10", 8832)]


def test_unknown_version_is_a_clear_error(instance):
    done = run("lists", instance=instance, COMPLIANCE_LIST_VERSIONS="ofac_sdn=1999")
    assert done.returncode != 0
    assert "ofac_sdn@1999 matches no version; stored: 2021-03-10-ofac_xml" in done.stderr
    assert "Traceback" not in done.stderr


def test_diff_across_formats_shows_thousands_of_additions(instance):
    done = run("lists", "diff", "ofac_sdn@2021-03-10", "ofac_sdn@2024-05-03", "--json", instance=instance)
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout)
    assert d["old"].startswith("ofac_sdn@2021-03-10-ofac_xml") and d["new"].startswith("ofac_sdn@2024-05-03")
    counts = d["counts"]
    assert counts["added"] > 6000 and counts["removed"] > 0
    assert counts["added"] - counts["removed"] == 14965 - 8832
    assert sum(counts.values()) - counts["added"] == 8832
    assert {"id", "name", "type", "programs"} <= set(d["added"][0])
    changed = {c["id"]: c for c in d["changed"]}
    assert all(c["fields"] for c in changed.values())


def test_diff_text_between_two_csv_editions(instance):
    done = run("lists", "diff", "ofac_cons@2025-06-30", "ofac_cons@2025-12-19", instance=instance)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("ofac_cons@2025-06-30-ofac_xml-8635a339 -> ofac_cons@2025-12-19-ofac_csv-f35dee63: ")
    assert "0 added, 1 removed" in first
    assert "  - ofac_cons:26182  " in done.stdout


def test_import_refuses_a_file_of_another_list(instance, tmp_path):
    un = next((ROOT / "watchlists" / "data" / "un_sc").glob("*/UN_consolidated.xml.gz"))
    done = run("lists", "import", "eu_fsf", str(un), "--source", "test", instance=instance)
    assert done.returncode != 0
    assert "un_xml is not a format of list eu_fsf" in done.stderr
