"""Tests for the UK OFSI ConList parser (xlsx and CSV editions), on a verbatim excerpt of the real file."""
from __future__ import annotations

import csv
import gzip
from collections import Counter
import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from watchlists.model import Address, BirthDate, EntityType, Identifier, ListParseError, NameKind, ParseResult
from watchlists.uk import _dob_start, _split_countries, parse_csv, parse_xlsx
from tests.watchlists.helpers import by_id, names

FIXTURES = Path(__file__).parents[1] / "fixtures" / "watchlists" / "uk"
# 25 rows (10 Group IDs) of the 14/04/2025 ConList.xlsx, cut by make_fixtures.py.
XLSX = FIXTURES / "ConList.xlsx"
CSV = FIXTURES / "ConList.csv"  # the same rows in OFSI's CSV layout, UTF-8 with a BOM
NAMES_PER_GROUP = {
    "7059": 5, "15595": 6, "14714": 6, "12830": 3, "15689": 2,
    "15528": 3, "15657": 2, "8283": 2, "16789": 2, "13656": 2,
}


def parse(parser, path: Path) -> ParseResult:
    return parser({"primary": path}, "uk_ofsi", "2025-04-14-test")


def fixture_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(CSV.read_text(encoding="utf-8-sig"), newline="")))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def in_cp1252(text: str) -> bool:
    return text.encode("cp1252", "ignore").decode("cp1252") == text


def column(rows: list[list[str]], name: str) -> int:
    return rows[1].index(name)


@pytest.fixture(scope="module")
def excerpt() -> ParseResult:
    return parse(parse_xlsx, XLSX)


def test_counts_per_group_and_publish_date(excerpt):
    entities = by_id(excerpt)
    assert {gid: len(e.names) for gid, e in entities.items()} == NAMES_PER_GROUP
    types = Counter(e.type for e in excerpt.entities)
    assert types == {EntityType.PERSON: 7, EntityType.ORGANIZATION: 2, EntityType.VESSEL: 1}
    assert excerpt.published == date(2025, 4, 14)
    assert all(e.id == f"uk_ofsi:{e.source_id}" and e.list_version == "2025-04-14-test" for e in excerpt.entities)
    # 16789 has only a "Primary name variation" row: loaded, and reported
    assert [(i.position, i.record_id) for i in excerpt.issues] == [("row 24", "16789")]
    assert "Primary name" in excerpt.issues[0].message


def test_individual_field_mapping(excerpt):
    bahaji = by_id(excerpt)["7059"]  # four rows, not adjacent, the primary-name row last
    assert bahaji.type is EntityType.PERSON
    assert bahaji.name == "Said BAHAJI"
    assert bahaji.names[0].parts == (("first", "Said"), ("last", "BAHAJI"))
    assert bahaji.programs == ("ISIL (Da'esh) and Al-Qaida",)
    assert bahaji.birth_dates == (BirthDate("15/07/1975", "1975-07-15"),)
    assert bahaji.birth_places == ("Haselünne, Lower Saxony, Germany",)
    assert bahaji.nationalities == ("Germany", "Morocco")
    assert bahaji.addresses == (Address("Bunatwiete 23, Hamburg, 21073, Germany", country="Germany"),)
    assert bahaji.identifiers == (
        Identifier("passport", "28642163", note="German provisional. Issued by the city of Hamburg"),
        Identifier("passport", "954242", note="Moroccan. Issued on 28 June 1995 in Meknas, Morocco. Expired"),
        Identifier("national id", "1336597587", note='Germany identity document ("Bundespersonalausweis")'),
    )
    assert bahaji.listed_on == "2002-10-01"
    assert bahaji.remarks.startswith("(UK Sanctions List Ref):AQD0300. (UN Ref):QDi.080. Deputy")
    assert bahaji.gender is None  # no "(Gender):" in this target's Other Information
    assert ("uk_sanctions_list_ref", "AQD0300") in bahaji.extra and ("un_ref", "QDi.080") in bahaji.extra
    assert ("group_type", "Individual") in bahaji.extra
    assert ("date_designated", "2002-09-30") in bahaji.extra and ("last_updated", "2022-01-12") in bahaji.extra


def test_title_is_a_part_not_in_the_full_name(excerpt):
    baranov = by_id(excerpt)["15689"]
    assert baranov.names[0].full == "Robert Petrovich BARANOV"
    assert baranov.names[0].parts == (
        ("title", "Major General"), ("first", "Robert"), ("middle", "Petrovich"), ("last", "BARANOV"),
    )
    assert baranov.positions == ("Director of the Main Computation Centre of the Armed Forces of Russia",)
    assert baranov.gender == "Male"


