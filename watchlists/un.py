"""Parse the UN Security Council Consolidated List (XML, no namespace) into entities.

Streams INDIVIDUAL and ENTITY records with iterparse; names, dates and places stay as published.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import date
from pathlib import Path

from watchlists.xmlstream import stream
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

ROOT_TAG = "CONSOLIDATED_LIST"
RECORD_TYPES = {"INDIVIDUAL": EntityType.PERSON, "ENTITY": EntityType.ORGANIZATION}
NAME_PARTS = (
    ("FIRST_NAME", "first"),
    ("SECOND_NAME", "second"),
    ("THIRD_NAME", "third"),
    ("FOURTH_NAME", "fourth"),
)
# QUALITY holds "Good"/"Low" for individuals but the alias kind ("a.k.a."/"f.k.a.") for entities.
ALIAS_KINDS = {"a.k.a.": NameKind.AKA, "f.k.a.": NameKind.FKA, "n.k.a.": NameKind.NKA}
_ISO_PREFIX = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")


def parse_xml(files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse files["primary"] (the consolidated XML, optionally .gz) into a ParseResult.

    Raises:
        ListParseError: the file is not well-formed XML or not a UN consolidated list.
    """
    path = files["primary"]
    result = ParseResult(entities=[])
    seen = dict.fromkeys(RECORD_TYPES, 0)
    for elem in stream(path, ROOT_TAG, RECORD_TYPES):
        if elem.tag == ROOT_TAG:
            result.published = _published(elem.get("dateGenerated"))
            continue
        seen[elem.tag] += 1
        entity, problem = _entity(elem, list_id, version)
        if entity is not None:
            result.entities.append(entity)
        if problem is not None:
            record_id = _text(elem, "DATAID") or _text(elem, "REFERENCE_NUMBER")
            result.issues.append(RecordIssue(f"{elem.tag} {seen[elem.tag]}", problem, record_id))
    return result


def _entity(rec: ET.Element, list_id: str, version: str) -> tuple[Entity | None, str | None]:
    """Build one entity and say what was wrong with the record; without id or name there is none."""
    source_id = _text(rec, "DATAID")
    if source_id is None:
        return None, "record has no DATAID"
    names, problem = _names(rec)
    if not names:
        return None, problem
    is_person = rec.tag == "INDIVIDUAL"
    return Entity(
        id=f"{list_id}:{source_id}",
        list_id=list_id,
        source_id=source_id,
        type=RECORD_TYPES[rec.tag],
        names=names,
        programs=dedupe([_text(rec, "UN_LIST_TYPE")]),
        birth_dates=_birth_dates(rec) if is_person else (),
        birth_places=_birth_places(rec) if is_person else (),
        nationalities=dedupe(_values(rec, "NATIONALITY")),
        addresses=tuple(a for a in map(_address, rec.iterfind(f"{rec.tag}_ADDRESS")) if a),
        identifiers=tuple(i for i in map(_document, rec.iterfind("INDIVIDUAL_DOCUMENT")) if i),
        listed_on=_iso(_text(rec, "LISTED_ON")),
        remarks=_text(rec, "COMMENTS1"),
        gender=_text(rec, "GENDER"),
        positions=dedupe([*_values(rec, "TITLE"), *_values(rec, "DESIGNATION")]),
        extra=_extra(rec),
        list_version=version,
    ), problem


def _names(rec: ET.Element) -> tuple[tuple[Name, ...], str | None]:
    """Primary name, original-script variation, then aliases in document order."""
    others = [Name(t, NameKind.VARIATION, script=script_of(t)) for t in _texts(rec, "NAME_ORIGINAL_SCRIPT")]
    others += [n for n in map(_alias, rec.iterfind(f"{rec.tag}_ALIAS")) if n]
    primary = _primary_name(rec)
    if primary is not None:
        return (primary, *others), None
    if not others:
        return (), "record has no name"
    # Keep a named record rather than lose it; the first other name stands in as primary.
    promoted = Name(others[0].full, NameKind.PRIMARY, others[0].quality, script=others[0].script)
    return (promoted, *others[1:]), f"no FIRST_NAME..FOURTH_NAME; {promoted.full!r} used as primary"


def _primary_name(rec: ET.Element) -> Name | None:
    parts = tuple((label, value) for tag, label in NAME_PARTS if (value := _text(rec, tag)))
    if not parts:
        return None
    full = " ".join(value for _, value in parts)
    # An ENTITY's FIRST_NAME is the whole organisation name, not a given name.
    return Name(full, parts=parts if rec.tag == "INDIVIDUAL" else (), script=script_of(full))


def _alias(elem: ET.Element) -> Name | None:
    full = _text(elem, "ALIAS_NAME")
    if full is None:
        return None  # the list publishes empty <ALIAS_NAME/> placeholders
    quality = (_text(elem, "QUALITY") or "").lower()
    if quality in ALIAS_KINDS:
        return Name(full, ALIAS_KINDS[quality], script=script_of(full))
    return Name(full, NameKind.AKA, quality or None, script=script_of(full))


