"""Verdict policy: from a score to match / review / clear. Pure, and table-tested.

The thresholds are calibrated by `bench/calibrate.py` on the development sets in
bench/data; the evidence is in the comments beside each constant.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from compliance.models import Verdict

POLICY_VERSION = "2026-11-21.5"
# Both calibrated by `make bench-calibrate` (bench/calibrate.py) on bench/data, 2026-11-21
# (engine 1.3.0): the lowest thresholds that alert on at most 1% (review) / 0.1% (match) of
# the 2,000 synthetic people screened against all default lists, and on at most 5% / 1% of
# the 1,800 hard-negative pairs.
MATCH_THRESHOLD = 0.89
#   false alerts: screened 1/2000 (0.05%), hard pairs 5/1800 (0.28%); recall google_ar2en
#   0.48, ofac_sdn_2021_aliases 0.40 (name variants 0.54), translit_ar 0.41, translit_ru
#   0.38, yente_un_sc_treated 0.94, ssb positives 0.87
REVIEW_THRESHOLD = 0.76
#   false alerts: screened 20/2000 (1.00%), hard pairs 33/1800 (1.83%); recall google_ar2en
#   0.82, ofac_sdn_2021_aliases 0.51 (name variants 0.68), translit_ar 0.79, translit_ru
#   0.74, yente_un_sc_treated 0.99, ssb positives 0.94
#   (0.74, the threshold of engine 1.1.0 and 1.2.0, alerts on 23/2000 screened people with
#   1.3.0: its retrieval now reaches three pairs that scoring every entity alerts on, and that
#   1.2.0 never scored; recall translit_ru 0.768 against 0.744, google_ar2en 0.832 against 0.821.)


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
