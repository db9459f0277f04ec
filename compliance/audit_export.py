"""Audit records as export text: CSV (header row, nested fields JSON-encoded) or JSON Lines.

Both carry every hashed field, so an exported record can be re-hashed by whoever receives it.
CSV text cells that a spreadsheet would run as a formula carry a leading apostrophe
(`compliance.spreadsheet`: remove one leading apostrophe from a cell to get the value back).
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from compliance import spreadsheet

if TYPE_CHECKING:
    from compliance.audit_records import AuditRecord

FORMATS = ("csv", "jsonl")
CSV_COLUMNS = ("id", "seq", "ts", "retain_until", "action", "actor_key_id", "actor_name", "actor_role",
               "account_id", "verdict", "batch_id", "request_id", "client", "engine_version", "policy_version",
               "status", "input", "matches", "list_versions", "detail", "hash_scheme", "prev_hash", "hash")
NESTED = frozenset({"input", "matches", "list_versions", "detail"})


def export_chunks(batches: Iterable[list[AuditRecord]], fmt: str) -> Iterator[str]:
    """One text chunk per batch of records (CSV: the header first, even for no records).

    Raises ValueError at once (not on first iteration) for a format other than FORMATS.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(FORMATS)}")
    render: Callable[[list[AuditRecord]], str] = _csv_chunk if fmt == "csv" else _jsonl_chunk
    return _chunks(batches, render, _csv_line(CSV_COLUMNS) if fmt == "csv" else None)


def _chunks(batches: Iterable[list[AuditRecord]], render: Callable[[list[AuditRecord]], str],
            header: str | None) -> Iterator[str]:
    if header is not None:
        yield header
    for batch in batches:
        yield render(batch)


def _jsonl_chunk(records: list[AuditRecord]) -> str:
    return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in records)


def _csv_chunk(records: list[AuditRecord]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(_csv_row(r.to_dict()) for r in records)
    return buffer.getvalue()


def _csv_row(data: dict[str, Any]) -> list[Any]:
    actor = data.pop("actor")
    data.update(actor_key_id=actor["key_id"], actor_name=actor["name"], actor_role=actor["role"])
    return [_csv_cell(c, data[c]) for c in CSV_COLUMNS]


def _csv_cell(column: str, value: Any) -> Any:
    if column in NESTED:  # JSON, so an absent value ("null") differs from an empty string
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return "" if value is None else spreadsheet.cell(value)


def _csv_line(values: Iterable[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue()
