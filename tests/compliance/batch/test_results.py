"""Results: paged JSON in row order (by verdict, or the failed rows), and the streamed CSV with the
input's columns first."""
from __future__ import annotations

import csv
import io

import pytest

from compliance.batch.inputs import Format
from compliance.batch.results import RESULT_COLUMNS
from compliance.errors import InvalidInputError

from .conftest import csv_bytes, submit

HEADER = ["account_id", "name", "country", "segment"]
ROWS = [("a1", "Ali Khamenei", "IR", "retail"), ("a2", "Jane Doe", "", "retail"), ("a3", "", "", "smb"),
        ("a4", "Vladimir Putin", "RU", "vip"), ("a5", "Joseph Bloggs", "GB", "retail")]


@pytest.fixture
def finished(batches):
    return batches.run_job(submit(batches, csv_bytes(HEADER, *ROWS))["id"], 1)


def test_pages_follow_the_cursor_in_row_order(batches, finished):
    first = batches.page(finished.id, limit=2)
    assert [r["row"] for r in first["results"]] == [2, 3] and first["next_cursor"]
    second = batches.page(finished.id, limit=2, cursor=first["next_cursor"])
    third = batches.page(finished.id, limit=2, cursor=second["next_cursor"])
    assert [r["row"] for r in second["results"] + third["results"]] == [4, 5, 6] and third["next_cursor"] is None
    khamenei = first["results"][0]
    assert khamenei["input"] == dict(zip(HEADER, ROWS[0])) and khamenei["verdict"] == "match"
    assert khamenei["top_match"]["entity_id"] == "ofac_sdn:26945" and khamenei["top_match"]["programs"]
    assert batches.audit.get(khamenei["screening_id"]).account_id == "a1"


def test_pages_by_verdict_or_failure(batches, finished):
    matches = batches.page(finished.id, verdict="match")["results"]
    assert [r["account_id"] for r in matches] == ["a1", "a4"]
    failed = batches.page(finished.id, failed=True)["results"]
    assert [(r["row"], r["account_id"], r["verdict"], r["error"]) for r in failed] == [
        (4, "a3", None, "line 4: nothing to screen: no name, handle or identifiers")]
    assert len(batches.page(finished.id, failed=False)["results"]) == 4
    with pytest.raises(InvalidInputError, match="cursor"):
        batches.page(finished.id, cursor="bm90LWEtY3Vyc29y")


def test_the_csv_has_the_input_columns_then_the_results(batches, finished):
    rows = list(csv.reader(io.StringIO("".join(batches.csv(finished.id)))))
    assert rows[0] == [*HEADER, *RESULT_COLUMNS]
    assert [r[:4] for r in rows[1:]] == [list(r) for r in ROWS]
    by_id = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert by_id["a1"]["verdict"] == "match" and by_id["a1"]["top_list"] == "ofac_sdn"
    assert by_id["a1"]["top_name"] == "KHAMENEI, Ali Husseini" and float(by_id["a1"]["top_score"]) >= 0.89
    assert by_id["a1"]["top_programs"] == "IRAN-EO13876" and int(by_id["a1"]["match_count"]) >= 1
    assert by_id["a2"]["verdict"] == "clear" and by_id["a2"]["top_entity_id"] == "" and by_id["a2"]["error"] == ""
    assert by_id["a3"]["verdict"] == "" and by_id["a3"]["error"].startswith("line 4:")


def test_a_jsonl_jobs_csv_shows_its_fields_as_cells(batches):
    data = (b'{"account_id": "j1", "names": ["Ali Khamenei", "Sayyid Ali"], '
            b'"identifiers": [{"type": "passport", "value": "A1"}]}\nnot json\n')
    done = batches.run_job(submit(batches, data, Format.JSONL)["id"], 1)
    rows = list(csv.DictReader(io.StringIO("".join(batches.csv(done.id)))))
    assert rows[0]["names"] == "Ali Khamenei; Sayyid Ali" and rows[0]["identifiers"] == "passport:A1"
    assert rows[0]["verdict"] == "match" and rows[1]["account_id"] == "" and rows[1]["error"].startswith("line 2: not JSON")
    assert batches.page(done.id)["results"][1]["input"] == "not json"


def test_batch_results_csv_escapes_formula_cells_and_the_json_pages_do_not(batches):
    data = csv_bytes(["account_id", "name"], ("=cmd|' /C calc'!A0", "Jane Doe"), ("a2", "@Ali Khamenei"))
    done = batches.run_job(submit(batches, data)["id"], 1)
    rows = list(csv.reader(io.StringIO("".join(batches.csv(done.id)))))
    assert rows[1][:2] == ["'=cmd|' /C calc'!A0", "Jane Doe"] and rows[2][:2] == ["a2", "'@Ali Khamenei"]
    page = batches.page(done.id)["results"]
    assert page[0]["account_id"] == "=cmd|' /C calc'!A0" and page[1]["input"]["name"] == "@Ali Khamenei"
