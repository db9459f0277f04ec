"""Taking a batch file in: one streamed pass copies it as UTF-8 into the job's directory and cuts
it into chunks of rows by byte offset. Memory stays flat: a block of input and one record at a time.

The copy is what workers read (`read_chunk`); a chunk is (start, stop) bytes of it, the line
number at its start, and its row count, so a worker re-reads exactly the rows counted here.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from compliance.batch.columns import ColumnMap
from compliance.batch.inputs import (Format, InputError, Reader, Record, TooLargeError, records, split_lines,
                                     utf8_blocks)

BATCH_DIR = "batches"
JSONL_COLUMNS = ("account_id", "names", "handle", "type", "date_of_birth", "country", "nationality",
                 "identifiers", "lists", "ref")


@dataclass(frozen=True)
class Chunk:
    """Rows [first row, first row + rows) of a job: bytes [start, stop) of its input copy."""

    seq: int
    start: int
    stop: int
    first_line: int
    rows: int


@dataclass(frozen=True)
class Intake:
    """A file taken in: where its copy lies (relative to the instance dir), its columns and chunks."""

    path: str
    size: int
    columns: ColumnMap | None  # CSV only
    chunks: list[Chunk]

    @property
    def rows(self) -> int:
        return sum(c.rows for c in self.chunks)

    @property
    def column_names(self) -> tuple[str, ...]:
        return self.columns.columns if self.columns is not None else JSONL_COLUMNS


class BatchFiles:
    """The job directories under `<instance>/batches`: input copies, read back by offset."""

    def __init__(self, instance_dir: Path) -> None:
        self.instance_dir = instance_dir

    def take_in(self, job_id: str, read: Reader, fmt: Format, chunk_rows: int, mapping: Iterable[str] = (),
                encoding: str | None = None, max_bytes: int | None = None,
                required: Mapping[str, str] = {}) -> Intake:  # noqa: B006 - read only
        """Copy and split the input; on any error nothing is left behind. `required`: account
        fields a CSV header must provide -> why (for the error).

        Raises InputError (encoding, header, mapping) and TooLargeError (over `max_bytes`).
        """
        if chunk_rows < 1:
            raise ValueError("chunk_rows must be at least 1")
        relative = f"{BATCH_DIR}/{job_id}/input.{fmt.value}"
        target = self.instance_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with target.open("wb") as sink:
                blocks = _copied(utf8_blocks(_bounded(read, max_bytes), encoding), sink)
                columns, chunks = _split(records(split_lines(blocks), fmt), fmt, chunk_rows, list(mapping),
                                         required)
                size = sink.tell()
        except BaseException:
            self.remove(job_id)
            raise
        return Intake(relative, size, columns, chunks)

    def read_chunk(self, path: str, chunk: Chunk, fmt: Format) -> list[Record]:
        """The records of one chunk. Raises FileNotFoundError when the copy is gone."""
        with (self.instance_dir / path).open("rb") as source:
            source.seek(chunk.start)
            data = source.read(chunk.stop - chunk.start)
        return list(records(split_lines([data]), fmt, chunk.first_line))

    def job_ids(self) -> list[str]:
        """The jobs that have a directory (input copies, or intakes under way)."""
        root = self.instance_dir / BATCH_DIR
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    def remove(self, job_id: str) -> None:
        """Delete a job's directory (when the job has ended: its results hold every row's input)."""
        shutil.rmtree(self.instance_dir / BATCH_DIR / job_id, ignore_errors=True)


def _bounded(read: Reader, max_bytes: int | None) -> Reader:
    total = 0

    def bounded(size: int) -> bytes:
        nonlocal total
        data = read(size)
        total += len(data)
        if max_bytes is not None and total > max_bytes:
            raise TooLargeError(f"the file is larger than the limit of {max_bytes} bytes")
        return data

    return bounded


def _copied(blocks: Iterable[bytes], sink) -> Iterator[bytes]:  # noqa: ANN001 - a binary file
    for block in blocks:
        sink.write(block)
        yield block


def _split(found: Iterator[Record], fmt: Format, chunk_rows: int, mapping: list[str], required: Mapping[str, str]
           ) -> tuple[ColumnMap | None, list[Chunk]]:
    """The CSV header's column map (from the first record), and the chunks of the records after it."""
    columns, start, first_line = None, 0, 1
    if fmt is Format.CSV:
        header = next(found, None)
        if header is None or header.cells is None:
            raise InputError("the file has no CSV header row" if header is None
                             else f"the header row is not valid CSV ({header.error})")
        columns = ColumnMap.build(header.cells, mapping)
        for field, why in required.items():
            if not columns.fields.get(field):
                raise InputError(f"no `{field}` column: {why}; name a column {field} or map one "
                                 f"({field}=COLUMN)", [{"parameter": "map", "detail": f"{field} is needed"}])
        start, first_line = header.end, header.next_line
    elif mapping:
        raise InputError("a column mapping applies to CSV files; JSON Lines carry the /v1/screen fields",
                         [{"parameter": "map", "detail": "not for jsonl"}])
    chunks: list[Chunk] = []
    rows, last = 0, None
    for record in found:
        rows, last = rows + 1, record
        if rows == chunk_rows:
            chunks.append(Chunk(len(chunks), start, record.end, first_line, rows))
            start, first_line, rows = record.end, record.next_line, 0
    if rows and last is not None:
        chunks.append(Chunk(len(chunks), start, last.end, first_line, rows))
    return columns, chunks