def _birth_dates(rec: ET.Element) -> tuple[BirthDate, ...]:
    dates = [_birth_date(e) for e in rec.iterfind("INDIVIDUAL_DATE_OF_BIRTH")]
    # Some aliases carry the date of birth used under that name.
    dates += [BirthDate(t, _iso(t)) for t in _texts(rec, "INDIVIDUAL_ALIAS/DATE_OF_BIRTH")]
    return dedupe(dates)


def _birth_date(elem: ET.Element) -> BirthDate | None:
    """EXACT (DATE or YEAR), APPROXIMATELY (YEAR) or BETWEEN (FROM_YEAR, TO_YEAR), with any NOTE."""
    kind = (_text(elem, "TYPE_OF_DATE") or "").upper()
    note = _text(elem, "NOTE")
    start = _iso(_text(elem, "DATE") or _text(elem, "YEAR") or _text(elem, "FROM_YEAR"))
    end = _iso(_text(elem, "TO_YEAR"))
    circa = kind == "APPROXIMATELY" or (note or "").lower().startswith("approximately")
    if start is None or end is None:
        start, end = start or end, None
    if start is None:
        return BirthDate(note, None, circa=circa) if note else None
    text = f"between {start} and {end}" if end else start
    if kind == "APPROXIMATELY":
        text = f"approximately {text}"
    return BirthDate(f"{text} ({note})" if note else text, start, end, circa)


def _birth_places(rec: ET.Element) -> tuple[str, ...]:
    tags = ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")
    places = [_place(e, tags) for e in rec.iterfind("INDIVIDUAL_PLACE_OF_BIRTH")]
    # Some aliases carry the place of birth used under that name.
    alias_tags = ("CITY_OF_BIRTH", "COUNTRY_OF_BIRTH")
    places += [_place(e, alias_tags, note_tag=None) for e in rec.iterfind("INDIVIDUAL_ALIAS")]
    return dedupe(places)


def _place(elem: ET.Element, tags: tuple[str, ...], note_tag: str | None = "NOTE") -> str | None:
    """Join the non-empty parts, once each (STREET sometimes repeats CITY), the note in brackets."""
    joined = ", ".join(dedupe(_text(elem, tag) for tag in tags)) or None
    note = _text(elem, note_tag) if note_tag else None
    if joined and note:
        return f"{joined} ({note})"
    return joined or note


def _address(elem: ET.Element) -> Address | None:
    full = _place(elem, ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY"))
    if full is None:
        return None
    return Address(full, city=_text(elem, "CITY"), country=_text(elem, "COUNTRY"))


def _document(elem: ET.Element) -> Identifier | None:
    """One INDIVIDUAL_DOCUMENT; without a NUMBER the published free text stands as the value."""
    doc_type = _text(elem, "TYPE_OF_DOCUMENT")
    subtype = _text(elem, "TYPE_OF_DOCUMENT2")
    issued_on = _text(elem, "DATE_OF_ISSUE")
    issued_in = _text(elem, "CITY_OF_ISSUE")
    details = [
        subtype if subtype != doc_type else None,
        f"issued {issued_on}" if issued_on else None,
        f"issued in {issued_in}" if issued_in else None,
        _text(elem, "NOTE"),
    ]
    note = "; ".join(dedupe(details)) or None
    number = _text(elem, "NUMBER")
    country = _text(elem, "ISSUING_COUNTRY") or _text(elem, "COUNTRY_OF_ISSUE")
    if number is None:
        return Identifier(doc_type or "Document", note, country) if note else None
    return Identifier(doc_type or subtype or "Document", number, country, note)


def _extra(rec: ET.Element) -> tuple[tuple[str, str], ...]:
    """REFERENCE_NUMBER (what lawyers cite), the latest update and the alias notes."""
    reference = _text(rec, "REFERENCE_NUMBER")
    extra = [("reference_number", reference)] if reference else []
    updated = [_iso(v) for v in _values(rec, "LAST_DAY_UPDATED")]
    if any(updated):
        extra.append(("last_updated", max(u for u in updated if u)))
    for alias in rec.iterfind(f"{rec.tag}_ALIAS"):
        if (name := _text(alias, "ALIAS_NAME")) and (note := _text(alias, "NOTE")):
            extra.append(("alias_note", f"{name}: {note}"))
    return tuple(extra)


def _published(value: str | None) -> date | None:
    iso = _iso(value)
    try:
        return date.fromisoformat(iso) if iso and len(iso) == 10 else None
    except ValueError:  # a malformed dateGenerated leaves the date unknown rather than the list unread
        return None


def _iso(value: str | None) -> str | None:
    """The ISO date prefix of `value` ("2001-01-25-05:00" -> "2001-01-25"), or None."""
    match = _ISO_PREFIX.match(value.strip()) if value else None
    return match.group() if match else None


def _text(elem: ET.Element, path: str) -> str | None:
    return clean(elem.findtext(path))


def _texts(elem: ET.Element, path: str) -> list[str]:
    return [t for e in elem.iterfind(path) if (t := clean(e.text))]


def _values(elem: ET.Element, tag: str) -> list[str]:
    return _texts(elem, f"{tag}/VALUE")
