"""OFAC legacy SDN / Consolidated (non-SDN) list editions -> entities.

`parse_xml` streams the legacy `sdnList` XML (old `tempuri.org` or current namespace);
`parse_csv` reads the legacy CSV set (sdn.csv or cons_prim.csv + add + alt + comments).

Both editions carry the same facts. The CSV packs the XML's dates, places, nationalities
and `idList` into `; `-separated Remarks segments, which are parsed back here so that both
editions give the same entities (checked: the 2021-07 CSV set against the 2021-03 XML).
- alt.csv holds only the *strong* aliases (11,658 of the XML's 11,662 strong akas for the
  same entries, none of the weak ones); the weak aliases appear only in Remarks, always
  single-quoted. So quoting cannot tell strong from weak, but placement does: alt.csv names
  get quality "strong", Remarks aliases "weak". Remarks aliases are taken whether or not an
  alt file is given, skipping any that repeat a name the entry already has.
- Remarks are cut at 1,000 characters; the comments file continues them mid-word, so the
  overflow is appended without a separator before Remarks are parsed.
- Where fields go: XML vesselInfo / CSV vessel columns -> `extra` keys call_sign,
  vessel_type, tonnage, gross_registered_tonnage, vessel_flag, vessel_owner; idList items
  and Remarks labels are routed by `route_id_type` (tables below); `extra` keys for them
  are the label in snake case ("Organization Type:" -> "organization_type"). "Linked To:"
  and other free text stay in `remarks` only. Address.city is the CSV's one
  "city, state postal" column.

Structural problems raise ListParseError(file, position, message) and nothing is returned:
XML that is not well-formed or truncated (line/column from expat), a root that is not
`sdnList`, no sdnEntry at all, an unreadable Publish_Date/Record_Count, a corrupt gzip
stream, a CSV file that is neither UTF-8 nor cp1252, an empty primary CSV, a CSV row whose
first field is not a number (a header, a shifted layout, a stray 0x1A before the end), and
a CSV file whose first row has the wrong number of columns (wrong file for the role, or a
changed layout). Per-record problems are reported as RecordIssue and only that record is
skipped: an sdnEntry without uid or name or with a repeated uid, a later CSV row with the
wrong number of columns, a repeated ent_num, an add/alt/comments row whose ent_num is not
in the primary file, an alias without a name or with an unknown type. Kept but reported:
an unknown sdnType/SDN_Type (EntityType.UNKNOWN), a date of birth in an unknown form.
"""
from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from watchlists.xmlstream import local, stream
from watchlists.model import (
    Address,
    BirthDate,
    Entity,
    EntityType,
    Identifier,
    ListParseError,
    Name,
    NameKind,
    ParseResult,
    RecordIssue,
    clean,
    dedupe,
    read_bytes,
    script_of,
)

__all__ = ["parse_xml", "parse_csv", "parse_birth_date", "route_id_type"]

ENTITY_TYPES = {
    "individual": EntityType.PERSON,
    "entity": EntityType.ORGANIZATION,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
}
NAME_KINDS = {
    "a.k.a.": NameKind.AKA, "aka": NameKind.AKA,
    "f.k.a.": NameKind.FKA, "fka": NameKind.FKA,
    "n.k.a.": NameKind.NKA, "nka": NameKind.NKA,
}

