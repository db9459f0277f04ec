"""Tests for the OFAC legacy XML and CSV parsers, on verbatim excerpts of the real files."""
from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest

from watchlists.model import BirthDate, EntityType, Identifier, ListParseError, NameKind, ParseResult
from watchlists.ofac import parse_birth_date, parse_csv, parse_xml, route_id_type
from tests.watchlists.helpers import by_id, names, write

FIXTURES = Path(__file__).parents[1] / "fixtures" / "watchlists" / "ofac"
SDN_2024 = FIXTURES / "sdn_2024.csv"  # 17 rows of the 2024-05 sdn.csv, CRLF + 0x1A kept
SDN_XML = FIXTURES / "sdn_2021.xml"  # 9 sdnEntry of the 2021-03 sdn.xml (tempuri.org namespace)
CONS_XML = FIXTURES / "consolidated.xml"  # 4 sdnEntry of the 2025-06 consolidated.xml (new namespace)
CSV_SET = FIXTURES / "csv_2021-07"  # 8 entries of the 2021-07 matched sdn/add/alt/comments set


def csv_set(**overrides: Path) -> dict[str, Path]:
    files = {
        "primary": CSV_SET / "sdn.csv",
        "add": CSV_SET / "add.csv",
        "alt": CSV_SET / "alt.csv",
        "comments": CSV_SET / "sdn_comments.csv",
    }
    return {**files, **overrides}


@pytest.fixture(scope="module")
def sdn_2024() -> ParseResult:
    return parse_csv({"primary": SDN_2024}, "ofac_sdn", "2024-05-03")


@pytest.fixture(scope="module")
def sdn_set() -> ParseResult:
    return parse_csv(csv_set(), "ofac_sdn", "2021-07")


@pytest.fixture(scope="module")
def sdn_xml() -> ParseResult:
    return parse_xml({"primary": SDN_XML}, "ofac_sdn", "2021-03-10")


@pytest.fixture(scope="module")
def cons_xml() -> ParseResult:
    return parse_xml({"primary": CONS_XML}, "ofac_cons", "2025-06-30")


# --- the 2024 sdn.csv alone (no alt/add files) -------------------------------------------

def test_csv_counts_types_and_no_publish_date(sdn_2024):
    types = [e.type for e in sdn_2024.entities]
    assert len(types) == 17
    assert types.count(EntityType.PERSON) == 9
    assert types.count(EntityType.ORGANIZATION) == 5
    assert types.count(EntityType.VESSEL) == 2
    assert types.count(EntityType.AIRCRAFT) == 1
    assert sdn_2024.published is None and sdn_2024.declared_count is None
    assert sdn_2024.issues == []


def test_ids_version_and_order(sdn_2024):
    first = sdn_2024.entities[0]
    assert (first.id, first.source_id, first.list_id, first.list_version) == (
        "ofac_sdn:36", "36", "ofac_sdn", "2024-05-03")
    assert {e.list_version for e in sdn_2024.entities} == {"2024-05-03"}


@pytest.mark.parametrize("parsed", ["sdn_2024", "sdn_set", "sdn_xml"])
def test_khamenei_in_every_sdn_edition(parsed, request):
    khamenei = by_id(request.getfixturevalue(parsed))["26945"]
    assert khamenei.name == "KHAMENEI, Ali Husseini"
    assert khamenei.names[0].parts == (("first", "Ali Husseini"), ("last", "KHAMENEI"))
    assert khamenei.type is EntityType.PERSON
    assert khamenei.programs == ("IRAN-EO13876",)
    assert khamenei.positions == ("Supreme Leader of Iran",)
    assert khamenei.birth_dates == (BirthDate("19 Apr 1939", "1939-04-19"),)
    assert khamenei.birth_places == ("Mashhad, Iran",)
    assert khamenei.legal_basis == ("Additional Sanctions Information - Subject to Secondary Sanctions",)


def test_mojtaba_khamenei_gender_and_nationality(sdn_2024):
    mojtaba = by_id(sdn_2024)["27848"]
    assert mojtaba.name == "KHAMENEI, Mojtaba"
    assert mojtaba.gender == "Male"
    assert mojtaba.nationalities == ("Iran",)
    assert mojtaba.birth_dates[0].start == "1969"


def test_programs_are_split(sdn_2024):
    entities = by_id(sdn_2024)
    assert entities["24183"].programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")
    assert entities["4696"].programs == ("FTO", "SDGT")


def test_null_fields_and_entity_type(sdn_2024):
    airline = by_id(sdn_2024)["36"]
    assert airline.type is EntityType.ORGANIZATION  # SDN_Type "-0- "
    assert airline.remarks is None and airline.positions == () and airline.extra == ()


