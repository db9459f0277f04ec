"""CSV cells for files people open in spreadsheets.

Account fields arrive from outside (display names, handles, ids, request ids). A text cell that
begins with =, +, -, @, a tab or a carriage return is read by Excel, LibreOffice and Google
Sheets as a formula (CSV injection, OWASP), so such a cell is written with a leading apostrophe,
which the spreadsheet shows as text. A cell that itself begins with an apostrophe gets one too,
so the rule reverses exactly: a cell that starts with an apostrophe lost exactly that one
character (the audit export relies on this: its records can be re-hashed from the CSV). The
JSON and JSON Lines forms of the same data are never escaped.
"""
from __future__ import annotations

from typing import Any

ESCAPED_START = ("=", "+", "-", "@", "\t", "\r", "'")


def cell(value: Any) -> Any:
    """`value`, or a text value that would start a formula (or an apostrophe), after an apostrophe."""
    if isinstance(value, str) and value.startswith(ESCAPED_START):
        return "'" + value
    return value


def row(values: list[Any]) -> list[Any]:
    return [cell(v) for v in values]
