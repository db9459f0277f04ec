"""Tests for the UN Security Council consolidated XML parser, on a verbatim excerpt of the real file."""
from __future__ import annotations

import gzip
import re
from datetime import date
from pathlib import Path

import pytest

from watchlists.model import Address, BirthDate, EntityType, Identifier, ListParseError, NameKind, ParseResult
from watchlists.un import parse_xml
from tests.watchlists.helpers import by_id, names, write

FIXTURES = Path(__file__).parents[1] / "fixtures" / "watchlists" / "un"
# 7 INDIVIDUAL + 3 ENTITY records of the 2026-02-27 consolidated.xml, wrapped in its real root.
EXCERPT = FIXTURES / "consolidated_excerpt.xml"


def parse(path: Path) -> ParseResult:
    return parse_xml({"primary": path}, "un_sc", "2026-02-27-test")


def edited(tmp_path: Path, *removals: str) -> Path:
    """The excerpt with the given exact snippets cut out (each must be present)."""
    text = EXCERPT.read_text(encoding="utf-8")
    for snippet in removals:
        assert snippet in text
        text = text.replace(snippet, "")
    return write(tmp_path, "edited.xml", text.encode("utf-8"))


@pytest.fixture(scope="module")
def excerpt() -> ParseResult:
    return parse(EXCERPT)


def test_counts_types_and_publish_date(excerpt):
    types = [e.type for e in excerpt.entities]
    assert types.count(EntityType.PERSON) == 7 and types.count(EntityType.ORGANIZATION) == 3
    assert excerpt.published == date(2026, 2, 27)
    assert excerpt.issues == []
    assert all(e.id == f"un_sc:{e.source_id}" and e.list_version == "2026-02-27-test" for e in excerpt.entities)
    assert sum(len(e.names) for e in excerpt.entities) == 10 + 6 + 20  # primary, original script, aliases


def test_individual_field_mapping(excerpt):
    person = by_id(excerpt)["6908705"]
    primary = person.names[0]
    assert person.name == "Mus’ab Mustafa Abu al Qassim Omar"
    assert primary.kind is NameKind.PRIMARY and primary.script is None
    assert primary.parts == (("first", "Mus’ab"), ("second", "Mustafa"), ("third", "Abu al Qassim"), ("fourth", "Omar"))
    assert names(person, NameKind.VARIATION) == [("مصعب مصطفى ابو القاسم عمر", None)]
    assert person.programs == ("Libya",)
    assert person.listed_on == "2018-06-07"
    assert person.nationalities == ("Libya",)
    assert person.positions == ("Leader of a transnational trafficking network",)
    assert person.birth_dates == (BirthDate("1983-01-19", "1983-01-19"),)
    assert person.birth_places == ("Sabratha, Libya",)
    assert person.identifiers == (
        Identifier("Passport", "782633", note="issued 2005-05-31"),
        Identifier("Passport", "540794", note="issued 2008-01-12"),
    )
    assert person.remarks.startswith("Listed pursuant to paragraphs 15 and 17 of resolution 1970")
    assert ("reference_number", "LYi.024") in person.extra


def test_titles_designations_gender_and_address(excerpt):
    hakim = by_id(excerpt)["6908435"]
    assert hakim.gender == "Male"
    assert hakim.positions == ("Huthi group second-in-command",)
    assert hakim.addresses == (Address("Dahyan, Sa’dah Governorate, Yemen", "Dahyan", "Yemen"),)
    taliban = by_id(excerpt)["111043"]
    assert taliban.positions == ("Mullah", "Maulavi", "Deputy Minister of Education under the Taliban regime")
    assert by_id(excerpt)["6907993"].addresses == (Address("Rwanda (as of early 2016)", None, "Rwanda"),)


@pytest.mark.parametrize(
    ("source_id", "expected"),
    [
        ("6907993", (BirthDate("1971", "1971"),)),  # EXACT YEAR
        ("6908705", (BirthDate("1983-01-19", "1983-01-19"),)),  # EXACT DATE
        ("111043", (BirthDate("approximately 1968", "1968", circa=True),)),
        ("111041", (BirthDate("between 1958 and 1963", "1958", "1963"),
                    BirthDate("approximately 1970", "1970", circa=True))),
        ("111118", (BirthDate("between 1966 and 1967 (Approximately)", "1966", "1967", circa=True),)),
        # the second date is the one an alias was used with
        ("6908506", (BirthDate("1976-10-18", "1976-10-18"), BirthDate("1976-08-25", "1976-08-25"))),
    ],
)
def test_date_of_birth_forms(excerpt, source_id, expected):
    assert by_id(excerpt)[source_id].birth_dates == expected