def test_primary_first_and_name_kinds(excerpt):
    entities = by_id(excerpt)
    assert all(e.names[0].kind is NameKind.PRIMARY for e in excerpt.entities)
    assert all(sum(n.kind is NameKind.PRIMARY for n in e.names) == 1 for e in excerpt.entities)
    assert names(entities["15528"], NameKind.VARIATION)[0] == ("Mikhail Vasilyevich KLUKIN", None)
    assert names(entities["8283"], NameKind.FKA) == [("LOGARCHEO AG", None)]
    assert names(entities["7059"], NameKind.AKA) == [
        ("Mohamed ABBATTAY", "low"), ("Abderrahmane AL MAGHRIBI", "low"), ("Zouheir AL MAGHRIBI", "good"),
    ]
    assert entities["16789"].name == "PREMERA (H.K.) INTERNATIONAL CO, LIMITED"  # promoted variation


def test_non_latin_names_with_script_and_language(excerpt):
    entities = by_id(excerpt)
    scripts = {n.full: (n.kind, n.script, n.lang) for e in excerpt.entities for n in e.names if n.script}
    assert scripts["Роберт Петрович Баранов"] == (NameKind.VARIATION, "Cyrillic", "Russian")
    assert scripts["أحمد الحمزي"] == (NameKind.VARIATION, "Arabic", "Arabic")
    assert scripts["Прилепин Захар"] == (NameKind.VARIATION, "Cyrillic", None)  # no type published: detected
    assert scripts["普萊米樂(香港)國際貿易有限公司"] == (NameKind.VARIATION, "Han", "Chinese")  # published "Chinese"
    assert len(scripts) == 8
    assert all(n.parts == () for n in entities["16789"].names)  # organisation names have no person parts


def test_partial_dates_of_birth(excerpt):
    entities = by_id(excerpt)
    assert entities["12830"].birth_dates == (BirthDate("00/11/1973", "1973-11"),)
    assert entities["15689"].birth_dates == (BirthDate("00/00/1975", "1975"),)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("18/09/1964", "1964-09-18"), ("00/08/1961", "1961-08"), ("00/00/1975", "1975"), ("1951", "1951"),
        ("04/1970", "1970-04"), ("31/02/1970", "1970-02"), ("00/00/0000", None), ("circa 1960", None),
    ],
)
def test_dob_start(text, start):
    assert _dob_start(text) == start


@pytest.mark.parametrize(
    ("text", "countries"),
    [
        ("(1) Iran (2) Iraq", ["Iran", "Iraq"]), ("(1) Germany. (2) Morocco", ["Germany", "Morocco"]),
        ("(1) South Africa. (2) Zimbabwe.", ["South Africa", "Zimbabwe"]), ("Estonia, Russia", ["Estonia", "Russia"]),
        ("Germany. Russia", ["Germany", "Russia"]), ("Congo (Democratic Republic)", ["Congo (Democratic Republic)"]),
        ("(1) Bulgaria\xa0(2) Russia", ["Bulgaria", "Russia"]), ("Trinidad and Tobago", ["Trinidad and Tobago"]),
    ],
)
def test_split_nationalities(text, countries):
    assert _split_countries(text) == countries


def test_passport_placeholder_detail_and_ship(excerpt):
    entities = by_id(excerpt)
    assert entities["15657"].identifiers[:2] == (
        Identifier("passport", "0875723"), Identifier("passport", "5392205", note="Expiry: 02 Dec 2004"),
    )
    ship = entities["13656"]
    assert ship.type is EntityType.VESSEL
    assert ship.identifiers == (Identifier("IMO", "8660313"),)
    assert ("flag_of_ship", "North Korea") in ship.extra and ("type_of_ship", "Oil tanker") in ship.extra
    assert ship.names[0].parts == ()


def test_xlsx_and_csv_editions_give_identical_entities(excerpt):
    edition = parse(parse_csv, CSV)
    assert edition.entities == excerpt.entities
    assert edition.published == excerpt.published and edition.issues == excerpt.issues


