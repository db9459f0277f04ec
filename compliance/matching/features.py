"""Secondary evidence: dates of birth, countries, identifiers, entity type.

Each feature is a named pure function of the prepared query and candidate facts that
returns a value in 0..1 and a detail; FEATURES pairs them with their weights (positive
for support, negative for conflict). An exact identifier match is decisive on its own.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from compliance.matching.countries import split_countries, to_iso2
from compliance.models import Query
from watchlists.model import Entity, EntityType

Date = tuple[int, int | None, int | None]
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_ID_CHARS = re.compile(r"[^0-9A-Z]")
MIN_IDENTIFIER_LENGTH = 5  # shorter values ("123") are too likely to collide


def parse_date(text: str | None) -> Date | None:
    """(year, month, day) from an ISO-ish prefix; an impossible month or day is dropped."""
    match = _DATE.match(text.strip()) if text else None
    if match is None:
        return None
    year, month, day = (int(g) if g else None for g in match.groups())
    if month is not None and not 1 <= month <= 12:
        month = day = None
    if day is not None and not 1 <= day <= 31:
        day = None
    return year, month, day


def normalize_identifier(value: str) -> str:
    return _ID_CHARS.sub("", value.upper())


@dataclass(frozen=True, slots=True)
class Facts:
    """What secondary evidence a query or an entity offers, prepared once."""

    type: EntityType | None
    dates: tuple[tuple[Date, Date, bool], ...]  # (start, end, circa); a single date has end == start
    countries: frozenset[str]
    identifiers: frozenset[str]


def query_facts(query: Query) -> Facts:
    date = parse_date(query.birth_date)
    return Facts(
        type=query.type if query.type not in (None, EntityType.UNKNOWN) else None,
        dates=((date, date, False),) if date else (),
        countries=frozenset(_countries(query.countries)),
        identifiers=frozenset(v for v in (normalize_identifier(v) for _, v in query.identifiers)
                              if len(v) >= MIN_IDENTIFIER_LENGTH),
    )


def entity_facts(entity: Entity) -> Facts:
    dates = []
    for b in entity.birth_dates:
        start = parse_date(b.start)
        if start is not None:
            dates.append((start, parse_date(b.end) or start, b.circa))
    places = [*entity.nationalities, *entity.citizenships, *entity.countries, *entity.birth_places]
    countries = frozenset(_countries(places))
    identifiers = frozenset(v for v in (normalize_identifier(i.value) for i in entity.identifiers)
                            if len(v) >= MIN_IDENTIFIER_LENGTH)
    return Facts(
        type=entity.type if entity.type is not EntityType.UNKNOWN else None,
        dates=tuple(dates),
        countries=_SHARED_COUNTRIES.setdefault(countries, countries),
        identifiers=identifiers or _NONE,
    )


# The engine keeps every entity's facts: the default lists' 23,368 entities hold 572 distinct
# sets of countries and 11,867 without identifiers; each set shared (a frozenset is 216 bytes
# or more) saves ~7 MB.
_SHARED_COUNTRIES: dict[frozenset[str], frozenset[str]] = {}
_NONE: frozenset[str] = frozenset()


def _countries(texts: Iterable[str]) -> list[str]:
    found: list[str] = []
    for text in texts:
        found += _country_codes(text)
    return found


@lru_cache(maxsize=1 << 15)
def _country_codes(text: str) -> tuple[str, ...]:
    """List fields repeat the same few hundred country strings: look each up once."""
    code = to_iso2(text)
    return (code,) if code else tuple(split_countries(text))


@dataclass(frozen=True, slots=True)
class FeatureResult:
    name: str
    value: float
    weight: float
    detail: str

    @property
    def contribution(self) -> float:
        return self.value * self.weight

    def to_dict(self) -> dict:
        return {"feature": self.name, "value": round(self.value, 3), "weight": self.weight,
                "contribution": round(self.contribution, 4), "detail": self.detail}


def _year_gap(q: Date, start: Date, end: Date, circa: bool) -> int:
    """Years between the query's year and the candidate's range, beyond the tolerance."""
    tolerance = 1 + (2 if circa else 0)
    distance = max(start[0] - q[0], q[0] - end[0], 0)
    return max(0, distance - tolerance)


def dob_exact(q: Facts, c: Facts) -> tuple[float, str]:
    """The full date of birth (year, month, day) equals one the list gives."""
    for qd, _, _ in q.dates:
        for start, end, _ in c.dates:
            if qd[2] is not None and start == end == qd:
                return 1.0, f"date of birth {_fmt(qd)} is the listed one"
    return 0.0, ""


def dob_same_year(q: Facts, c: Facts) -> tuple[float, str]:
    """The year of birth falls in a listed date's year (or range), without an exact match."""
    if dob_exact(q, c)[0]:
        return 0.0, ""
    for qd, _, _ in q.dates:
        for start, end, _ in c.dates:
            if start[0] <= qd[0] <= end[0] and _compatible(qd, start, end):
                return 1.0, f"year of birth {qd[0]} agrees with listed {_fmt(start, end)}"
    return 0.0, ""