def test_alias_quality_lowered_and_empty_aliases_skipped(excerpt):
    person = by_id(excerpt)["6908705"]
    assert names(person, NameKind.AKA) == [
        ("Mus’ab Abu Qarin", "good"),
        ("ABU-AL QASSIM OMAR Musab Boukrin", "low"),
        ("The Doctor", "low"),
        ("Al-Grein", "low"),
    ]
    assert person.names[3].weak and not person.names[2].weak
    assert [n.full for n in by_id(excerpt)["6907993"].names] == ["ERIC BADEGE"]  # <ALIAS_NAME/> only


def test_entity_aliases_are_aka_and_fka(excerpt):
    corp = by_id(excerpt)["690751"]
    assert corp.type is EntityType.ORGANIZATION
    assert corp.names[0].parts == ()  # an ENTITY's FIRST_NAME is the whole name
    assert names(corp, NameKind.AKA) == [("KOREA YONBONG GENERAL CORPORATION", None)]
    assert names(corp, NameKind.FKA) == [("LYONGAKSAN GENERAL TRADING CORPORATION", None)]
    aqim = by_id(excerpt)["113995"]
    assert [n.full for n in aqim.names if n.kind is NameKind.FKA] == [
        "Le Groupe Salafiste pour La Prédication et le Combat (GSPC)",
        "Salafist Group For Call and Combat",
    ]
    assert aqim.listed_on == "2001-10-06"


def test_original_script_names(excerpt):
    scripts = {e.source_id: [(n.kind, n.script) for n in e.names if n.script] for e in excerpt.entities}
    assert scripts["113995"] == [(NameKind.VARIATION, "Arabic")]
    assert scripts["6907993"] == []
    assert sum(len(s) for s in scripts.values()) == 6


def test_gzip_input_gives_the_same_entities(tmp_path, excerpt):
    path = write(tmp_path, "consolidated.xml.gz", gzip.compress(EXCERPT.read_bytes()))
    assert parse(path).entities == excerpt.entities


@pytest.mark.parametrize("cut", [0.3, 0.97])
def test_truncated_xml_raises_with_position(tmp_path, cut):
    data = EXCERPT.read_bytes()
    path = write(tmp_path, "consolidated.xml", data[: int(len(data) * cut)])
    with pytest.raises(ListParseError) as info:
        parse(path)
    assert info.value.file == "consolidated.xml"
    assert re.fullmatch(r"line \d+, column \d+", info.value.position)


def test_truncated_gzip_raises(tmp_path):
    data = gzip.compress(EXCERPT.read_bytes())
    with pytest.raises(ListParseError):
        parse(write(tmp_path, "consolidated.xml.gz", data[: len(data) // 2]))


@pytest.mark.parametrize("data", [b"DATAID,FIRST_NAME\n6907993,ERIC\n", b"", b"\x89PNG\r\n\x1a\n"])
def test_non_xml_raises(tmp_path, data):
    with pytest.raises(ListParseError) as info:
        parse(write(tmp_path, "consolidated.xml", data))
    assert info.value.position.startswith("line 1,")


def test_wrong_root_raises(tmp_path):
    with pytest.raises(ListParseError, match="CONSOLIDATED_LIST"):
        parse(write(tmp_path, "consolidated.xml", b'<?xml version="1.0"?><sdnList><sdnEntry/></sdnList>'))


def test_record_without_a_name_is_reported_and_the_rest_loaded(tmp_path):
    result = parse(edited(tmp_path, "<FIRST_NAME>ERIC</FIRST_NAME>", "<SECOND_NAME>BADEGE</SECOND_NAME>"))
    assert len(result.entities) == 9 and "6907993" not in by_id(result)
    [issue] = result.issues
    assert (issue.position, issue.record_id) == ("INDIVIDUAL 1", "6907993")
    assert "no name" in issue.message


def test_record_without_dataid_is_reported_by_reference_number(tmp_path):
    result = parse(edited(tmp_path, "<DATAID>6908506</DATAID>"))
    assert len(result.entities) == 9
    [issue] = result.issues
    assert (issue.position, issue.record_id) == ("INDIVIDUAL 2", "KPi.018")


def test_record_with_only_aliases_keeps_them_and_is_reported(tmp_path):
    result = parse(edited(tmp_path, "<FIRST_NAME>JON</FIRST_NAME>", "<SECOND_NAME>MYONG GUK</SECOND_NAME>"))
    person = by_id(result)["6908506"]
    assert [(n.full, n.kind) for n in person.names] == [
        ("Cho’n Myo’ng-kuk", NameKind.PRIMARY),
        ("Jon Yong Sang", NameKind.AKA),
    ]
    [issue] = result.issues
    assert issue.record_id == "6908506" and "used as primary" in issue.message
