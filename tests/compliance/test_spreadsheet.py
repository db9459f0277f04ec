"""CSV files people open in spreadsheets: cells that would run as formulas are escaped, reversibly
(audit exports here; batch results in batch/test_results.py); JSON forms stay as given."""
from __future__ import annotations

import csv
import io
import json

import pytest

from compliance import spreadsheet
from compliance.audit import Actor, AuditEvent, AuditFilter

FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+1 555 0100", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def unescape(text: str) -> str:
    """The rule's inverse, as the module docstring states it."""
    return text[1:] if text.startswith("'") else text


@pytest.mark.parametrize("value", [*FORMULAS, "'Ali", "''x", "Ali Khamenei", "", "x=1", "a-b"])
def test_escaping_reverses_exactly(value):
    written = spreadsheet.cell(value)
    assert unescape(written) == value
    assert written == value or written == "'" + value
    assert not str(written).startswith(("=", "+", "-", "@", "\t", "\r"))


def test_non_text_values_are_left_alone():
    assert spreadsheet.row([1, 0.5, None, -3]) == [1, 0.5, None, -3]


def test_audit_csv_export_escapes_and_reverses_to_the_hashed_values(audit_log):
    audit_log.append(AuditEvent("screen", Actor(name="-analyst"), account_id="=1+1", request_id="'quoted",
                                input={"names": ["=evil"]}))
    [row] = list(csv.DictReader(io.StringIO("".join(audit_log.export(AuditFilter(), "csv")))))
    assert (row["account_id"], row["actor_name"], row["request_id"]) == ("'=1+1", "'-analyst", "''quoted")
    [exact] = [json.loads(line) for line in "".join(audit_log.export(AuditFilter(), "jsonl")).splitlines()]
    assert {c: unescape(row[c]) for c in ("account_id", "actor_name", "request_id")} == {
        "account_id": exact["account_id"], "actor_name": exact["actor"]["name"], "request_id": exact["request_id"]}
    assert json.loads(row["input"]) == {"names": ["=evil"]}  # JSON cells start with { or [: never escaped
