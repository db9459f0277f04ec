import pytest

from compliance.matching.features import (
    country_conflict,
    country_match,
    dob_conflict,
    dob_exact,
    dob_same_year,
    entity_facts,
    parse_date,
    query_facts,
)
from compliance.models import Query
from watchlists.model import BirthDate, Entity, EntityType, Name


@pytest.mark.parametrize(
    "text, expected",
    [("1939-04-19", (1939, 4, 19)), ("1939", (1939, None, None)), ("1969-7-16", (1969, 7, 16)),
     ("1968-13-30", (1968, None, None)), ("circa", None), (None, None), ("1939-04", (1939, 4, None))],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def listed(*dates: BirthDate, countries=("Iran",)) -> Entity:
    return Entity("t:1", "t", "1", EntityType.PERSON, (Name("X"),), birth_dates=dates, nationalities=countries)


EXACT = BirthDate("19 Apr 1939", "1939-04-19")
RANGE = BirthDate("1955 to 1958", "1955", "1958")
CIRCA = BirthDate("circa 1960", "1960", circa=True)


@pytest.mark.parametrize(
    "dob, entity, exact, same_year, conflict",
    [
        ("1939-04-19", listed(EXACT), 1, 0, 0),
        ("1939", listed(EXACT), 0, 1, 0),
        ("1939-05-01", listed(EXACT), 0, 0, 0),  # same year, other day: neither support nor conflict
        ("1940", listed(EXACT), 0, 0, 0),  # within a year
        ("1990-01-01", listed(EXACT), 0, 0, 1),
        ("1957", listed(RANGE), 0, 1, 0),
        ("1962", listed(CIRCA), 0, 0, 0),  # circa widens the tolerance
        ("1966", listed(CIRCA), 0, 0, 1),
        ("1941", listed(EXACT), 0, 0, 0.5),
    ],
)
def test_date_of_birth_features(dob, entity, exact, same_year, conflict):
    q, c = query_facts(Query(names=("x",), birth_date=dob)), entity_facts(entity)
    assert dob_exact(q, c)[0] == exact
    assert dob_same_year(q, c)[0] == same_year
    assert dob_conflict(q, c)[0] == conflict


def test_countries():
    c = entity_facts(listed(countries=("Iran (Islamic Republic of)",)))
    assert country_match(query_facts(Query(names=("x",), countries=("IR",))), c)[0] == 1.0
    assert country_conflict(query_facts(Query(names=("x",), countries=("Norway",))), c)[0] == 1.0
    assert country_conflict(query_facts(Query(names=("x",))), c)[0] == 0.0


BONUS_QUERIES = [Query(names=("x",), birth_date=d, countries=c)
                 for d in (None, "1939", "1939-04", "1939-04-19", "1956", "1960-02-02")
                 for c in ((), ("IR",), ("Iraq",))]
BONUS_ENTITIES = [listed(*dates, countries=countries)
                  for dates in ((), (EXACT,), (RANGE,), (CIRCA,), (EXACT, RANGE))
                  for countries in ((), ("Iran",), ("Iran", "Iraq"))]


@pytest.mark.parametrize("query", BONUS_QUERIES, ids=lambda q: f"{q.birth_date}-{'+'.join(q.countries)}")
def test_potential_bonus_bounds_what_any_listing_adds(query):
    """The engine prunes with potential_bonus: no candidate may earn more from the features."""
    from compliance.matching.features import evaluate, potential_bonus

    facts = query_facts(query)
    earned = [sum(f.contribution for f in evaluate(facts, entity_facts(e)) if f.contribution > 0)
              for e in BONUS_ENTITIES]
    assert max(earned) <= potential_bonus(facts) + 1e-12
    if query.birth_date is None and not query.countries:
        assert potential_bonus(facts) == 0.0
