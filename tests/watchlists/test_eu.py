"""Tests for the EU FSF XML 1.1 parser, on a verbatim excerpt of the real 2021-03 file."""
from __future__ import annotations

import gzip
import re
from datetime import date
from pathlib import Path

import pytest

from watchlists.eu import parse_xml
from watchlists.model import Address, BirthDate, EntityType, Identifier, ListParseError, NameKind, ParseResult
from tests.watchlists.helpers import by_id, names, write

FIXTURES = Path(__file__).parents[1] / "fixtures" / "watchlists" / "eu"
# 7 sanctionEntity of the 2021-03-02 FSF export in its real root; logicalId 516 appears twice
# (once under AFG, once under TAQA), as 21 subjects do in the full file.
EXCERPT = FIXTURES / "fsf_excerpt.xml"


def parse(path: Path) -> ParseResult:
    return parse_xml({"primary": path}, "eu_fsf", "2021-03-02-test")


def record(text: str, logical_id: str) -> tuple[int, int]:
    """Start and end offsets of the sanctionEntity with this logicalId (its first occurrence)."""
    start = re.search(rf'<sanctionEntity [^>]*logicalId="{logical_id}">', text).start()
    return start, text.index("</sanctionEntity>", start)


@pytest.fixture(scope="module")
def excerpt() -> ParseResult:
    return parse(EXCERPT)


def test_counts_types_and_publish_date(excerpt):
    assert [e.source_id for e in excerpt.entities] == ["13", "516", "516-TAQA", "650", "7426", "117053", "124966"]
    types = [e.type for e in excerpt.entities]
    assert types.count(EntityType.PERSON) == 6 and types.count(EntityType.ORGANIZATION) == 1
    assert excerpt.published == date(2021, 3, 2)
    assert all(e.id == f"eu_fsf:{e.source_id}" and e.list_version == "2021-03-02-test" for e in excerpt.entities)


def test_field_mapping(excerpt):
    saddam = by_id(excerpt)["13"]
    assert [(n.full, n.kind, n.quality, n.lang) for n in saddam.names] == [
        ("Saddam Hussein Al-Tikriti", NameKind.PRIMARY, "strong", None),
        ("Abu Ali", NameKind.AKA, "strong", None),
        ("Abou Ali", NameKind.AKA, "strong", "FR"),
    ]
    assert saddam.names[0].parts == (("first", "Saddam"), ("last", "Hussein Al-Tikriti"))
    assert saddam.gender == "M"
    assert saddam.citizenships == ("IRAQ",)
    assert saddam.birth_dates == (BirthDate("1937-04-28", "1937-04-28"),)
    assert saddam.birth_places == ("al-Awja, near Tikrit, IRAQ",)
    assert saddam.programs == ("IRQ",)
    assert saddam.listed_on == "2003-07-08"
    assert saddam.legal_basis == ("1210/2003 (OJ L169), published 2003-07-08",)
    assert saddam.remarks == "UNSC RESOLUTION 1483"
    assert ("eu_reference_number", "EU.27.28") in saddam.extra


def test_listed_on_is_the_earliest_act_and_legal_basis_is_in_date_order(excerpt):
    mazloom = by_id(excerpt)["650"]
    assert mazloom.listed_on == "2011-08-02"  # the entity's <regulation> is the 2017 amendment
    assert mazloom.legal_basis == (
        "753/2011 (OJ L199), published 2011-08-02",
        "2016/1736 (OJ L264), published 2016-09-30",
        "2017/404 (OJ L63), published 2017-03-09",
    )
    assert mazloom.positions == ("Mullah", "Deputy Chief of Army Staff of the Taliban regime")
    assert ("designation_date", "2001-02-23") in mazloom.extra


def test_non_latin_names_and_former_names(excerpt):
    minin = by_id(excerpt)["124966"]
    assert [(n.full, n.kind, n.script) for n in minin.names] == [
        ("Алексей Валерьевич МИНИН", NameKind.PRIMARY, "Cyrillic"),
        ("Alexey Valeryevich MININ", NameKind.AKA, None),
    ]
    resort = by_id(excerpt)["7426"]
    assert resort.type is EntityType.ORGANIZATION
    assert resort.names[0].script == "Cyrillic"
    assert names(resort, NameKind.FKA) == [("Resort ‘Nizhnyaya Oreanda’", "strong")]  # remark "formerly known as"
    assert ("email", "marketing@oreanda-resort.ru") in resort.extra


def test_low_quality_remark_makes_an_alias_weak(excerpt):
    ghermay = by_id(excerpt)["117053"]
    assert names(ghermay, NameKind.AKA) == [
        ("ERMIAS ALEM", "strong"),
        ("Ermies Ghermay", "weak"),
        ("Ermias Ghirmay", "weak"),
    ]
    assert ghermay.names[1].weak is False and ghermay.names[2].weak is True


