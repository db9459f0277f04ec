"""Frozen dataclasses and enums shared by the domain: queries, verdicts, matches."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from watchlists.model import Entity, EntityType


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def is_partial_date(value: str) -> bool:
    """YYYY, YYYY-MM or YYYY-MM-DD, a real date, year from 1800 to this year (a birth date)."""
    m = _PARTIAL_DATE.fullmatch(value)
    if m is None:
        return False
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        date(year, month, day)
    except ValueError:
        return False
    return 1800 <= year <= date.today().year


class Verdict(StrEnum):
    MATCH = "match"
    REVIEW = "review"
    CLEAR = "clear"

    @property
    def rank(self) -> int:
        return {"clear": 0, "review": 1, "match": 2}[self.value]


@dataclass(frozen=True)
class Query:
    """An account holder to screen.

    `names` are display names in any script; `handle` an account handle (`@khamenei_ir`);
    `birth_date` an ISO prefix ("1939", "1939-04", "1939-04-19"); `countries` ISO 3166
    alpha-2 codes or country names; `identifiers` (type, value) pairs; `lists` restricts
    screening to these list ids.
    """

    names: tuple[str, ...] = ()
    handle: str | None = None
    type: EntityType | None = None
    birth_date: str | None = None
    countries: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    lists: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Comparison:
    """One query against one entity: the score (0..1), verdict and the explanation."""

    score: float
    verdict: Verdict
    explanation: dict[str, Any]
    matched_name: str | None = None


@dataclass(frozen=True)
class Match:
    entity: Entity
    comparison: Comparison

    @property
    def score(self) -> float:
        return self.comparison.score

    @property
    def verdict(self) -> Verdict:
        return self.comparison.verdict
