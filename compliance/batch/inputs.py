"""Reading batch files: encoding detection, UTF-8 transcoding, and records with their line numbers.

Intake and workers run the same functions over the same bytes (`utf8_blocks` -> `split_lines` ->
`records`), so a chunk read back from its offset yields exactly the records counted at intake.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from compliance.errors import ComplianceError, InvalidInputError

# Bytes read per step: memory use is a few of these, whatever the file size.
BLOCK_BYTES = 1 << 20
# Bytes looked at to detect the encoding.
SNIFF_BYTES = 4096
# Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
Reader = Callable[[int], bytes]


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class InputError(InvalidInputError):
    """A batch file (or its column mapping) that cannot be read as a whole: nothing is queued."""


class TooLargeError(ComplianceError):
    """A batch file over the configured size."""

    status = 413
    title = "Content Too Large"


class RowError(ValueError):
    """One record that cannot be screened; its message becomes the row's `error` (never its values)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a batch file, where it lies, and (CSV) its cells or why it is not a row."""

    line: int  # the line it starts on (1-based)
    end: int  # bytes consumed from the start of the lines read, through this record
    next_line: int  # the line after its last one
    data: bytes  # its bytes: one line, or several for a CSV cell with line breaks
    cells: list[str] | None = None  # CSV: the cells, or None with an error
    error: str | None = None  # CSV: why the record is not a well-formed row


def detect_encoding(head: bytes) -> str:
    """The encoding of a file starting with `head`: from its BOM, a UTF-16 NUL pattern, or UTF-8."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    if head.startswith(b"PK\x03\x04"):
        raise InputError("this is a ZIP file (an Excel workbook?): export the sheet as CSV (UTF-8)")
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return "utf-16-be"
        raise InputError("the file holds NUL bytes and is not UTF-16 text: send CSV or JSON Lines as text")
    return "utf-8"


def utf8_blocks(read: Reader, encoding: str | None = None) -> Iterator[bytes]:
    """The input as UTF-8 blocks without a BOM; `encoding` overrides detection (e.g. "cp1252").

    Raises InputError for an unknown encoding or bytes that do not decode (with the byte offset).
    """
    block = _head(read)
    name = encoding or detect_encoding(block)
    try:
        passthrough = codecs.lookup(name).name == "utf-8"  # valid UTF-8 is copied as it is
    except LookupError:
        raise InputError(f"unknown encoding {name!r}") from None
    if passthrough and block.startswith(codecs.BOM_UTF8):
        block = block[len(codecs.BOM_UTF8):]  # an encoding given as UTF-8, with a BOM all the same
    decoder = codecs.getincrementaldecoder(name)("strict")
    offset = 0
    while block:
        try:
            text = decoder.decode(block)
        except UnicodeDecodeError as exc:
            raise _decode_error(name, offset + exc.start, encoding is None) from None
        yield block if passthrough else text.encode("utf-8")
        offset += len(block)
        block = read(BLOCK_BYTES)
    pending = len(decoder.getstate()[0])  # the bytes of a character the input cut short
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise _decode_error(name, offset - pending, encoding is None) from None


def _head(read: Reader) -> bytes:
    """The first SNIFF_BYTES (fewer at the end of the input), however short the reads."""
    head = b""
    while len(head) < SNIFF_BYTES:
        more = read(SNIFF_BYTES - len(head))
        if not more:
            break
        head += more
    if b"\n" not in head and b"\r" in head.rstrip(b"\r\x00"):
        raise InputError("lines end with CR only (classic Mac OS): save the file with LF or CRLF line ends")
    return head


def _decode_error(name: str, offset: int, detected: bool) -> InputError:
    hint = " (detected)" if detected else ""
    return InputError(f"the file is not valid {name}{hint}: undecodable bytes at byte {offset}; save it as UTF-8, "
                      "or name its encoding with the `encoding` parameter (e.g. cp1252)")


def split_lines(blocks: Iterable[bytes]) -> Iterator[bytes]:
    """Lines ending in b"\\n" (kept; a CR before it stays too); the last one may lack it."""
    carry = b""
    for block in blocks:
        parts = (carry + block).split(b"\n") if carry else block.split(b"\n")
        carry = parts.pop()
        for part in parts:
            yield part + b"\n"
    if carry:
        yield carry


def records(lines: Iterable[bytes], fmt: Format, first_line: int = 1) -> Iterator[Record]:
    """The records of `lines` (UTF-8), the first being line `first_line`; blank lines are none."""
    return csv_records(lines, first_line) if fmt is Format.CSV else jsonl_records(lines, first_line)


def jsonl_records(lines: Iterable[bytes], first_line: int = 1) -> Iterator[Record]:
    """One record per non-blank line."""
    consumed = 0
    for line_no, line in enumerate(lines, first_line):
        consumed += len(line)
        if line.strip():
            yield Record(line_no, consumed, line_no + 1, line)


class _Taken:
    """The lines csv.reader pulls, kept until the record they make is complete.

    csv.reader pulls exactly the lines of one record per row (more while a quoted cell is
    open), and starts each row afresh after an error: so records, their line numbers and
    offsets are the same whether reading starts at the top or at a record boundary.
    """

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self.taken: list[bytes] = []

    def __iter__(self) -> _Taken:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.taken.append(line)
        return line.decode("utf-8")


def csv_records(lines: Iterable[bytes], first_line: int = 1) -> Iterator[Record]:
    """CSV records, with their cells or a reason; rows without any value are skipped."""
    source = _Taken(lines)
    reader = csv.reader(source)
    line_no, consumed = first_line, 0
    while True:
        cells: list[str] | None
        try:
            cells, error = next(reader), None
        except StopIteration:
            return
        except csv.Error as exc:
            cells, error = None, f"not valid CSV: {exc}"
        data = b"".join(source.taken)
        start, count = line_no, len(source.taken)
        line_no, consumed = line_no + count, consumed + len(data)
        source.taken = []
        if cells and cells[-1].endswith(("\n", "\r")) and data.count(b'"') % 2:
            cells, error = None, "not valid CSV: a quoted cell is not closed"  # it ate the line ends
        if cells is not None and not any(c.strip() for c in cells):
            continue  # a blank line, or a row of empty cells
        yield Record(start, consumed, line_no, data, cells, error)


def json_object(record: Record) -> dict[str, Any]:
    """The JSON object on a JSONL line. Raises RowError for anything else."""
    try:
        value = json.loads(record.data)
    except json.JSONDecodeError as exc:
        raise RowError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except (UnicodeDecodeError, RecursionError):
        raise RowError("not JSON") from None
    if not isinstance(value, dict):
        raise RowError("a line must hold a JSON object")
    return value