def test_csv_without_bom_and_in_cp1252(tmp_path, excerpt):
    plain = tmp_path / "plain.csv"
    plain.write_bytes(CSV.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    assert parse(parse_csv, plain).entities == excerpt.entities
    rows = fixture_rows()
    latin = [row for row in rows if all(in_cp1252(cell) for cell in row)]
    result = parse(parse_csv, write_csv(tmp_path / "cp1252.csv", latin, "cp1252"))
    assert by_id(result)["12830"] == by_id(excerpt)["12830"]
    assert "Haselünne, Lower Saxony, Germany" in by_id(result)["7059"].birth_places


@pytest.mark.parametrize(("parser", "source"), [(parse_xlsx, XLSX), (parse_csv, CSV)])
def test_gzipped_input(tmp_path, excerpt, parser, source):
    path = tmp_path / f"{source.name}.gz"
    path.write_bytes(gzip.compress(source.read_bytes()))
    assert parse(parser, path).entities == excerpt.entities


@pytest.mark.parametrize("data", [XLSX.read_bytes()[:6000], XLSX.read_bytes()[:-40], b"Last Updated,14/04/2025\r\n"])
def test_truncated_or_not_xlsx_raises(tmp_path, data):
    path = tmp_path / "ConList.xlsx"
    path.write_bytes(data)
    with pytest.raises(ListParseError) as caught:
        parse(parse_xlsx, path)
    assert caught.value.file == "ConList.xlsx" and caught.value.position == "zip archive"


def test_truncated_gzip_raises(tmp_path):
    path = tmp_path / "ConList.xlsx.gz"
    path.write_bytes(gzip.compress(XLSX.read_bytes())[:-100])
    with pytest.raises(ListParseError):
        parse(parse_xlsx, path)


def test_missing_data_sheet_raises(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "Sheet1"
    book.save(tmp_path / "other.xlsx")
    with pytest.raises(ListParseError, match="'Data'") as caught:
        parse(parse_xlsx, tmp_path / "other.xlsx")
    assert caught.value.position == "workbook"


@pytest.mark.parametrize("missing", ["Group ID", "Alias Type"])
def test_missing_required_column_raises_naming_it(tmp_path, missing):
    rows = fixture_rows()
    rows[1][column(rows, missing)] = "Renamed"
    with pytest.raises(ListParseError, match=missing) as caught:
        parse(parse_csv, write_csv(tmp_path / "ConList.csv", rows))
    assert caught.value.position == "row 2"


def test_missing_required_column_in_xlsx(tmp_path):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Data")
    for row in fixture_rows():
        sheet.append(row[:-1])  # drop "Group ID", the last column
    book.save(tmp_path / "ConList.xlsx")
    with pytest.raises(ListParseError, match="Group ID"):
        parse(parse_xlsx, tmp_path / "ConList.xlsx")


def test_rows_without_group_id_or_name_are_reported_and_the_rest_loaded(tmp_path, excerpt):
    rows = fixture_rows()
    rows[2][column(rows, "Group ID")] = ""  # row 3: an AKA of 7059
    for name in ("Name 1", "Name 2", "Name 6"):
        rows[5][column(rows, name)] = " "  # row 6: an AKA of 15595
    result = parse(parse_csv, write_csv(tmp_path / "ConList.csv", rows))
    issues = {i.position: i for i in result.issues}
    assert issues["row 3"].record_id is None and "Group ID" in issues["row 3"].message
    assert issues["row 6"].record_id == "15595" and "name" in issues["row 6"].message
    assert len(result.entities) == 10
    assert len(by_id(result)["7059"].names) == 4 and len(by_id(result)["15595"].names) == 5


def test_second_primary_name_becomes_a_variation(tmp_path):
    rows = fixture_rows()
    queen = next(row for row in rows if row[column(rows, "Name 1")] == "India")
    queen[column(rows, "Alias Type")] = "Primary name"
    kaina = by_id(parse(parse_csv, write_csv(tmp_path / "ConList.csv", rows)))["12830"]
    assert [(n.full, n.kind) for n in kaina.names] == [
        ("INNOCENT KAINA", NameKind.PRIMARY), ("Innocent KAINA", NameKind.AKA), ("India QUEEN", NameKind.VARIATION),
    ]


def test_undecodable_csv_and_empty_file_raise(tmp_path):
    path = tmp_path / "ConList.csv"
    path.write_bytes(b"Last Updated,14/04/2025\r\nName 6,Group ID\r\n\x81\x8d,1\r\n")  # undefined in cp1252
    with pytest.raises(ListParseError):
        parse(parse_csv, path)
    path.write_bytes(b"")
    with pytest.raises(ListParseError, match="empty"):
        parse(parse_csv, path)
