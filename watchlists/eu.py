"""Parse the EU consolidated financial sanctions list (FSF XML 1.1) into entities.

Streams sanctionEntity records with iterparse, matching local names so the namespace
(http://eu.europa.ec/fpi/fsd/export) may change; names, dates and places stay as published.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from watchlists.xmlstream import local, stream
from watchlists.model import (
    Address,
    BirthDate,
    Entity,
    EntityType,
    Identifier,
    Name,
    NameKind,
    ParseResult,
    RecordIssue,
    clean,
    dedupe,
    script_of,
)

ROOT_TAG = "export"
RECORD_TAG = "sanctionEntity"
SUBJECT_TYPES = {
    "person": EntityType.PERSON,
    "enterprise": EntityType.ORGANIZATION,
    "vessel": EntityType.VESSEL,
    "aircraft": EntityType.AIRCRAFT,
}
STRENGTH = {"true": "strong", "false": "weak"}
UNKNOWN_COUNTRY = ("00", "UNKNOWN")  # the FSF's placeholder for "no country"
# nameAlias remarks that only classify the alias; anything else is kept as an alias note.
_QUALITY_REMARK = re.compile(r"(good|qood|low) quality\b")
_FORMER_REMARK = re.compile(r"formerly known as$|maiden name\b")
_SCRIPT_REMARK = re.compile(r"original script$")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")  # a birthdate remark naming a year is about the date


@dataclass
class _Record:
    """What one subject's sanctionEntity element(s) contribute, in document order."""

    position: str
    names: list[Name] = field(default_factory=list)
    positions: list[str | None] = field(default_factory=list)
    genders: list[str | None] = field(default_factory=list)
    programs: list[str | None] = field(default_factory=list)
    acts: dict[str, str] = field(default_factory=dict)  # numberTitle -> earliest publicationDate
    remarks: list[str | None] = field(default_factory=list)
    birth_dates: list[BirthDate | None] = field(default_factory=list)
    birth_places: list[str | None] = field(default_factory=list)
    citizenships: list[str | None] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    subject: str | None = None