def test_vessel_columns_go_to_extra(sdn_2024):
    tug = by_id(sdn_2024)["4238"]
    assert tug.type is EntityType.VESSEL
    assert tug.extra == (
        ("call_sign", "CL2192"), ("vessel_type", "Tug"), ("gross_registered_tonnage", "212"),
        ("vessel_flag", "Cuba"), ("vessel_owner", "Samir de Navegacion S.A."))


def test_remarks_aliases_are_weak_and_typed(sdn_2024):
    entities = by_id(sdn_2024)
    assert names(entities["4696"], NameKind.AKA) == [("HUA", "weak"), ("HUM", "weak")]
    assert names(entities["11440"], NameKind.FKA) == [("MEXICAN FEDERATION", "weak"), ("GUADALAJARA CARTEL", "weak")]
    assert names(entities["41920"], NameKind.NKA) == [("LGOK", "weak")]
    # weak aliases are published whole (the XML puts them in lastName): not split
    assert entities["11748"].names[1].parts == (("last", "MUSCAB, Abu"),)


def test_remarks_personal_fields(sdn_2024):
    entities = by_id(sdn_2024)
    assert entities["6944"].birth_dates == (
        BirthDate("1969", "1969"), BirthDate("1963", "1963"), BirthDate("11 Feb 1964", "1964-02-11"))
    assert entities["6944"].birth_places == ("Al-Medinah, Saudi Arabia",)
    assert entities["11748"].birth_dates[0] == BirthDate("circa 1979-1982", "1979", "1982", circa=True)
    assert entities["15496"].birth_dates == (BirthDate("1929 to 1930", "1929", "1930"),)


def test_remarks_identifiers(sdn_2024):
    hacker = by_id(sdn_2024)["26137"]
    assert Identifier("Passport", "T14553558", "Iran", "issued 28 Oct 2008 expires 29 Oct 2013") in hacker.identifiers
    assert Identifier("Digital Currency Address - XBT", "149w62rY42aZBox8fGcmqNsXUzSStKeq8C") in hacker.identifiers
    assert Identifier("Email Address", "toppglasses@gmail.com") in hacker.identifiers  # an "alt." one
    assert hacker.gender == "Male"
    vessel = by_id(sdn_2024)["4243"]
    assert vessel.identifiers == (Identifier("Vessel Registration Identification", "IMO 7406784"),)


def test_remarks_non_identifiers_are_routed(sdn_2024):
    entities = by_id(sdn_2024)
    mine = entities["41920"]
    assert mine.identifiers == (
        Identifier("Tax ID No.", "3127000014", "Russia"), Identifier("Registration Number", "1023102257914", "Russia"))
    assert mine.extra == (("organization_established_date", "1971"), ("organization_type", "Mining of iron ores"))
    shipping = entities["23149"]
    assert ("nationality_of_registration", "Korea, North") in shipping.extra
    assert shipping.legal_basis[0] == "Secondary sanctions risk: North Korea Sanctions Regulations, sections 510.201 and 510.210"
    aircraft = entities["15431"]
    assert ("aircraft_model", "IL76-TD") in aircraft.extra
    assert Identifier("Aircraft Manufacturer's Serial Number (MSN)", "1023409321") in aircraft.identifiers


def test_remarks_date_ranges_and_quotes_inside_aliases(sdn_2024):
    khalil = by_id(sdn_2024)["21266"]
    assert khalil.birth_dates == (BirthDate("01 Jan 1974 to 31 Dec 1974", "1974-01-01", "1974-12-31"),)
    assert Identifier("Passport", "654781", "Jordan", "issued 01 Jan 2008 to 31 Dec 2010") in khalil.identifiers
    assert ("AL-DARDA', Abu", "weak") in names(khalil, NameKind.AKA)


def test_free_text_after_a_label_is_not_an_identifier(sdn_2024):
    kojic = by_id(sdn_2024)["8116"]
    assert kojic.identifiers == (Identifier("Passport", "3943074", "Bosnia and Herzegovina", "issued 27 Sep 2002"),)
    assert "Passport issued in Sarajevo" in kojic.remarks


def test_double_quoted_remarks_alias(tmp_path):
    data = SDN_2024.read_bytes().replace(b"a.k.a. 'HUA'", b'a.k.a. ""HUA""')
    result = parse_csv({"primary": write(tmp_path, "sdn.csv", data)}, "ofac_sdn", "v")
    assert names(by_id(result)["4696"], NameKind.AKA) == [("HUA", "weak"), ("HUM", "weak")]