# Where an XML idType / CSV Remarks label goes. Anything not listed and not matched by the
# prefix rules below is an Identifier (OFAC adds new document types often).
IDENTIFIER, LEGAL_BASIS, GENDER, EXTRA = "identifier", "legal_basis", "gender", "extra"
LEGAL_BASIS_ID_TYPES = frozenset({
    "Additional Sanctions Information -",
    "Secondary sanctions risk:",
    "Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions:",
    "CAATSA Section 235 Information:",
    "IFCA Determination -",
    "Executive Order 13662 Directive Determination -",
    "Executive Order 13846 information:",
    "Executive Order 14014 Directive Information:",
    "Executive Order 14024 Directive Information -",
    "Executive Order 14024 Directive Information",
    "Executive Order 14059 information:",
})
EXTRA_ID_TYPES = frozenset({
    "Organization Established Date", "Organization Type:", "Target Type",
    "Nationality of Registration", "Former Vessel Flag", "Other Vessel Flag",
    "Other Vessel Type", "Other Vessel Call Sign", "Vessel Year of Build",
    "Aircraft Model", "Aircraft Operator", "Aircraft Manufacture Date",
    "Issuer Name", "Chinese Commercial Code",
    "Listing Date (CMIC)", "Effective Date (CMIC)", "Purchase/Sales For Divestment Date (CMIC)",
})
# Seen in the 2021 and 2025 XML files (and in CSV Remarks); needed to recognise them in Remarks.
IDENTIFIER_ID_TYPES = frozenset({
    "Passport", "Diplomatic Passport", "British National Overseas Passport",
    "Stateless Person Passport", "National ID No.", "National Foreign ID Number",
    "Personal ID Card", "Identification Number", "Cedula No.", "D.N.I.", "C.U.R.P.", "R.F.C.",
    "RFC", "NIT #", "RUC #", "RIF #", "C.U.I.T.", "C.U.I.", "C.U.I.P.", "C.I.F.", "N.I.E.",
    "I.F.E.", "Credencial electoral", "Electoral Registry No.", "Cartilla de Servicio Militar Nacional",
    "SSN", "Tax ID No.", "Italian Fiscal Code", "Fiscal Code", "V.A.T. Number", "US FEIN",
    "Registration Number", "Registration ID", "Company Number", "UK Company Number",
    "Commercial Registry Number", "Business Registration Number", "Business Registration Document #",
    "Business Number", "Certificate of Incorporation Number", "Public Registration Number",
    "Government Gazette Number", "Folio Mercantil No.", "Matricula Mercantil No", "C.R. No.",
    "Trade License No.", "License", "Chamber of Commerce Number", "Istanbul Chamber of Comm. No.",
    "Dubai Chamber of Commerce Membership No.", "Registered Charity No.", "Enterprise Number",
    "Legal Entity Number", "LE Number", "D-U-N-S Number", "BIK (RU)", "MICEX Code", "RSIN",
    "United Social Credit Code Certificate (USCCC)", "Unified Social Credit Code (USCC)",
    "Branch Unit Number", "File Number", "Serial No.", "MSB Registration Number", "ISIN",
    "Equity Ticker", "SWIFT/BIC", "Email Address", "Website", "Phone Number",
    "Vessel Registration Identification", "MMSI", "UN/LOCODE", "Aircraft Tail Number",
    "Previous Aircraft Tail Number", "Aircraft Manufacturer's Serial Number (MSN)",
    "Aircraft Construction Number (also called L/N or S/N or F/N)", "Aircraft Serial Identification",
    "Aircraft Mode S Transponder Code", "Driver's License No.", "Pilot License Number",
    "Residency Number", "Birth Certificate Number", "Travel Document Number", "VisaNumberID",
    "Immigration No.", "Public Security and Immigration No.", "Turkish Identification Number",
    "Numero de Identidad", "RTN", "Citizen's Card Number", "Kenyan ID No.", "Tazkira National ID Card",
    "Moroccan Personal ID No.", "Bosnian Personal ID No.", "Stateless Person ID Card",
    "Refugee ID Card", "CNP (Personal Numerical Code)", "Romanian Permanent Resident",
    "Romanian C.R.", "Romanian Tax Registration", "Paraguayan tax identification number",
    "Numero Unico de Identificacao Tributaria (NUIT)", "Afghan Money Service Provider License Number",
    "SRE Permit No.", "UAE Identification", "Tarjeta Profesional", "Seafarer's Identification Document",
    "Tourism License No.", "Economic Register Number (CBLS)", "Central Registration System Number",
})
_LEGAL_BASIS_PREFIXES = (
    "Executive Order ", "Secondary sanctions risk", "Additional Sanctions Information",
    "CAATSA Section", "IFCA Determination", "Transactions Prohibited For Persons",
)
_EXTRA_PREFIXES = ("Listing Date (", "Effective Date (")

VESSEL_FIELDS = {  # XML vesselInfo child -> extra key; the CSV vessel columns use the same keys
    "callSign": "call_sign",
    "vesselType": "vessel_type",
    "tonnage": "tonnage",
    "grossRegisteredTonnage": "gross_registered_tonnage",
    "vesselFlag": "vessel_flag",
    "vesselOwner": "vessel_owner",
}