def parse_xml(files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse files["primary"] (an FSF XML 1.1 export, optionally .gz) into a ParseResult.

    Raises:
        ListParseError: the file is not well-formed XML or not an FSF export.
    """
    result = ParseResult(entities=[])
    for source_id, parts in _collect_records(files["primary"], result).items():
        if parts.names:
            result.entities.append(_entity(source_id, parts, list_id, version))
        else:
            message = "sanctionEntity has no nameAlias with a name"
            result.issues.append(RecordIssue(parts.position, message, source_id))
    return result


def _collect_records(path: Path, result: ParseResult) -> dict[str, _Record]:
    """Gather each sanctionEntity by logicalId, in order of first appearance; set the publish date."""
    records: dict[str, _Record] = {}
    for seen, elem in enumerate(stream(path, ROOT_TAG, (RECORD_TAG,))):
        if seen == 0:  # the root element
            result.published = _published(elem.get("generationDate"))
            continue
        position = f"{RECORD_TAG} {seen}"
        source_id = _attr(elem, "logicalId")
        if source_id is None:
            reference = _attr(elem, "euReferenceNumber")
            result.issues.append(RecordIssue(position, "sanctionEntity has no logicalId", reference))
            continue
        if source_id in records:
            source_id = _repeat_id(source_id, elem, records, position)
        _collect(records.setdefault(source_id, _Record(position)), elem)
    return records


def _repeat_id(source_id: str, elem: ET.Element, records: dict[str, _Record], position: str) -> str:
    """An id for a subject the FSF lists again under another programme with the same logicalId.

    The FSF repeats 21 subjects of the 2021-03 file (AFG and TAQA, or UNLI). Each listing
    stays its own entity, as the file publishes it, with the programme in its id and a
    pointer to the first listing in `extra`.
    """
    programmes = [p for p in (_attr(r, "programme") for r in _children(elem, "regulation")) if p]
    base = f"{source_id}-{programmes[0]}" if programmes else f"{source_id}-2"
    repeat_id, n = base, 2
    while repeat_id in records:
        n += 1
        repeat_id = f"{base}-{n}"
    records[repeat_id] = _Record(position)
    records[repeat_id].extra.append(("same_subject_as", source_id))
    return repeat_id


def _collect(parts: _Record, rec: ET.Element) -> None:
    """Add one sanctionEntity's attributes and children to `parts` (a later repeat adds aliases)."""
    parts.extra += _entity_extra(rec)
    for child in rec:
        handler = _HANDLERS.get(local(child.tag))
        if handler is not None:
            handler(parts, child)


def _entity(source_id: str, parts: _Record, list_id: str, version: str) -> Entity:
    acts = sorted(parts.acts.items(), key=lambda act: (act[1], act[0]))  # earliest first
    return Entity(
        id=f"{list_id}:{source_id}",
        list_id=list_id,
        source_id=source_id,
        type=SUBJECT_TYPES.get(parts.subject or "", EntityType.UNKNOWN),
        names=dedupe(parts.names),
        programs=dedupe(parts.programs),
        birth_dates=dedupe(parts.birth_dates),
        birth_places=dedupe(parts.birth_places),
        citizenships=dedupe(parts.citizenships),
        addresses=dedupe(parts.addresses),
        identifiers=dedupe(parts.identifiers),
        listed_on=min((published for _, published in acts if published), default=None),
        remarks="\n".join(dedupe(parts.remarks)) or None,
        gender=next((g for g in parts.genders if g), None),
        positions=dedupe(parts.positions),
        legal_basis=tuple(f"{title}, published {on}" if on else title for title, on in acts),
        extra=dedupe(parts.extra),
        list_version=version,
    )


def _entity_extra(rec: ET.Element) -> list[tuple[str, str]]:
    pairs = [
        ("eu_reference_number", rec.get("euReferenceNumber")),
        ("un_id", rec.get("unitedNationId")),
        ("designation_date", rec.get("designationDate")),
        ("designation_details", rec.get("designationDetails")),
    ]
    return [(key, value) for key, raw in pairs if (value := clean(raw))]


def _add_regulation(parts: _Record, elem: ET.Element) -> None:
    parts.programs.append(_attr(elem, "programme"))
    _add_act(parts, elem)
    if url := clean(elem.findtext("{*}publicationUrl")):
        parts.extra.append(("publication_url", url))


def _add_act(parts: _Record, elem: ET.Element) -> None:
    """Record a regulation (or a child's regulationSummary) by number, keeping its earliest date."""
    title = _attr(elem, "numberTitle")
    published = _attr(elem, "publicationDate") or ""
    if title is not None and (title not in parts.acts or published < parts.acts[title]):
        parts.acts[title] = published


def _add_name(parts: _Record, elem: ET.Element) -> None:
    """One nameAlias: the first is the primary name, the rest aliases; remarks may mark an fka."""
    parts.positions += [_attr(elem, "title"), _attr(elem, "function")]
    parts.genders.append(_attr(elem, "gender"))
    _add_summaries(parts, elem)
    name_parts = tuple(
        (label, value)
        for label, attr in (("first", "firstName"), ("middle", "middleName"), ("last", "lastName"))
        if (value := _attr(elem, attr))
    )
    full = _attr(elem, "wholeName") or " ".join(value for _, value in name_parts)
    if not full:
        return
    kind = NameKind.PRIMARY if not parts.names else NameKind.AKA
    quality = STRENGTH.get((elem.get("strong") or "").lower())
    for remark in _texts(elem, "remark"):
        marker = remark.lower().strip(" ().;")
        if _QUALITY_REMARK.match(marker):
            quality = "weak" if marker.startswith("low") else quality
        elif _FORMER_REMARK.match(marker):
            kind = NameKind.FKA if kind is NameKind.AKA else kind
        elif not _SCRIPT_REMARK.match(marker):
            parts.extra.append(("alias_note", f"{full}: {remark}"))
    lang = _attr(elem, "nameLanguage")
    parts.names.append(Name(full, kind, quality, name_parts, script_of(full), lang))


def _add_birth(parts: _Record, elem: ET.Element) -> None:
    """A birthdate element holds a date, a place, or both; its remark goes with the one it is about."""
    _add_summaries(parts, elem)
    born = _birth_date(elem)
    place = ", ".join(dedupe(_attr(elem, a) for a in ("city", "place", "region"))) or None
    place = ", ".join(dedupe([place, _country(elem)])) or None
    for remark in _texts(elem, "remark"):
        if born is not None and (_YEAR.search(remark) or place is None):
            born = BirthDate(f"{born.text} ({remark})", born.start, born.end, born.circa)
        elif place is None or remark.casefold() not in place.casefold():
            place = f"{place} ({remark})" if place else remark
    parts.birth_dates.append(born)
    parts.birth_places.append(place)


def _birth_date(elem: ET.Element) -> BirthDate | None:
    """From the birthdate attribute, else year/monthOfYear/dayOfMonth, else yearRangeFrom/To."""
    gregorian = (elem.get("calendarType") or "GREGORIAN").upper() == "GREGORIAN"
    ymd = _ymd(elem.get("year"), elem.get("monthOfYear"), elem.get("dayOfMonth"))
    low, high = _attr(elem, "yearRangeFrom"), _attr(elem, "yearRangeTo")
    full = _attr(elem, "birthdate")  # Gregorian even when the split parts are not
    if full is not None:
        start, end, text = full, None, full
    elif ymd is not None:
        start, end, text = (ymd if gregorian else None), None, ymd
    elif low and high:
        start, end, text = low, high, f"{low} to {high}"
    elif low or high:
        start, end, text = low or high, None, low or high
    else:
        return None
    if not gregorian:
        text = f"{ymd or text} ({elem.get('calendarType', '').lower()} calendar)"
    circa = elem.get("circa") == "true"
    return BirthDate(f"circa {text}" if circa else text, start, end, circa)


def _ymd(year: str | None, month: str | None, day: str | None) -> str | None:
    """An ISO prefix from the split date attributes ("1961", "8" -> "1961-08")."""
    year, month, day = clean(year), clean(month), clean(day)
    if year is None or not year.isdigit():
        return None
    if month is None or not month.isdigit():
        return year
    if day is None or not day.isdigit():
        return f"{year}-{int(month):02d}"
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _add_citizenship(parts: _Record, elem: ET.Element) -> None:
    _add_summaries(parts, elem)
    country = _country(elem)
    parts.citizenships.append(country)
    for remark in _texts(elem, "remark"):
        parts.extra.append(("citizenship_note", f"{country}: {remark}" if country else remark))


def _add_identification(parts: _Record, elem: ET.Element) -> None:
    """One identification; issuer, validity and the FSF's true/false flags go into the note."""
    _add_summaries(parts, elem)
    number = _attr(elem, "number") or _attr(elem, "latinNumber")
    kind = _attr(elem, "identificationTypeDescription") or _attr(elem, "identificationTypeCode")
    details = [
        *_texts(elem, "remark"),
        *(f"{label} {value}" for attr, label in _ID_DETAILS if (value := _attr(elem, attr))),
        *(label for attr, label in _ID_FLAGS if elem.get(attr) == "true"),
    ]
    note = "; ".join(dedupe(details)) or None
    if number is None and note is None:
        return
    # Without a number the published free text stands as the value, so the document is not lost.
    parts.identifiers.append(Identifier(kind or "identification", number or note or "", _country(elem), note))


_ID_DETAILS = (
    ("issuedBy", "issued by"),
    ("issueDate", "issued"),
    ("region", "issued in"),
    ("validFrom", "valid from"),
    ("validTo", "valid to"),
    ("nameOnDocument", "name on document:"),
)
_ID_FLAGS = (
    ("diplomatic", "diplomatic"),
    ("knownExpired", "known expired"),
    ("knownFalse", "known false"),
    ("reportedLost", "reported lost"),
    ("revokedByIssuer", "revoked by issuer"),
)


def _add_address(parts: _Record, elem: ET.Element) -> None:
    _add_summaries(parts, elem)
    attrs = ("street", "poBox", "city", "zipCode", "place", "region")
    joined = ", ".join(dedupe([*(_attr(elem, a) for a in attrs), _country(elem)]))
    remark = "; ".join(_texts(elem, "remark"))
    full = f"{joined} ({remark})" if joined and remark else joined or remark
    if full:
        parts.addresses.append(Address(full, _attr(elem, "city"), _country(elem)))
    for info in _children(elem, "contactInfo"):
        if (key := _attr(info, "key")) and (value := _attr(info, "value")):
            parts.extra.append((key.lower(), value))


def _add_remark(parts: _Record, elem: ET.Element) -> None:
    parts.remarks.append(clean(elem.text))


def _add_subject(parts: _Record, elem: ET.Element) -> None:
    if parts.subject is None:
        parts.subject = (elem.get("code") or "").strip().lower() or None


def _add_summaries(parts: _Record, elem: ET.Element) -> None:
    for summary in _children(elem, "regulationSummary"):
        _add_act(parts, summary)


_HANDLERS: dict[str, Callable[[_Record, ET.Element], None]] = {
    "nameAlias": _add_name,
    "regulation": _add_regulation,
    "subjectType": _add_subject,
    "citizenship": _add_citizenship,
    "birthdate": _add_birth,
    "identification": _add_identification,
    "address": _add_address,
    "remark": _add_remark,
}


def _country(elem: ET.Element) -> str | None:
    """countryDescription, else the ISO code, unless the FSF marks the country unknown."""
    for attr in ("countryDescription", "countryIso2Code"):
        value = _attr(elem, attr)
        if value is not None and value.upper() not in UNKNOWN_COUNTRY:
            return value
    return None


def _attr(elem: ET.Element, name: str) -> str | None:
    value = elem.get(name)
    return clean(value) if value else None  # most FSF attributes are empty: skip the regex


def _children(elem: ET.Element, name: str) -> Iterator[ET.Element]:
    return (child for child in elem if local(child.tag) == name)


def _texts(elem: ET.Element, local: str) -> list[str]:
    return [t for e in _children(elem, local) if (t := clean(e.text))]


def _published(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value.strip()[:10]) if value else None
    except ValueError:
        return None


