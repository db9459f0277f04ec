"""Parse the UK OFSI Consolidated List (2022 format) from its xlsx or CSV edition.

The list has one row per name; rows sharing a "Group ID" (not necessarily adjacent) are one
target. Both editions only produce rows; one shared code path turns rows into entities.
"""
from __future__ import annotations

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException

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

SHEET = "Data"
REQUIRED_COLUMNS = ("Name 6", "Group ID", "Group Type", "Alias Type")
ENTITY_TYPES = {"Individual": EntityType.PERSON, "Entity": EntityType.ORGANIZATION, "Ship": EntityType.VESSEL}
NAME_KINDS = {
    "primary name": NameKind.PRIMARY,
    "primary name variation": NameKind.VARIATION,
    "aka": NameKind.AKA,
    "fka": NameKind.FKA,
}
# Name 6 is the surname; the full name is Name 1..5 then Name 6, as OFSI prints it.
NAME_PARTS = (
    ("Name 1", "first"), ("Name 2", "middle"), ("Name 3", "middle"),
    ("Name 4", "middle"), ("Name 5", "middle"), ("Name 6", "last"),
)
NAME_COLUMNS = (
    *(column for column, _ in NAME_PARTS), "Title", "Alias Type", "Alias Quality",
    "Name Non-Latin Script", "Non-Latin Script Type", "Non-Latin Script Language",
)
ADDRESS_COLUMNS = (
    "Address 1", "Address 2", "Address 3", "Address 4", "Address 5", "Address 6", "Post/Zip Code", "Country",
)
IDENTIFIER_COLUMNS = (
    ("passport", "Passport Number", "Passport Details"),
    ("national id", "National Identification Number", "National Identification Details"),
)
OTHER_COLUMNS = (
    "DOB", "Town of Birth", "Country of Birth", "Nationality", "Position", "Other Information", "Group Type",
    "Regime", "Listed On", "UK Sanctions List Date Designated", "Last Updated", "Group ID",
    "UK Sanctions List Ref",  # a column in some editions; in this one it sits in "Other Information"
)
KNOWN_COLUMNS = (
    *NAME_COLUMNS, *ADDRESS_COLUMNS, *(c for _, *pair in IDENTIFIER_COLUMNS for c in pair), *OTHER_COLUMNS,
)
# "(Label):value" fields OFSI packs into "Other Information"; None = delimits only, not extracted.
LABELS = {
    "UK Sanctions List Ref": "uk_sanctions_list_ref", "UN Ref": "un_ref", "UK Statement of Reasons": None,
    "Gender": "gender", "IMO number": "imo_number", "Business Reg No": "business_reg_no",
    "Type of entity": "type_of_entity", "Parent company": "parent_company", "Subsidiaries": "subsidiaries",
    "Website": "website", "Email address": "email_address", "Phone number": "phone_number",
    "Tel": "tel", "Fax": "fax", "Current owners": "current_owners", "Flag of ship": "flag_of_ship",
    "Previous flags": "previous_flags", "Type of ship": "type_of_ship", "Tonnage of ship": "tonnage_of_ship",
    "Length of ship": "length_of_ship", "Year built": "year_built",
}
LABEL = re.compile(r"\((" + "|".join(map(re.escape, LABELS)) + r")\):")
# Refs ("RUS1234", "QDi.426", "CDi. 038", "BEL0045 and GHR0050") are followed by free text.
REF = r"[A-Z]{2}[A-Za-z]\.? ?\d+"
REFS = re.compile(rf"\s*{REF}(?:\s*(?:,|and)\s*{REF})*")
NUMBERED = re.compile(r"\(\d+\)")  # OFSI's "(1) Iran (2) Iraq" multi-value cells
DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})|(\d{1,2})/(\d{4})|(\d{4})")
PLACEHOLDERS = {"-", "--", "."}
# What a corrupt or truncated workbook raises from zipfile, zlib, ElementTree/lxml or openpyxl.
BROKEN_XLSX = (
    zipfile.BadZipFile, InvalidFileException, KeyError, SyntaxError, zlib.error, EOFError, OSError, ValueError,
)