def route_id_type(id_type: str) -> str:
    """Say which Entity field an OFAC idType label feeds: identifier, legal_basis, gender or extra."""
    if id_type == "Gender":
        return GENDER
    if id_type in LEGAL_BASIS_ID_TYPES or id_type.startswith(_LEGAL_BASIS_PREFIXES):
        return LEGAL_BASIS
    if id_type in EXTRA_ID_TYPES or id_type.startswith(_EXTRA_PREFIXES):
        return EXTRA
    return IDENTIFIER


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


# --- dates of birth -----------------------------------------------------------------------

_MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}
_DATE = r"(?:\d{1,2} )?(?:[A-Z][a-z]{2} )?\d{4}"
_DATES = rf"{_DATE}(?: to {_DATE})?"
_DOB = re.compile(rf"(?P<circa>circa )?(?P<a>{_DATE})(?:(?: to |\s*-\s*)(?P<b>{_DATE}))?")


def _iso(text: str) -> str | None:
    """'19 Apr 1939' -> '1939-04-19', 'Apr 1939' -> '1939-04', '1939' -> '1939'."""
    *rest, year = text.split()
    if not rest:
        return year
    month = _MONTHS.get(rest[-1])
    if month is None:
        return None
    if len(rest) == 1:
        return f"{year}-{month}"
    return f"{year}-{month}-{int(rest[0]):02d}"


def parse_birth_date(text: str) -> BirthDate:
    """Read an OFAC date of birth ('19 Apr 1939', 'circa 1955-1958', '1955 to 1958'...)."""
    match = _DOB.fullmatch(text)
    if match is None:
        return BirthDate(text, None)
    start = _iso(match["a"])
    end = _iso(match["b"]) if match["b"] else None
    if start is None or (match["b"] and end is None):
        return BirthDate(text, None)
    return BirthDate(text, start, end, circa=match["circa"] is not None)


# --- one entity under construction ---------------------------------------------------------

@dataclass
class _Draft:
    """Mutable field lists for one entity; both editions fill it, `build` freezes it."""

    uid: str
    type: EntityType
    where: str  # "line N" (CSV) or "entry N" (XML), for issues
    names: list[Name] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    birth_dates: list[BirthDate] = field(default_factory=list)
    birth_places: list[str | None] = field(default_factory=list)
    nationalities: list[str | None] = field(default_factory=list)
    citizenships: list[str | None] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    positions: list[str | None] = field(default_factory=list)
    legal_basis: list[str] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    gender: str | None = None
    remarks: str | None = None

    def add_name(self, full: str, kind: NameKind, quality: str | None, parts: tuple) -> None:
        script = None if full.isascii() else script_of(full)
        self.names.append(Name(full, kind, quality, parts, script))

    def add_id(self, id_type: str, value: str, country: str | None, note: str | None) -> None:
        """Route one idList item / Remarks id segment to the field it belongs in."""
        route = route_id_type(id_type)
        if route == IDENTIFIER:
            self.identifiers.append(Identifier(id_type, value, country, note))
            return
        text = " ".join(x for x in (value, f"({country})" if country else None, note) if x)
        if route == GENDER:
            self.gender = text
        elif route == LEGAL_BASIS:
            self.legal_basis.append(f"{id_type} {text}")
        else:
            self.extra.append((_slug(id_type), text))

    def build(self, list_id: str, version: str) -> Entity:
        return Entity(
            id=f"{list_id}:{self.uid}", list_id=list_id, source_id=self.uid, type=self.type,
            names=tuple(self.names), programs=_unique(self.programs),
            birth_dates=_unique(self.birth_dates), birth_places=_unique(self.birth_places),
            nationalities=_unique(self.nationalities), citizenships=_unique(self.citizenships),
            addresses=_unique(self.addresses), identifiers=_unique(self.identifiers),
            remarks=self.remarks, gender=self.gender, positions=_unique(self.positions),
            legal_basis=_unique(self.legal_basis), extra=_unique(self.extra), list_version=version,
        )


def _unique(values: list) -> tuple:
    return dedupe(values) if values else ()  # most lists are empty: skip the work