def test_remarks_are_kept_as_published(sdn_2024):
    remarks = by_id(sdn_2024)["26945"].remarks
    assert remarks == ("DOB 19 Apr 1939; POB Mashhad, Iran; Additional Sanctions Information - "
                       "Subject to Secondary Sanctions; Supreme Leader of Iran.")


# --- the matched 2021-07 CSV set ----------------------------------------------------------

def test_csv_set_alt_names_are_strong_remarks_names_weak(sdn_set):
    entities = by_id(sdn_set)
    assert len(entities) == 8 and sdn_set.issues == []
    bank = entities["306"]
    assert names(bank, NameKind.AKA) == [("NATIONAL BANK OF CUBA", "strong"), ("BNC", "weak")]
    assert names(entities["27848"], NameKind.AKA) == [("KHAMENEI, Sayyed Mojtaba Hosseini", "strong")]
    assert entities["27848"].names[1].parts == (("first", "Sayyed Mojtaba Hosseini"), ("last", "KHAMENEI"))
    assert names(entities["4243"], NameKind.FKA) == [("ANA I", "weak")]


def test_csv_set_addresses(sdn_set):
    bank = by_id(sdn_set)["306"]
    assert bank.addresses[0].full == "Zweierstrasse 35, Zurich CH-8022, Switzerland"
    assert bank.addresses[0].country == "Switzerland"
    assert by_id(sdn_set)["26945"].addresses[0].full == "Iran"


def test_comments_overflow_continues_remarks(sdn_set):
    tian = by_id(sdn_set)["28263"]
    assert tian.remarks.endswith("a.k.a. 'snowsjohn'; Linked To: LAZARUS GROUP.")
    assert ("snowsjohn", "weak") in names(tian, NameKind.AKA)  # cut in sdn.csv, whole once joined


def test_alt_row_for_unknown_entity_is_reported(tmp_path):
    alt = write(tmp_path, "alt.csv", (CSV_SET / "alt.csv").read_bytes().replace(b"36,12,", b"99999,12,"))
    result = parse_csv(csv_set(alt=alt), "ofac_sdn", "v")
    assert len(result.entities) == 8
    [issue] = result.issues
    assert issue.position == "line 1" and issue.record_id == "99999"
    assert "not in the primary file" in issue.message
    assert names(by_id(result)["36"], NameKind.AKA) == []


def test_unknown_role_is_rejected():
    with pytest.raises(ValueError):
        parse_csv({"aliases": CSV_SET / "alt.csv"}, "ofac_sdn", "v")


# --- CSV structure and encoding -----------------------------------------------------------

def test_ctrl_z_terminator_is_not_a_record(tmp_path):
    assert SDN_2024.read_bytes().endswith(b"\r\n\x1a")
    without = write(tmp_path, "sdn.csv", SDN_2024.read_bytes()[:-1])
    assert len(parse_csv({"primary": without}, "ofac_sdn", "v").entities) == 17


def test_malformed_row_is_reported_and_rest_loaded(tmp_path):
    lines = SDN_2024.read_bytes().split(b"\r\n")
    lines.insert(3, b'99999,"BROKEN ROW","individual"')
    result = parse_csv({"primary": write(tmp_path, "sdn.csv", b"\r\n".join(lines))}, "ofac_sdn", "v")
    assert len(result.entities) == 17
    [issue] = result.issues
    assert (issue.position, issue.record_id) == ("line 4", "99999")
    assert "3 fields, expected 12" in issue.message


def test_duplicate_ent_num_is_reported(tmp_path):
    lines = SDN_2024.read_bytes().split(b"\r\n")
    path = write(tmp_path, "sdn.csv", b"\r\n".join([*lines[:2], lines[0], *lines[2:]]))
    result = parse_csv({"primary": path}, "ofac_sdn", "v")
    assert len(result.entities) == 17
    assert [(i.position, i.record_id) for i in result.issues] == [("line 3", "36")]


def test_empty_primary_file_is_structural(tmp_path):
    with pytest.raises(ListParseError):
        parse_csv({"primary": write(tmp_path, "sdn.csv", b"")}, "ofac_sdn", "v")


def test_non_numeric_first_field_is_structural(tmp_path):
    header = b"ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,Tonnage,GRT,Vess_flag,Vess_owner,Remarks\r\n"
    path = write(tmp_path, "sdn.csv", header + SDN_2024.read_bytes())
    with pytest.raises(ListParseError) as caught:
        parse_csv({"primary": path}, "ofac_sdn", "v")
    assert (caught.value.file, caught.value.position) == ("sdn.csv", "line 1")