@pytest.mark.parametrize(
    ("source_id", "expected"),
    [
        ("13", (BirthDate("1937-04-28", "1937-04-28"),)),
        ("650", (BirthDate("circa 1963 to 1968", "1963", "1968", circa=True),)),
        ("516", (BirthDate("circa 1961", "1961", circa=True),)),
        ("516-TAQA", (BirthDate("circa 1958 to 1963", "1958", "1963", circa=True),)),
        # yearRangeTo alone, with a remark about the date
        ("117053", (BirthDate("1980 (Approximately 1980)", "1980"),)),
    ],
)
def test_birth_date_forms(excerpt, source_id, expected):
    assert by_id(excerpt)[source_id].birth_dates == expected


def test_identification_and_address(excerpt):
    minin = by_id(excerpt)["124966"]
    assert minin.identifiers == (
        Identifier(
            "National passport",
            "120017582",
            "RUSSIAN FEDERATION",
            "issued by Ministry of Foreign Affairs of the Russian Federation; "
            "valid from 2017-04-17; valid to 2022-04-17",
        ),
    )
    assert minin.addresses == (Address("Moscow, RUSSIAN FEDERATION", "Moscow", "RUSSIAN FEDERATION"),)
    assert minin.birth_places == ("Perm Oblast, RUSSIAN FEDERATION (Russian SFSR (now Russian Federation))",)
    assert by_id(excerpt)["7426"].identifiers == (Identifier("Registration Number", "1149102054221"),)


def test_repeated_logical_id_is_a_second_listing(excerpt):
    # The FSF lists this subject under AFG and again under TAQA with one logicalId: each
    # listing is its own entity, the repeat points at the first one.
    first, repeat = by_id(excerpt)["516"], by_id(excerpt)["516-TAQA"]
    assert first.programs == ("AFG",) and repeat.programs == ("TAQA",)
    assert first.name == "Sayyed Ghiassouddine Agha"
    assert "Agha, Sayyed Ghiassouddine" in [n.full for n in repeat.names]
    assert [n.kind for n in repeat.names].count(NameKind.PRIMARY) == 1
    assert ("same_subject_as", "516") in repeat.extra
    assert excerpt.issues == []


def test_gzip_input_gives_the_same_entities(tmp_path, excerpt):
    path = write(tmp_path, "fsf.xml.gz", gzip.compress(EXCERPT.read_bytes()))
    assert parse(path).entities == excerpt.entities


def test_other_namespace_is_matched_by_local_name(tmp_path, excerpt):
    text = EXCERPT.read_bytes().replace(b"http://eu.europa.ec/fpi/fsd/export", b"urn:example:fsf", 1)
    assert parse(write(tmp_path, "fsf.xml", text)).entities == excerpt.entities


@pytest.mark.parametrize("cut", [0.2, 0.99])
def test_truncated_xml_raises_with_position(tmp_path, cut):
    data = EXCERPT.read_bytes()
    with pytest.raises(ListParseError) as info:
        parse(write(tmp_path, "fsf.xml", data[: int(len(data) * cut)]))
    assert info.value.file == "fsf.xml"
    assert re.fullmatch(r"line \d+, column \d+", info.value.position)


@pytest.mark.parametrize("data", [b"logicalId;wholeName\n13;Saddam\n", b"", b"PK\x03\x04"])
def test_non_xml_raises(tmp_path, data):
    with pytest.raises(ListParseError) as info:
        parse(write(tmp_path, "fsf.xml", data))
    assert info.value.position.startswith("line 1,")


def test_wrong_root_raises(tmp_path):
    with pytest.raises(ListParseError, match="export"):
        parse(write(tmp_path, "fsf.xml", b'<CONSOLIDATED_LIST dateGenerated="2026-02-27"/>'))


def test_record_without_a_name_is_reported_and_the_rest_loaded(tmp_path):
    text = EXCERPT.read_text(encoding="utf-8")
    start, end = record(text, "650")
    text = text[:start] + re.sub(r"<nameAlias .*?</nameAlias>", "", text[start:end], flags=re.S) + text[end:]
    result = parse(write(tmp_path, "fsf.xml", text.encode("utf-8")))
    assert [e.source_id for e in result.entities] == ["13", "516", "516-TAQA", "7426", "117053", "124966"]
    issue = result.issues[-1]
    assert (issue.position, issue.record_id) == ("sanctionEntity 4", "650")
    assert "no nameAlias" in issue.message


def test_record_without_logical_id_is_reported(tmp_path):
    text = EXCERPT.read_text(encoding="utf-8").replace(' logicalId="13">', ">", 1)
    result = parse(write(tmp_path, "fsf.xml", text.encode("utf-8")))
    assert "13" not in by_id(result) and len(result.entities) == 6
    issue = result.issues[0]
    assert (issue.position, issue.record_id) == ("sanctionEntity 1", "EU.27.28")