def _name_parts(first: str | None, last: str | None) -> tuple[tuple[str, str], ...]:
    return tuple((k, v) for k, v in (("first", first), ("last", last)) if v)


def _compose(first: str | None, last: str) -> str:
    """OFAC's CSV form of a name: 'LAST, First', or just the last name."""
    return f"{last}, {first}" if first else last


_SUFFIX = re.compile(r"(JR\.|SR\.|II|III|IV), ")


def _split_composed(full: str, is_person: bool) -> tuple[tuple[str, str], ...]:
    """Recover (first, last) parts from a 'LAST, First' CSV name of an individual."""
    if not is_person:
        return ()
    last, sep, first = full.partition(", ")
    if suffix := _SUFFIX.match(first):  # "MEZA, JR., Arturo": the suffix belongs to the last name
        last, first = f"{last}, {suffix[1]}", first[suffix.end():]
    return _name_parts(first if sep else None, last)


def _address_text(street: list[str | None], city: str | None, state: str | None,
                  postal: str | None, country: str | None) -> str:
    """Join address parts the way the CSV prints them: street, 'City, State Postal', country."""
    locality = " ".join(x for x in (", ".join(x for x in (city, state) if x), postal) if x)
    return ", ".join(x for x in (*street, locality, country) if x)


# --- XML -------------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _leaves(elem: ET.Element) -> dict[str, str | None]:
    return {local(child.tag): clean(child.text) for child in elem}


