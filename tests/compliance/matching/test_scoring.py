from collections import Counter

import pytest

from compliance.matching.scoring import TOKEN_FLOOR, TOKEN_FULL, credit, name_score
from compliance.matching.weights import COMMON_CAP, PARTICLE_WEIGHT, TokenWeights


@pytest.fixture(scope="module")
def weights() -> TokenWeights:
    # A small corpus: "ali" is in most names, "khamenei" in one.
    names = [("ali", f"x{i}") for i in range(50)] + [("khamenei", "ali", "husseini"), ("husseini", "y")]
    return TokenWeights.from_names(names)


def test_rare_tokens_weigh_more(weights):
    assert weights.weight("khamenei") > weights.weight("husseini") > weights.weight("ali")
    assert weights.weight("al") == PARTICLE_WEIGHT
    assert weights.weight("neverseen") == 1.0
    assert TokenWeights(Counter(), Counter(), 10).weight("smith") == COMMON_CAP  # common in the world


def test_credit_curve():
    assert credit(TOKEN_FLOOR - 0.01) == 0.0
    assert credit(TOKEN_FULL) == 1.0 == credit(0.99)
    assert 0.0 < credit((TOKEN_FLOOR + TOKEN_FULL) / 2) < 1.0


def test_order_does_not_matter(weights):
    a = name_score(("ali", "khamenei"), ("khamenei", "ali", "husseini"), weights)
    b = name_score(("khamenei", "ali"), ("khamenei", "ali", "husseini"), weights)
    assert a.score == b.score and a.query_coverage == 1.0
    assert a.unmatched_candidate == ("husseini",)


def test_missing_middle_name_costs_less_than_missing_surname(weights):
    full = ("khamenei", "ali", "husseini")
    no_middle = name_score(("ali", "khamenei"), full, weights).score
    no_surname = name_score(("ali", "husseini"), full, weights).score
    assert no_middle > no_surname


def test_common_token_alone_is_thin_evidence(weights):
    assert name_score(("ali", "khan"), ("khamenei", "ali", "husseini"), weights).score < 0.5


def test_compounds_meet_their_split_form(weights):
    joined = name_score(("abdulrahman", "qasim"), ("abdul", "rahman", "qasim"), weights)
    assert joined.query_coverage == 1.0 and joined.candidate_coverage == 1.0
    assert any(p.candidate == "abdul rahman" for p in joined.pairs)


def test_empty_sides():
    assert name_score((), ("a",), TokenWeights(Counter(), Counter(), 1)).score == 0.0


def test_initials_earn_partial_credit(weights):
    full = name_score(("ali", "khamenei"), ("khamenei", "ali"), weights)
    initial = name_score(("a", "khamenei"), ("khamenei", "ali"), weights)
    wrong = name_score(("m", "khamenei"), ("khamenei", "ali"), weights)
    assert full.score > initial.score > wrong.score
    assert any(p.query == "a" and p.candidate == "ali" for p in initial.pairs)


def test_an_adjacent_swap_in_a_four_letter_token_is_one_edit(weights):
    """BAID HAMID MAHMUD AL-TIKRITI is the UN's ABID HAMID MAHMUD AL-TIKRITI, one swap apart
    (yente's treated UN names); from 4 letters a swap aligns at its OSA similarity, 0.75."""
    swapped = name_score(("baid", "hamid", "mahmud", "al", "tikriti"), ("abid", "hamid", "mahmud", "al", "tikriti"),
                         weights)
    assert [p.similarity for p in swapped.pairs if p.query == "baid"] == [0.75]
    three = name_score(("kim", "sko", "chol"), ("kim", "sok", "chol"), weights)  # 3 letters: two edits of three
    assert "sko" in three.unmatched_query
