"""`python -m compliance lists ...` run as a user runs it: a real subprocess."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli import ROOT, run_cli as run


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


def test_screen_json(instance):
    done = run("screen", "Ali Khamenei", "--dob", "1939-04-19", "--country", "IR", "--json", instance=instance)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["verdict"] == "match"
    top = out["matches"][0]
    assert top["entity_id"] == "ofac_sdn:26945" and top["list"] == "ofac_sdn"
    assert top["programs"] == ["IRAN-EO13876"] and top["matched_name"] == "KHAMENEI, Ali Husseini"
    assert {"summary", "name_similarity", "features"} <= set(top["explanation"])


def test_screen_text_and_jsonl(instance, tmp_path):
    text = run("screen", "--handle", "@khamenei_ir", instance=instance)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("verdict: REVIEW") or text.stdout.startswith("verdict: MATCH")
    queries = tmp_path / "queries.jsonl"
    queries.write_text(json.dumps({"query": {"name": "Али Хаменеи"}}) + "\n" + "\n"
                       + json.dumps({"query": {"name": "Catherine Gloria Fischer", "birth_date": "1941-01-10"}}) + "\n")
    done = run("screen", "--jsonl", str(queries), instance=instance)
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["verdict"] == "match" and first["matches"][0]["entity_id"] == "ofac_sdn:26945"
    assert second["verdict"] == "clear" and second["matches"] == []
    assert set(first["matches"][0]) == {"entity_id", "list", "name", "matched_name", "programs", "score",
                                        "verdict", "explanation"}


def test_compare_pairs(instance, tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    records = [
        {"query": {"name": "BOULGHIT, Boubakeur", "schema": "Person"},
         "candidate": {"name": "BOULGHITI, Boubekeur", "schema": "Person", "birth_date": "1970-02-13"},
         "label": True, "kind": "spelling_variant"},
        {"query": {"name": "Catherine Gloria Fischer"}, "candidate": {"name": "Ali Husseini Khamenei"}, "label": False},
        {"query": {"name": "Ali Khamenei"}, "candidate": None, "label": True},
    ]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in records) + "not json\n")
    done = run("compare", str(pairs), instance=instance)
    assert done.returncode == 1  # the malformed line
    assert "line 4: not JSON" in done.stderr
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert [o["label"] for o in out] == [True, False, True]  # input records are kept
    variant, unrelated, screened = (o["result"] for o in out)
    assert variant["verdict"] in ("match", "review") and variant["score"] > unrelated["score"]
    assert unrelated["verdict"] == "clear"
    assert 0.0 <= unrelated["score"] <= 1.0 and "summary" in variant["explanation"]
    assert screened["entity_id"] == "ofac_sdn:26945" and screened["verdict"] == "match"


def test_import_is_audited(tmp_path):
    un = next((ROOT / "watchlists" / "data" / "un_sc").glob("*/UN_consolidated.xml.gz"))
    done = run("lists", "import", "un_sc", str(un), "--source", "a test copy", instance=tmp_path)
    assert done.returncode == 0, done.stderr
    exported = run("audit", "export", "--format", "jsonl", "--action", "lists.import", instance=tmp_path)
    [record] = [json.loads(line) for line in exported.stdout.splitlines()]
    assert record["detail"]["list"] == "un_sc" and record["detail"]["source"] == "a test copy"
    assert record["detail"]["entities"] == 1003 and record["detail"]["files"] == {"primary": un.name}