def dob_conflict(q: Facts, c: Facts) -> tuple[float, str]:
    """Every listed date of birth is more than a year (three if circa) from the query's."""
    if not q.dates or not c.dates:
        return 0.0, ""
    qd = q.dates[0][0]
    gaps = [_year_gap(qd, start, end, circa) for start, end, circa in c.dates]
    gap = min(gaps)
    if gap == 0:
        return 0.0, ""
    listed = ", ".join(_fmt(s, e) for s, e, _ in c.dates[:3])
    return min(1.0, gap / 2), f"date of birth {_fmt(qd)} against listed {listed}"


def country_match(q: Facts, c: Facts) -> tuple[float, str]:
    """A country of the query (nationality, residence) is one the listing names."""
    common = q.countries & c.countries
    return (1.0, f"country {', '.join(sorted(common))} in the listing") if common else (0.0, "")


def country_conflict(q: Facts, c: Facts) -> tuple[float, str]:
    """Both sides name countries and none is shared."""
    if q.countries and c.countries and not q.countries & c.countries:
        return 1.0, f"countries {', '.join(sorted(q.countries))} against listed {', '.join(sorted(c.countries))}"
    return 0.0, ""


def type_conflict(q: Facts, c: Facts) -> tuple[float, str]:
    """The query is a different kind of party (a person against a company or vessel)."""
    if q.type is not None and c.type is not None and q.type is not c.type:
        return 1.0, f"query is a {q.type.value}, listing is a {c.type.value}"
    return 0.0, ""


def identifier_match(q: Facts, c: Facts) -> tuple[float, str]:
    """An identifier (passport, registration, IMO, wallet...) equals a listed one: decisive."""
    common = q.identifiers & c.identifiers
    return (1.0, f"identifier {sorted(common)[0]} is listed") if common else (0.0, "")


def _compatible(qd: Date, start: Date, end: Date) -> bool:
    """Month and day, where both sides give them for a single date, do not contradict."""
    if start != end or qd[1] is None or start[1] is None:
        return True
    return qd[1] == start[1] and (qd[2] is None or start[2] is None or qd[2] == start[2])


@lru_cache(maxsize=1 << 14)
def _fmt(start: Date, end: Date | None = None) -> str:
    """A date (or range) as text; details of conflicting dates format the same few often."""
    text = "-".join(f"{p:02d}" if i else str(p) for i, p in enumerate(start) if p is not None)
    return text if end is None or end == start else f"{text} to {_fmt(end)}"


Feature = tuple[str, Callable[[Facts, Facts], tuple[float, str]], float]

# (name, function, weight). Weights are added to the name score in proportion to the
# feature's value; see bench/calibrate.py for how they and the thresholds were set.
FEATURES: tuple[Feature, ...] = (
    ("dob_exact", dob_exact, 0.08),
    ("dob_same_year", dob_same_year, 0.04),
    ("dob_conflict", dob_conflict, -0.20),
    ("country_match", country_match, 0.03),
    ("country_conflict", country_conflict, -0.05),
    ("type_conflict", type_conflict, -0.30),
)
MAX_BONUS = sum(w for _, _, w in FEATURES if w > 0)


def potential_bonus(q: Facts) -> float:
    """The most the features can add for this query: what it earns against itself.

    Every supporting feature is at its fullest when the candidate states exactly the
    query's facts, and features that exclude each other (exact date, same year) do so
    there too; a query without a date or country can earn nothing from them.
    """
    return sum(f.contribution for f in evaluate(q, q) if f.contribution > 0)


def evaluate(q: Facts, c: Facts) -> list[FeatureResult]:
    """Every feature that fired, with its contribution."""
    results = []
    for name, fn, weight in FEATURES:
        value, detail = fn(q, c)
        if value:
            results.append(FeatureResult(name, value, weight, detail))
    return results