def test_wrong_file_for_role_is_structural():
    with pytest.raises(ListParseError) as caught:
        parse_csv({"primary": CSV_SET / "alt.csv"}, "ofac_sdn", "v")
    assert "expected 12" in caught.value.message


def test_cp1252_fallback(tmp_path):
    data = SDN_2024.read_bytes().replace(b'"AEROCARIBBEAN AIRLINES"', b'"A\xc9ROCARIBBEAN AIRLINES"')
    result = parse_csv({"primary": write(tmp_path, "sdn.csv", data)}, "ofac_sdn", "v")
    assert result.entities[0].name == "A\u00c9ROCARIBBEAN AIRLINES"


def test_gzipped_csv_and_xml(tmp_path):
    csv_gz = write(tmp_path, "sdn.csv.gz", gzip.compress(SDN_2024.read_bytes()))
    xml_gz = write(tmp_path, "sdn.xml.gz", gzip.compress(SDN_XML.read_bytes()))
    assert len(parse_csv({"primary": csv_gz}, "ofac_sdn", "v").entities) == 17
    assert len(parse_xml({"primary": xml_gz}, "ofac_sdn", "v").entities) == 9


def test_truncated_gzip_is_structural(tmp_path):
    data = gzip.compress(SDN_XML.read_bytes())
    path = write(tmp_path, "sdn.xml.gz", data[: len(data) // 2])
    with pytest.raises(ListParseError):
        parse_xml({"primary": path}, "ofac_sdn", "v")


# --- XML, both namespaces -----------------------------------------------------------------

def test_xml_old_namespace_header_and_counts(sdn_xml):
    assert sdn_xml.published == date(2021, 3, 10)
    assert sdn_xml.declared_count == 8832  # the real header, wrapped around 9 entries
    assert len(sdn_xml.entities) == 9 and sdn_xml.issues == []
    assert by_id(sdn_xml)["15431"].type is EntityType.AIRCRAFT


def test_xml_weak_and_strong_aliases(sdn_xml):
    ghailani = by_id(sdn_xml)["6925"]
    akas = names(ghailani, NameKind.AKA)
    assert len(akas) == 20
    assert [q for _, q in akas].count("weak") == 6
    assert ("GHILANI, Ahmad Khalafan", "strong") in akas
    assert ('"FUPI"', "weak") in akas
    assert ghailani.names[1].parts == (("first", "Ahmad Khalafan"), ("last", "GHILANI"))
    assert ghailani.citizenships == ("Tanzania",)


def test_xml_vessel_info_and_fka(sdn_xml):
    vessel = by_id(sdn_xml)["4243"]
    assert names(vessel, NameKind.FKA) == [("ANA I", "weak")]
    assert ("vessel_owner", "Sand & Swan Navigation Co. Ltd.") in vessel.extra
    assert ("call_sign", "P3QG3") in vessel.extra


def test_xml_ids_addresses_and_suffix_names(sdn_xml):
    meza = by_id(sdn_xml)["10616"]
    assert Identifier("R.F.C.", "MECA760306V70", "Mexico") in meza.identifiers
    assert meza.addresses[0].full == "Avenida Rodolfo Robles 153 Sur, Colonia Jorge Almada, Culiacan, Sinaloa, Mexico"
    assert (meza.addresses[0].city, meza.addresses[0].country) == ("Culiacan", "Mexico")
    jr = [n for n in meza.names if n.full == "MEZA, JR., Arturo"][0]
    assert jr.parts == (("first", "Arturo"), ("last", "MEZA, JR."))
    passport = by_id(sdn_xml)["6944"].identifiers[0]
    assert passport == Identifier("Passport", "G 649385", None, "issued 08 Sep 2006 expires 17 Jul 2011")


def test_xml_idlist_gender_and_legal_basis(sdn_xml):
    mojtaba = by_id(sdn_xml)["27848"]
    assert mojtaba.gender == "Male"
    assert mojtaba.identifiers == ()
    assert mojtaba.legal_basis == ("Additional Sanctions Information - Subject to Secondary Sanctions",)


def test_xml_new_namespace(cons_xml):
    assert cons_xml.published == date(2025, 6, 30) and cons_xml.declared_count == 443
    entities = by_id(cons_xml)
    assert len(entities) == 4
    haniya = entities["9639"]
    assert haniya.name == "HANIYA, Ismail Abdul Salah" and haniya.type is EntityType.PERSON
    assert haniya.birth_dates == (BirthDate("1962", "1962"),) and haniya.birth_places == ("Shati",)
    novatek = entities["17064"]
    assert novatek.legal_basis == (
        "Secondary sanctions risk: Ukraine-/Russia-Related Sanctions Regulations, 31 CFR 589.201 and/or 589.209",
        "Executive Order 13662 Directive Determination - Subject to Directive 2")
    assert novatek.remarks.startswith("For more information on directives")
    telecom = entities["30882"]
    assert Identifier("ISIN", "US1694261033") in telecom.identifiers
    assert ("listing_date_cmic", "03 Jun 2021") in telecom.extra


def test_xml_and_csv_editions_agree(sdn_xml, sdn_set):
    xml, csv = by_id(sdn_xml)["6944"], by_id(parse_csv({"primary": SDN_2024}, "ofac_sdn", "v"))["6944"]
    for field in ("name", "type", "programs", "birth_dates", "birth_places", "nationalities"):
        assert getattr(xml, field) == getattr(csv, field)
    assert set(xml.identifiers) == set(csv.identifiers)
    assert by_id(sdn_xml)["36"].addresses == by_id(sdn_set)["36"].addresses


# --- XML structure ------------------------------------------------------------------------

def test_truncated_xml_raises_with_position(tmp_path):
    path = write(tmp_path, "sdn.xml", SDN_XML.read_bytes()[:5000])
    with pytest.raises(ListParseError) as caught:
        parse_xml({"primary": path}, "ofac_sdn", "v")
    assert caught.value.file == "sdn.xml"
    assert caught.value.position.startswith("line ") and ", column " in caught.value.position


def test_non_xml_raises(tmp_path):
    path = write(tmp_path, "sdn.xml", SDN_2024.read_bytes())
    with pytest.raises(ListParseError) as caught:
        parse_xml({"primary": path}, "ofac_sdn", "v")
    assert caught.value.position == "line 1, column 0"


def test_xml_without_entries_raises(tmp_path):
    header = SDN_XML.read_bytes().split(b"  <sdnEntry>")[0]
    with pytest.raises(ListParseError):
        parse_xml({"primary": write(tmp_path, "sdn.xml", header + b"</sdnList>")}, "ofac_sdn", "v")


def test_wrong_root_raises(tmp_path):
    path = write(tmp_path, "un.xml", b"<CONSOLIDATED_LIST><INDIVIDUALS/></CONSOLIDATED_LIST>")
    with pytest.raises(ListParseError):
        parse_xml({"primary": path}, "ofac_sdn", "v")


def test_bad_entries_are_reported_and_skipped(tmp_path):
    data = SDN_XML.read_bytes()
    data = data.replace(b"<uid>36</uid>", b"", 1)
    data = data.replace(b"<lastName>SAND SWAN</lastName>", b"", 1)
    result = parse_xml({"primary": write(tmp_path, "sdn.xml", data)}, "ofac_sdn", "v")
    assert len(result.entities) == 7
    assert [(i.position, i.record_id) for i in result.issues] == [("entry 1", None), ("entry 2", "4243")]


# --- tables -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("19 Apr 1939", BirthDate("19 Apr 1939", "1939-04-19")),
    ("Apr 1939", BirthDate("Apr 1939", "1939-04")),
    ("1939", BirthDate("1939", "1939")),
    ("circa 1939", BirthDate("circa 1939", "1939", circa=True)),
    ("circa 01 Jan 1960", BirthDate("circa 01 Jan 1960", "1960-01-01", circa=True)),
    ("1955 to 1958", BirthDate("1955 to 1958", "1955", "1958")),
    ("circa 1955-1958", BirthDate("circa 1955-1958", "1955", "1958", circa=True)),
    ("01 Jan 1960 to 31 Dec 1962", BirthDate("01 Jan 1960 to 31 Dec 1962", "1960-01-01", "1962-12-31")),
    ("Mar 1958 to Feb 1960", BirthDate("Mar 1958 to Feb 1960", "1958-03", "1960-02")),
    ("sometime in 1950", BirthDate("sometime in 1950", None)),
])
def test_parse_birth_date(text, expected):
    assert parse_birth_date(text) == expected


@pytest.mark.parametrize("id_type, route", [
    ("Passport", "identifier"),
    ("Digital Currency Address - XBT", "identifier"),
    ("SWIFT/BIC", "identifier"),
    ("Some New Registry No.", "identifier"),
    ("Gender", "gender"),
    ("Additional Sanctions Information -", "legal_basis"),
    ("Secondary sanctions risk:", "legal_basis"),
    ("Executive Order 14999 information:", "legal_basis"),
    ("Organization Established Date", "extra"),
    ("Vessel Year of Build", "extra"),
    ("Listing Date (EO 14024 Directive 2):", "extra"),
])
def test_route_id_type(id_type, route):
    assert route_id_type(id_type) == route