def parse_xml(files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse an OFAC legacy XML file (`sdnList`, either namespace) given as files["primary"].

    Raises:
        ListParseError: the file is not well-formed, truncated, not an sdnList, or empty.
    """
    path = files["primary"]
    result = ParseResult(entities=[])
    count, seen = 0, set()
    records = stream(path, "sdnList", ("sdnEntry", "publshInformation"))
    next(records)  # the root
    for elem in records:
        if local(elem.tag) == "publshInformation":
            _read_publish_info(elem, path.name, result)
            continue
        count += 1
        draft = _xml_entry(elem, f"entry {count}", seen, result)
        if draft is not None:
            result.entities.append(draft.build(list_id, version))
    if count == 0:
        raise ListParseError(path.name, "sdnList", "no sdnEntry elements")
    return result


def _read_publish_info(elem: ET.Element, file: str, result: ParseResult) -> None:
    info = _leaves(elem)
    try:
        if info.get("Publish_Date"):
            result.published = datetime.strptime(info["Publish_Date"], "%m/%d/%Y").date()
        if info.get("Record_Count"):
            result.declared_count = int(info["Record_Count"])
    except ValueError as exc:
        raise ListParseError(file, "publshInformation", f"unreadable header: {exc}") from exc


def _xml_entry(elem: ET.Element, where: str, seen: set[str], result: ParseResult) -> _Draft | None:
    """Read one sdnEntry, or report it and return None when it has no usable uid or name."""
    fields = {local(child.tag): child for child in elem}
    uid, last, first, sdn_type = (
        clean(fields[k].text) if k in fields else None for k in ("uid", "lastName", "firstName", "sdnType"))
    if uid is None or not uid.isdigit() or uid in seen:
        problem = "duplicate uid" if uid in seen else f"no numeric uid ({uid!r})"
        result.issues.append(RecordIssue(where, f"sdnEntry with {problem}; skipped", uid))
        return None
    if last is None:
        result.issues.append(RecordIssue(where, "sdnEntry without a name; skipped", uid))
        return None
    seen.add(uid)
    draft = _Draft(uid, ENTITY_TYPES.get((sdn_type or "").lower(), EntityType.UNKNOWN), where)
    if draft.type is EntityType.UNKNOWN:
        result.issues.append(RecordIssue(where, f"unknown sdnType {sdn_type!r}; kept as unknown", uid))
    parts = _name_parts(first, last) if draft.type is EntityType.PERSON else ()
    draft.add_name(_compose(first, last), NameKind.PRIMARY, None, parts)
    for tag, child in fields.items():
        _read_xml_field(draft, tag, child, result)
    return draft


def _read_xml_field(draft: _Draft, tag: str, elem: ET.Element, result: ParseResult) -> None:
    """Fill the draft from one child element of an sdnEntry."""
    if tag == "title":
        draft.positions.append(clean(elem.text))
    elif tag == "remarks":
        draft.remarks = clean(elem.text)
    elif tag == "programList":
        draft.programs.extend(p for p in (clean(c.text) for c in elem) if p)
    elif tag == "akaList":
        for aka in elem:
            _add_xml_aka(draft, _leaves(aka), result)
    elif tag == "dateOfBirthList":
        for item in elem:
            text = _leaves(item).get("dateOfBirth")
            if text:
                _add_birth_date(draft, text, result)
    elif tag == "placeOfBirthList":
        draft.birth_places.extend(_leaves(item).get("placeOfBirth") for item in elem)
    elif tag == "nationalityList":
        draft.nationalities.extend(_leaves(item).get("country") for item in elem)
    elif tag == "citizenshipList":
        draft.citizenships.extend(_leaves(item).get("country") for item in elem)
    elif tag == "addressList":
        draft.addresses.extend(_xml_address(_leaves(item)) for item in elem)
    elif tag == "idList":
        for item in elem:
            _add_xml_id(draft, _leaves(item))
    elif tag == "vesselInfo":
        info = _leaves(elem)
        draft.extra.extend((key, info[k]) for k, key in VESSEL_FIELDS.items() if info.get(k))


def _add_xml_aka(draft: _Draft, aka: dict[str, str | None], result: ParseResult) -> None:
    kind = NAME_KINDS.get(aka.get("type") or "")
    last = aka.get("lastName")
    if kind is None or last is None:
        message = f"aka {aka.get('uid')} without a name or a known type; alias skipped"
        result.issues.append(RecordIssue(draft.where, message, draft.uid))
        return
    first = aka.get("firstName")
    parts = _name_parts(first, last) if draft.type is EntityType.PERSON else ()
    draft.add_name(_compose(first, last), kind, aka.get("category"), parts)


def _xml_address(item: dict[str, str | None]) -> Address:
    street = [item.get("address1"), item.get("address2"), item.get("address3")]
    city, country = item.get("city"), item.get("country")
    full = _address_text(street, city, item.get("stateOrProvince"), item.get("postalCode"), country)
    return Address(full, city, country)


def _add_xml_id(draft: _Draft, item: dict[str, str | None]) -> None:
    id_type, value = item.get("idType"), item.get("idNumber")
    if id_type is None or value is None:
        return
    dates = (("issued", item.get("issueDate")), ("expires", item.get("expirationDate")))
    note = " ".join(f"{word} {day}" for word, day in dates if day) or None
    draft.add_id(id_type, value, item.get("idCountry"), note)


def _add_birth_date(draft: _Draft, text: str, result: ParseResult) -> None:
    dob = parse_birth_date(text)
    if dob.start is None:
        message = f"date of birth {text!r} not recognised; kept as text"
        result.issues.append(RecordIssue(draft.where, message, draft.uid))
    draft.birth_dates.append(dob)


# --- CSV -----------------------------------------------------------------------------------

CSV_WIDTHS = {"primary": 12, "add": 6, "alt": 5, "comments": 2}


def parse_csv(files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse an OFAC legacy CSV set: roles "primary" (required), "add", "alt", "comments".

    Raises:
        ListParseError: a file is structurally not an OFAC legacy CSV of its role.
        ValueError: no "primary" file, or an unknown role.
    """
    unknown = set(files) - set(CSV_WIDTHS)
    if "primary" not in files or unknown:
        raise ValueError(f"OFAC CSV roles are {sorted(CSV_WIDTHS)}, 'primary' required; got {sorted(files)}")
    result = ParseResult(entities=[])
    drafts = _read_primary(files["primary"], result)
    if "comments" in files:
        _read_comments(files["comments"], drafts, result)
    if "alt" in files:
        _read_alt(files["alt"], drafts, result)
    if "add" in files:
        _read_add(files["add"], drafts, result)
    for draft in drafts.values():
        if draft.remarks:
            _read_remarks(draft, draft.remarks, result)
        result.entities.append(draft.build(list_id, version))
    return result


def _decode(path: Path) -> str:
    try:
        data = read_bytes(path)
    except zlib.error as exc:  # corrupt deflate data inside a .gz (read_bytes covers truncation)
        raise ListParseError(path.name, "compressed stream", str(exc)) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ListParseError(path.name, f"byte {exc.start}", "neither UTF-8 nor cp1252 text") from exc
    return text[:-1] if text.endswith("\x1a") else text  # OFAC's Ctrl-Z end-of-file byte


def _rows(path: Path, role: str, result: ParseResult) -> Iterator[tuple[int, list[str]]]:
    """Yield (first line number, fields) of each well-formed row; report or raise on the rest."""
    width = CSV_WIDTHS[role]
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    line, first_row = 1, True
    try:
        for row in reader:
            start, line = line, reader.line_num + 1
            if not row:
                continue
            if not row[0].strip().isdigit():
                message = f"first field {row[0][:40]!r} is not an ent_num"
                raise ListParseError(path.name, f"line {start}", message)
            if len(row) != width:
                message = f"{len(row)} fields, expected {width}"
                if first_row:
                    raise ListParseError(path.name, f"line {start}", f"{message}: not an OFAC {role} file")
                _report(result, path, start, f"{message}; row skipped", row[0].strip())
                continue
            first_row = False
            yield start, [v.strip() for v in row]
    except csv.Error as exc:
        raise ListParseError(path.name, f"line {reader.line_num}", str(exc)) from exc


def _report(result: ParseResult, path: Path, line: int, message: str, uid: str) -> None:
    result.issues.append(RecordIssue(f"line {line}", f"{path.name}: {message}", uid))


def _value(text: str) -> str | None:
    """A CSV field (already stripped) or None for OFAC's `-0-` null; most fields are null."""
    return None if text in ("", "-0-") else clean(text)


def _read_primary(path: Path, result: ParseResult) -> dict[str, _Draft]:
    drafts: dict[str, _Draft] = {}
    for line, row in _rows(path, "primary", result):
        uid, name, sdn_type = row[0], _value(row[1]), _value(row[2]) or "entity"
        if name is None or uid in drafts:
            problem = "no name" if name is None else "duplicate ent_num"
            _report(result, path, line, f"{problem}; row skipped", uid)
            continue
        draft = _Draft(uid, ENTITY_TYPES.get(sdn_type.lower(), EntityType.UNKNOWN), f"line {line}")
        if draft.type is EntityType.UNKNOWN:
            _report(result, path, line, f"unknown SDN_Type {sdn_type!r}; kept as unknown", uid)
        draft.add_name(name, NameKind.PRIMARY, None, _split_composed(name, draft.type is EntityType.PERSON))
        draft.programs.extend(_split_programs(row[3]))
        draft.positions.append(_value(row[4]))
        draft.extra.extend((key, v) for key, v in zip(VESSEL_FIELDS.values(), map(_value, row[5:11])) if v)
        draft.remarks = _value(row[11])
        drafts[uid] = draft
    if not drafts and not result.issues:
        raise ListParseError(path.name, "line 1", "no records: empty primary file")
    return drafts


def _split_programs(text: str) -> list[str]:
    """'UKRAINE-EO13662] [RUSSIA-EO14024' -> ['UKRAINE-EO13662', 'RUSSIA-EO14024']."""
    return [p for p in (clean(part.strip("[] ")) for part in text.split("] [")) if p]


def _owner(drafts: dict[str, _Draft], path: Path, line: int, uid: str, result: ParseResult) -> _Draft | None:
    draft = drafts.get(uid)
    if draft is None:
        _report(result, path, line, f"ent_num {uid} not in the primary file; row skipped", uid)
    return draft


def _read_comments(path: Path, drafts: dict[str, _Draft], result: ParseResult) -> None:
    for line, row in _rows(path, "comments", result):
        draft = _owner(drafts, path, line, row[0], result)
        overflow = _value(row[1])
        if draft is not None and overflow:
            # The overflow continues Remarks mid-word: join without a separator.
            draft.remarks = (draft.remarks or "") + overflow


def _read_alt(path: Path, drafts: dict[str, _Draft], result: ParseResult) -> None:
    for line, row in _rows(path, "alt", result):
        draft = _owner(drafts, path, line, row[0], result)
        if draft is None:
            continue
        kind, name = NAME_KINDS.get(row[2].lower()), _value(row[3])
        if kind is None or name is None:
            _report(result, path, line, f"alias type {row[2]!r} / name {row[3]!r} unusable; skipped", row[0])
            continue
        draft.add_name(name, kind, "strong", _split_composed(name, draft.type is EntityType.PERSON))


def _read_add(path: Path, drafts: dict[str, _Draft], result: ParseResult) -> None:
    for line, row in _rows(path, "add", result):
        draft = _owner(drafts, path, line, row[0], result)
        if draft is None:
            continue
        street, locality, country = _value(row[2]), _value(row[3]), _value(row[4])
        full = ", ".join(x for x in (street, locality, country) if x)
        if full:
            # The CSV joins city, state and postal code in one column: kept whole as `city`.
            draft.addresses.append(Address(full, locality, country))


# --- CSV Remarks ---------------------------------------------------------------------------

# Longest first, so "National ID No." wins over "National" and "Passport" over nothing shorter.
_KNOWN_LABELS = sorted(IDENTIFIER_ID_TYPES | LEGAL_BASIS_ID_TYPES | EXTRA_ID_TYPES | {"Gender"},
                       key=len, reverse=True)
_LABELED = re.compile(
    r"(?:alt\. )?(?P<label>"
    + "|".join(map(re.escape, _KNOWN_LABELS))
    + r"|Digital Currency Address - \w+|(?:Listing|Effective) Date \([^)]*\):?"
    + r"|Executive Order \d+ [^:-]*?(?::| -))"
    + r" (?P<rest>.+)"
)
_PERSONAL = re.compile(r"(?:alt\. )?(?P<label>DOB|POB|nationality|citizen) (?P<rest>.+)")
_ALIAS = re.compile(r"(?P<kind>[afn]\.k\.a\.) (?P<quote>['\"])(?P<name>.+)(?P=quote)")
# "T14553558 (Iran) issued 28 Oct 2008 expires 29 Oct 2013": the country is the last parenthesis.
_ID_TAIL = re.compile(
    rf"(?P<value>.+?)(?: ?\((?P<country>[A-Z][^()]*)\))?(?P<note>(?: issued {_DATES})?(?: expires {_DATES})?)")
# Old free-text remarks that merely start with a label ("Passport issued in Sarajevo, ...",
# "Passport OR801168 and Kuwaiti National ID No. ... issued under the name ..."): not identifiers.
_PROSE = re.compile(r"(?:^|\s)(?:and|or|issued|were|was|under|the|in|of|for|by|to)\s")


def _read_remarks(draft: _Draft, remarks: str, result: ParseResult) -> None:
    """Take the structured facts out of CSV Remarks; the full text stays in `remarks`."""
    for segment in remarks.removesuffix(".").split("; "):
        if match := _PERSONAL.fullmatch(segment):
            _add_personal(draft, match["label"], match["rest"], result)
        elif match := _ALIAS.fullmatch(segment):
            _add_remarks_alias(draft, NAME_KINDS[match["kind"]], match["name"])
        elif match := _LABELED.fullmatch(segment):
            _add_labeled(draft, match["label"], match["rest"])


def _add_remarks_alias(draft: _Draft, kind: NameKind, full: str) -> None:
    """A weak alias: the XML publishes these whole in lastName, so they are not split."""
    if any(n.full == full for n in draft.names):
        return
    parts = (("last", full),) if draft.type is EntityType.PERSON else ()
    draft.add_name(full, kind, "weak", parts)


def _add_personal(draft: _Draft, label: str, text: str, result: ParseResult) -> None:
    if label == "DOB":
        _add_birth_date(draft, text, result)
    elif label == "POB":
        draft.birth_places.append(text)
    elif label == "nationality":
        draft.nationalities.append(text)
    else:
        draft.citizenships.append(text)


def _add_labeled(draft: _Draft, label: str, rest: str) -> None:
    if route_id_type(label) != IDENTIFIER:
        draft.add_id(label, rest, None, None)
        return
    match = _ID_TAIL.fullmatch(rest)
    assert match is not None  # the value group matches any non-empty text
    value = match["value"]
    if _PROSE.search(value) or value.count("(") != value.count(")"):
        return  # stays in `remarks` only
    draft.add_id(label, value, match["country"], match["note"].strip() or None)
