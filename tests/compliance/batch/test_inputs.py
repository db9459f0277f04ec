"""Reading batch files: encodings detected or refused, records with their line numbers, and chunks
read back from their offsets yielding exactly the records counted at intake."""
from __future__ import annotations

import codecs

import pytest

from compliance.batch.inputs import (Format, InputError, RowError, TooLargeError, json_object, records, split_lines,
                                     utf8_blocks)
from compliance.batch.intake import BatchFiles

from .conftest import csv_bytes, reader

TEXT = "account_id,name\r\n1,Ali Khamenei\r\n2,Renée Müller\r\n3,علي خامنئي\r\n"


def utf8(data: bytes, encoding: str | None = None, step: int | None = None) -> bytes:
    source = reader(data)
    read = source if step is None else (lambda _n: source(step))  # noqa: E731 - short reads
    return b"".join(utf8_blocks(read, encoding))


@pytest.mark.parametrize("encoded", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    TEXT.encode("utf-16"),  # with its BOM
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
    TEXT.encode("utf-16-le"),  # no BOM: told by its NUL bytes
    TEXT.encode("utf-16-be"),
    TEXT.encode("utf-32"),
], ids=["utf8", "utf8-bom", "utf16", "utf16-be-bom", "utf16-le-no-bom", "utf16-be-no-bom", "utf32"])
def test_encodings_are_detected_and_copied_as_utf8_without_bom(encoded):
    assert utf8(encoded) == TEXT.encode("utf-8")
    assert utf8(encoded, step=3) == TEXT.encode("utf-8")  # characters cut across reads


def test_other_encodings_are_refused_clearly_or_read_when_named():
    latin = TEXT.replace("علي خامنئي", "Jose").encode("cp1252")
    with pytest.raises(InputError, match=r"not valid utf-8 \(detected\): undecodable bytes at byte 38.*encoding"):
        utf8(latin)
    assert utf8(latin, "cp1252").decode("utf-8") == TEXT.replace("علي خامنئي", "Jose")
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        utf8(latin, "klingon")


@pytest.mark.parametrize("data, message", [
    (b"PK\x03\x04" + b"\x00" * 100, "ZIP file"),
    (b"\x00\x01\x02\x03binary", "NUL bytes"),
    (b"account_id,name\r1,Ali\r2,Bob\r", "CR only"),
    ("name\nRené".encode("utf-8")[:-1], "undecodable bytes at byte 8"),  # cut inside a character
])
def test_unreadable_files_are_refused(data, message):
    with pytest.raises(InputError, match=message):
        utf8(data)


def csv_records(text: str, first_line: int = 1):
    return list(records(split_lines([text.encode()]), Format.CSV, first_line))


def test_csv_records_keep_their_line_numbers_through_quoted_breaks_and_blank_lines():
    found = csv_records('name,note\n"Ali\nKhamenei",x\n\n   \nO"Brien,y\n,\n"unclosed,z\nlast,w\n')
    assert [(r.line, r.cells, r.error) for r in found] == [
        (1, ["name", "note"], None),
        (2, ["Ali\nKhamenei", "x"], None),
        (6, ['O"Brien', "y"], None),  # a stray quote inside a cell is a character, as Python's csv reads it
        (8, None, "not valid CSV: a quoted cell is not closed"),  # the row of empty cells (7) is skipped
    ]
    assert found[-1].next_line == 10


def test_a_carriage_return_inside_a_line_is_a_bad_row_not_a_stop():
    found = csv_records("name\nA\rB\nC\n")
    assert [r.line for r in found] == [1, 2, 3]
    assert found[1].cells is None and "new-line character" in found[1].error and found[2].cells == ["C"]


def test_jsonl_records_and_objects():
    lines = b'{"names": ["A"]}\n\n[1]\nnot json\n{"names": ["B"]}'
    found = list(records(split_lines([lines]), Format.JSONL))
    assert [r.line for r in found] == [1, 3, 4, 5]
    assert json_object(found[0]) == {"names": ["A"]} and json_object(found[3]) == {"names": ["B"]}
    with pytest.raises(RowError, match="must hold a JSON object"):
        json_object(found[1])
    with pytest.raises(RowError, match="not JSON: Expecting value at column 1"):
        json_object(found[2])


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 7, 100])
def test_chunks_read_back_are_exactly_the_records_of_the_whole_file(tmp_path, chunk_rows):
    rows = [(str(i), f"Name {i}", "note\nwith break" if i % 3 == 0 else "") for i in range(20)]
    data = codecs.BOM_UTF8 + csv_bytes(["id", "name", "note"], *rows[:10]) + b"\r\n\r\n" + \
        csv_bytes(["id", "name", "note"], *rows[10:]).split(b"\r\n", 1)[1]
    files = BatchFiles(tmp_path)
    intake = files.take_in("job", reader(data), Format.CSV, chunk_rows)
    whole = csv_records(data.decode("utf-8-sig"))[1:]
    again = [r for chunk in intake.chunks for r in files.read_chunk(intake.path, chunk, Format.CSV)]
    assert [(r.line, r.cells) for r in again] == [(r.line, r.cells) for r in whole]
    assert intake.rows == 20 and [c.rows for c in intake.chunks][:-1] == [chunk_rows] * (len(intake.chunks) - 1)
    assert (tmp_path / intake.path).read_bytes() == data[len(codecs.BOM_UTF8):]


def test_intake_refuses_a_file_over_the_limit_and_leaves_nothing(tmp_path):
    files = BatchFiles(tmp_path)
    with pytest.raises(TooLargeError):
        files.take_in("job", reader(b"name\n" + b"Ali Khamenei\n" * 10_000), Format.CSV, 10, max_bytes=50_000)
    with pytest.raises(InputError, match="no CSV header"):
        files.take_in("job2", reader(b""), Format.CSV, 10)
    assert not any((tmp_path / "batches").iterdir())