RawRow = tuple[str | None, ...]


def parse_xlsx(files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse the xlsx edition (sheet "Data"); `files["primary"]` may be gzipped.

    Raises:
        ListParseError: not an xlsx workbook, truncated, no "Data" sheet, or a bad header.
    """
    path = files["primary"]
    return _parse_rows(_xlsx_rows(path), path.name, list_id, version)


def parse_csv(files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse the CSV edition (UTF-8 with or without BOM, else cp1252); may be gzipped.

    Raises:
        ListParseError: undecodable text, malformed CSV or a bad header.
    """
    path = files["primary"]
    return _parse_rows(_csv_rows(path), path.name, list_id, version)


# -- row sources ----------------------------------------------------------------------------

def _xlsx_rows(path: Path) -> Iterator[tuple[int, RawRow]]:
    """Yield (row number, cell texts) from the "Data" sheet."""
    data = read_bytes(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # e.g. "no default style": harmless
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except BROKEN_XLSX as exc:
        raise ListParseError(path.name, "zip archive", f"not a readable xlsx workbook: {exc!r}") from exc
    try:
        if SHEET not in book.sheetnames:
            raise ListParseError(path.name, "workbook", f"no sheet {SHEET!r} (sheets: {book.sheetnames})")
        number = 0
        try:
            for number, values in enumerate(book[SHEET].iter_rows(values_only=True), start=1):
                yield number, tuple(map(_cell_text, values))
        except BROKEN_XLSX as exc:
            raise ListParseError(path.name, f"row {number + 1}", f"unreadable sheet data: {exc!r}") from exc
    finally:
        book.close()


def _cell_text(value: object) -> str | None:
    """Render a cell as the text OFSI publishes (dates as dd/mm/yyyy, ids without ".0")."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (datetime, date)):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_rows(path: Path) -> Iterator[tuple[int, RawRow]]:
    """Yield (record number, fields) from the CSV edition; numbers match the xlsx rows."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ListParseError(path.name, f"byte {exc.start}", "neither UTF-8 nor cp1252 text") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for number, values in enumerate(reader, start=1):
            yield number, tuple(values)
    except csv.Error as exc:
        raise ListParseError(path.name, f"line {reader.line_num}", f"malformed CSV: {exc}") from exc


# -- rows -> groups (shared by both editions) -------------------------------------------------

class _Cleaned(dict):
    """`clean` memoized for one parse: list values repeat across rows and groups."""

    def __missing__(self, value: str | None) -> str | None:
        self[value] = cleaned = clean(value)
        return cleaned


class _Group:
    """The raw rows of one Group ID, read column-wise: values repeat across a group's rows,
    so each distinct value is mapped once."""

    __slots__ = ("id", "numbers", "rows", "index", "cleaned", "_columns")

    def __init__(self, group_id: str, index: dict[str, int], cleaned: _Cleaned) -> None:
        self.id = group_id
        self.index = index
        self.cleaned = cleaned
        self.numbers: list[int] = []
        self.rows: list[RawRow] = []
        self._columns: list[RawRow] | None = None

    def values(self, column: str) -> tuple[str, ...]:
        """The column's distinct non-empty values, cleaned, in file order."""
        if self._columns is None:
            self._columns = list(zip(*self.rows))
        distinct = dict.fromkeys(map(self.cleaned.__getitem__, dict.fromkeys(self._columns[self.index[column]])))
        distinct.pop(None, None)
        return tuple(distinct)

    def combos(self, *columns: str) -> list[tuple[str | None, ...]]:
        """The distinct combinations of the columns' cleaned values, in file order."""
        getter, clean_one = itemgetter(*(self.index[column] for column in columns)), self.cleaned.__getitem__
        cleaned = dict.fromkeys(tuple(map(clean_one, combo)) for combo in dict.fromkeys(map(getter, self.rows)))
        return [combo for combo in cleaned if any(combo)]


def _parse_rows(rows: Iterable[tuple[int, Sequence[str | None]]], file: str, list_id: str, version: str) -> ParseResult:
    """Group rows by Group ID and build one entity per group, in order of first appearance."""
    rows = iter(rows)
    published, header_number, header = _read_preamble(rows, file)
    index, width = _column_index(header, file, header_number)
    group_at, names_of = index["Group ID"], itemgetter(*(index[column] for column, _ in NAME_PARTS))
    groups: dict[str, _Group] = {}
    issues: list[RecordIssue] = []
    padding = (None,) * (width + 1)  # the extra None is where absent optional columns point
    cleaned = _Cleaned()
    for number, values in rows:
        if not any(values):
            continue  # a blank spreadsheet row carries no record
        cells = values[:width]
        row = (*cells, *padding[len(cells):])
        group_id, name = cleaned[row[group_at]], clean(" ".join(filter(None, names_of(row))))
        if group_id is None or name is None:
            issues.append(_row_issue(number, group_id, name))
            continue
        group = groups.get(group_id) or groups.setdefault(group_id, _Group(group_id, index, cleaned))
        group.numbers.append(number)
        group.rows.append(row)
    entities = []
    for group in groups.values():
        entity, group_issues = _build_entity(group, list_id, version)
        entities.append(entity)
        issues.extend(group_issues)
    return ParseResult(entities=entities, published=published, issues=issues)


def _read_preamble(rows: Iterator[tuple[int, Sequence[str | None]]], file: str) -> tuple[date | None, int, Sequence]:
    """Read the "Last Updated | dd/mm/yyyy" row, if there is one, and the header row."""
    first = next(rows, None)
    if first is None:
        raise ListParseError(file, "row 1", "empty file: no header row")
    number, values = first
    if not values or not (clean(values[0]) or "").startswith("Last Updated"):
        return None, number, values  # no preamble: the first row is the header
    stated = clean(values[1]) if len(values) > 1 else None
    published = _iso_date(stated)
    if published is None:
        raise ListParseError(file, f"row {number}", f"unreadable Last Updated date {stated!r}")
    header = next(rows, None)
    if header is None:
        raise ListParseError(file, f"row {number + 1}", "no header row")
    return date.fromisoformat(published), header[0], header[1]


def _column_index(header: Sequence[str | None], file: str, number: int) -> tuple[dict[str, int], int]:
    """Map column names to positions; absent optional columns map to the padding cell."""
    index: dict[str, int] = {}
    for position, title in enumerate(header):
        title = clean(title)
        if title is not None:
            index.setdefault(title, position)
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        raise ListParseError(file, f"row {number}", f"header lacks required column(s): {', '.join(missing)}")
    width = len(header)
    return {column: index.get(column, width) for column in KNOWN_COLUMNS}, width


def _row_issue(number: int, group_id: str | None, name: str | None) -> RecordIssue:
    if group_id is None:
        return RecordIssue(f"row {number}", f"row without Group ID skipped (name {name!r})")
    return RecordIssue(f"row {number}", "row without any name (Name 1-6) skipped", group_id)


# -- groups -> entities ---------------------------------------------------------------------

def _build_entity(group: _Group, list_id: str, version: str) -> tuple[Entity, list[RecordIssue]]:
    """Merge the rows of one Group ID into one Entity; repeated values are kept once."""
    group_type = group.values("Group Type")
    entity_type = ENTITY_TYPES.get(group_type[0], EntityType.UNKNOWN) if group_type else EntityType.UNKNOWN
    names, issues = _names(group, entity_type is EntityType.PERSON)
    remarks = group.values("Other Information")
    labelled = [pair for text in remarks for pair in _labelled(text)]
    listed = sorted(dedupe(map(_iso_date, group.values("Listed On"))))
    entity = Entity(
        id=f"{list_id}:{group.id}",
        list_id=list_id,
        source_id=group.id,
        type=entity_type,
        names=names,
        programs=group.values("Regime"),
        birth_dates=tuple(BirthDate(text, _dob_start(text)) for text in group.values("DOB")),
        birth_places=_birth_places(group),
        nationalities=dedupe(n for text in group.values("Nationality") for n in _split_countries(text)),
        addresses=_addresses(group),
        identifiers=_identifiers(group, labelled),
        listed_on=listed[0] if listed else None,
        remarks="\n".join(remarks) or None,
        gender=next((value for key, value in labelled if key == "gender"), None),
        positions=dedupe(p for text in group.values("Position") for p in _split_numbered(text)),
        extra=_extra(group, group_type, labelled),
        list_version=version,
    )
    return entity, issues


def _names(group: _Group, person: bool) -> tuple[tuple[Name, ...], list[RecordIssue]]:
    """All names of a group, deduped, with its first "Primary name" first.

    Later distinct "Primary name" rows become variations; a group without one has its first
    name promoted to primary, with an issue.
    """
    combos = group.combos(*NAME_COLUMNS)
    fields = list(dict.fromkeys(name for combo in combos for name in _combo_names(combo, person)))
    position = f"row {group.numbers[0]}"
    issues = [
        RecordIssue(position, f"unknown Alias Type {alias_type!r}; names kept as aka", group.id)
        for alias_type in dedupe(combo[7] for combo in combos if _name_kind(combo[7]) is None)
    ]
    primary = next((name for name in fields if name[1] is NameKind.PRIMARY), None)
    if primary is None:
        primary = fields[0]
        issues.append(RecordIssue(position, "no 'Primary name' row; first name taken as primary", group.id))
    rest = (
        (name[0], NameKind.VARIATION, *name[2:]) if name[1] is NameKind.PRIMARY else name
        for name in fields if name is not primary
    )
    names = dict.fromkeys([(primary[0], NameKind.PRIMARY, *primary[2:]), *rest])
    return tuple(Name(*name) for name in names), issues


def _combo_names(combo: tuple[str | None, ...], person: bool) -> list[tuple]:
    """The name of one row (cleaned NAME_COLUMNS values) and its non-Latin-script name, as
    Name field tuples (full, kind, quality, parts, script, lang): tuples dedupe fast."""
    *given, title, alias_type, quality, non_latin, script_type, language = combo
    parts = tuple((label, value) for (_, label), value in zip(NAME_PARTS, given) if value)
    titles = tuple(("title", value) for value in _split_numbered(title))
    names = []
    if parts:
        full = " ".join(value for _, value in parts)
        kind = _name_kind(alias_type) or NameKind.AKA
        quality = quality.lower().removesuffix(" quality") if quality else None
        names.append((full, kind, quality, (titles + parts) if person else titles, None, None))
    if non_latin:
        names.append((non_latin, NameKind.VARIATION, None, (), script_of(non_latin) or script_type, language))
    return names


def _name_kind(alias_type: str | None) -> NameKind | None:
    return NAME_KINDS.get((alias_type or "").lower())


def _split_numbered(text: str | None) -> list[str]:
    """Split "(1) a (2) b" into ["a", "b"]; other text is one value."""
    if not text:
        return []
    if not NUMBERED.match(text):
        return [text]
    values = (value.strip().strip(".,;").strip() for value in NUMBERED.split(text))
    return [value for value in values if value]


def _split_countries(text: str) -> list[str]:
    """Split a Nationality cell: "(1) Iran (2) Iraq", "Estonia, Russia", "Germany. Russia"."""
    values = (part.strip().strip(".") for item in _split_numbered(text) for part in re.split(r"[,;]\s*|\.\s+", item))
    return [value for value in values if value]


def _birth_places(group: _Group) -> tuple[str, ...]:
    """Pair Town and Country of Birth: "(1) Gulu (2) Odek" + "(1) Uganda (2) Uganda"."""
    places: list[str] = []
    for town_text, country_text in group.combos("Town of Birth", "Country of Birth"):
        towns, countries = _split_numbered(town_text), _split_numbered(country_text)
        if towns and len(set(countries)) == 1:
            countries = countries[:1] * len(towns)
        if towns and len(towns) == len(countries):
            places.extend(f"{town}, {country}" for town, country in zip(towns, countries))
        else:
            places.extend(towns + countries)
    return dedupe(places)


def _addresses(group: _Group) -> tuple[Address, ...]:
    """One address per distinct (Address 1-6, Post/Zip Code, Country); no city column exists."""
    return tuple(
        Address(full=", ".join(dedupe(combo)), country=combo[-1]) for combo in group.combos(*ADDRESS_COLUMNS)
    )


def _identifiers(group: _Group, labelled: list[tuple[str, str]]) -> tuple[Identifier, ...]:
    """Passports and national ids (numbers paired with their "(n)" details) and IMO numbers."""
    found: list[Identifier] = []
    for kind, number_column, details_column in IDENTIFIER_COLUMNS:
        for numbers_text, details_text in group.combos(number_column, details_column):
            numbers, details = _split_numbered(numbers_text), _split_numbered(details_text)
            if len(details) != len(numbers):
                details = [details_text] * len(numbers)  # cannot pair: every number gets all the details
            found.extend(
                Identifier(kind, number, note=None if note in PLACEHOLDERS else note)
                for number, note in zip(numbers, details) if number not in PLACEHOLDERS
            )
    found.extend(Identifier("IMO", value) for key, value in labelled if key == "imo_number")
    return dedupe(found)


def _labelled(text: str) -> list[tuple[str, str]]:
    """Extract the "(Label):value" fields of an "Other Information" text."""
    matches = list(LABEL.finditer(text))
    found = []
    for match, following in zip(matches, [*matches[1:], None]):
        key = LABELS[match.group(1)]
        value = text[match.end():following.start() if following else len(text)]
        if key in ("uk_sanctions_list_ref", "un_ref"):
            refs = REFS.match(value)
            values = re.findall(REF, refs.group()) if refs else value.split()[:1]
        else:
            values = [value]
        found.extend((key, item.strip().rstrip(". ")) for item in values if key and item.strip(" ."))
    return found


def _extra(group: _Group, group_type: tuple[str, ...], labelled: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """List-specific fields: group type, OFSI/UN refs, designation dates, ship and company details."""
    pairs = [("group_type", value) for value in group_type]
    pairs += [("uk_sanctions_list_ref", value) for value in group.values("UK Sanctions List Ref")]
    pairs += [(key, value) for key, value in labelled if key not in ("gender", "imo_number")]
    for column, key in (("UK Sanctions List Date Designated", "date_designated"), ("Last Updated", "last_updated")):
        pairs += [(key, _iso_date(value) or value) for value in group.values(column)]
    return dedupe(pairs)


def _iso_date(text: str | None) -> str | None:
    """"14/04/2025" -> "2025-04-14"; None if the text is not a full valid date."""
    match = DMY.fullmatch(text or "")
    if match is None or match.group(1) is None:
        return None
    try:
        return date(int(match.group(3)), int(match.group(2)), int(match.group(1))).isoformat()
    except ValueError:
        return None


def _dob_start(text: str) -> str | None:
    """ISO prefix of an OFSI DOB, 00 meaning unknown: "00/00/1975" -> "1975", "00/05/1975" -> "1975-05"."""
    match = DMY.fullmatch(text)
    if match is None:
        return None
    day, month = match.group(1), match.group(2) or match.group(4)
    year = match.group(3) or match.group(5) or match.group(6)
    if int(year) == 0:
        return None
    if not month or not 1 <= int(month) <= 12:
        return year
    if not day or int(day) == 0:
        return f"{year}-{int(month):02d}"
    return _iso_date(text) or f"{year}-{int(month):02d}"
