"""The parsers' output contract: one entity model for every sanctions list.

Names, dates and places are kept as published; normalization belongs to matching.
This module has no dependencies outside the standard library.
"""
from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO


class EntityType(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"
    UNKNOWN = "unknown"


class NameKind(StrEnum):
    PRIMARY = "primary"
    VARIATION = "variation"  # a spelling variation of the primary name (UK "Primary name variation")
    AKA = "aka"
    FKA = "fka"
    NKA = "nka"


@dataclass(frozen=True, slots=True)
class Name:
    """One published name of an entity.

    `quality` is the list's own word where it gives one: OFAC "strong"/"weak",
    UN "good"/"low", EU "strong"/"weak", UK "good"/"low". `parts` are (part, value)
    pairs such as ("first", "Ali"), ("last", "KHAMENEI") where the list publishes them.
    `script` is set for names in a non-Latin script ("Arabic", "Cyrillic", ...) when the
    list marks them as such or they are written in it; `lang` is the list's language code.
    """

    full: str
    kind: NameKind = NameKind.PRIMARY
    quality: str | None = None
    parts: tuple[tuple[str, str], ...] = ()
    script: str | None = None
    lang: str | None = None

    @property
    def weak(self) -> bool:
        return self.quality in ("weak", "low")


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A date of birth as published, with its machine-readable bounds.

    `start`/`end` are ISO prefixes: "1939", "1939-04" or "1939-04-19". A single date has
    `end is None`; a range ("1955 to 1958", UN BETWEEN) sets both. `circa` marks
    approximate dates ("circa 1960", UN APPROXIMATELY, EU circa="true").
    """

    text: str
    start: str | None
    end: str | None = None
    circa: bool = False


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifying document or code: passport, national id, IMO, SWIFT/BIC, wallet..."""

    type: str
    value: str
    country: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    full: str
    city: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """One list entry. `id` is list-scoped ("ofac_sdn:26945"); `source_id` is the list's own."""

    id: str
    list_id: str
    source_id: str
    type: EntityType
    names: tuple[Name, ...]
    programs: tuple[str, ...] = ()
    birth_dates: tuple[BirthDate, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    citizenships: tuple[str, ...] = ()
    addresses: tuple[Address, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    listed_on: str | None = None  # ISO date where the list publishes it
    remarks: str | None = None
    gender: str | None = None
    positions: tuple[str, ...] = ()  # titles/designations/functions ("Supreme Leader of Iran")
    legal_basis: tuple[str, ...] = ()  # legal authority/regulation where the list publishes it
    extra: tuple[tuple[str, str], ...] = ()  # list-specific fields (vessel flag, UN reference...)
    list_version: str = ""

    @property
    def name(self) -> str:
        """The primary name as published."""
        return self.names[0].full

    @property
    def countries(self) -> tuple[str, ...]:
        """Every country the entry names: nationality, citizenship and address countries."""
        seen = dict.fromkeys(
            [*self.nationalities, *self.citizenships, *(a.country for a in self.addresses if a.country)]
        )
        return tuple(seen)


@dataclass(frozen=True, slots=True)
class RecordIssue:
    """A malformed record: counted and reported, never dropped silently."""

    position: str  # "line 42", "row 17", "element 3 (uid 123)"
    message: str
    record_id: str | None = None


@dataclass
class ParseResult:
    """What a parser returns for one version of one list."""

    entities: list[Entity]
    published: date | None = None  # the publish date the file states, if it states one
    issues: list[RecordIssue] = field(default_factory=list)
    declared_count: int | None = None  # the record count the file states, if it states one


class ListParseError(Exception):
    """A structural surprise: the file cannot be read as the format it claims to be."""

    def __init__(self, file: str, position: str, message: str) -> None:
        super().__init__(f"{file}: {position}: {message}")
        self.file = file
        self.position = position
        self.message = message


def open_binary(path: Path) -> BinaryIO:
    """Open a list file for reading bytes, transparently decompressing `.gz` files."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def read_bytes(path: Path) -> bytes:
    with open_binary(path) as fh:
        try:
            return fh.read()
        except (OSError, EOFError) as exc:  # truncated or corrupt gzip stream
            raise ListParseError(path.name, "compressed stream", str(exc)) from exc


def text_stream(path: Path, encoding: str = "utf-8") -> io.TextIOWrapper:
    return io.TextIOWrapper(open_binary(path), encoding=encoding, newline="")


_SPACE = re.compile(r"\s+")


def clean(value: str | None) -> str | None:
    """Collapse whitespace; return None for empty values and OFAC's `-0-` null."""
    if value is None:
        return None
    value = _SPACE.sub(" ", value).strip()
    if not value or value == "-0-":
        return None
    return value


def dedupe(values) -> tuple:
    """Keep the first occurrence of each value, dropping None."""
    return tuple(dict.fromkeys(v for v in values if v is not None))


def script_of(text: str) -> str | None:
    """Name the dominant non-Latin script of `text`, or None if it is Latin/ASCII."""
    if text.isascii():
        return None
    counts: dict[str, int] = {}
    for ch in text:
        code = ord(ch)
        if code < 0x250 or not ch.isalpha():
            continue
        for start, end, name in _SCRIPT_RANGES:
            if start <= code <= end:
                counts[name] = counts.get(name, 0) + 1
                break
    if not counts:
        return None
    return max(counts, key=counts.__getitem__)


_SCRIPT_RANGES = (
    (0x0370, 0x03FF, "Greek"),
    (0x0400, 0x052F, "Cyrillic"),
    (0x0530, 0x058F, "Armenian"),
    (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"),
    (0x0750, 0x077F, "Arabic"),
    (0x08A0, 0x08FF, "Arabic"),
    (0xFB50, 0xFEFF, "Arabic"),
    (0x0900, 0x097F, "Devanagari"),
    (0x0980, 0x09FF, "Bengali"),
    (0x0E00, 0x0E7F, "Thai"),
    (0x10A0, 0x10FF, "Georgian"),
    (0x1100, 0x11FF, "Hangul"),
    (0x3040, 0x309F, "Hiragana"),
    (0x30A0, 0x30FF, "Katakana"),
    (0x3400, 0x4DBF, "Han"),
    (0x4E00, 0x9FFF, "Han"),
    (0xAC00, 0xD7AF, "Hangul"),
)
