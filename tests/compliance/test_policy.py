import pytest

from compliance.models import Verdict
from compliance.policy import Policy, decide, overall

POLICY = Policy(match=0.9, review=0.7)


@pytest.mark.parametrize(
    "score, decisive, verdict",
    [(0.95, False, Verdict.MATCH), (0.9, False, Verdict.MATCH), (0.89, False, Verdict.REVIEW),
     (0.7, False, Verdict.REVIEW), (0.69, False, Verdict.CLEAR), (0.0, False, Verdict.CLEAR),
     (0.1, True, Verdict.MATCH)],
)
def test_decide(score, decisive, verdict):
    assert decide(score, POLICY, decisive) is verdict


def test_overall_is_the_strongest():
    assert overall([]) is Verdict.CLEAR
    assert overall([Verdict.CLEAR, Verdict.REVIEW]) is Verdict.REVIEW
    assert overall([Verdict.REVIEW, Verdict.MATCH, Verdict.CLEAR]) is Verdict.MATCH


@pytest.mark.parametrize("match, review", [(0.7, 0.9), (1.1, 0.5), (0.9, 0.0)])
def test_inconsistent_thresholds_are_refused(match, review):
    with pytest.raises(ValueError):
        Policy(match=match, review=review)
