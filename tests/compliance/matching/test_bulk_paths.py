"""The engine's bulk and cached paths give exactly what their one-at-a-time definitions give.

KeyedVocabulary.similar batches translit.token_similarity, QueryName keeps name scores
per query, evidence_factor takes floats and arrays, NameIndex gathers postings in one
indexing, the engine reuses a query's candidates and best name pairs for its names with
other facts: each is compared here, to the last bit, with the plain computation. The
vocabulary and the index are tried in both their implementations, Python and compiled.
"""
import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from compliance.matching import speedups
from compliance.matching.engine import query_forms
from compliance.matching.index import NameIndex
from compliance.matching.scoring import QueryName, credit, evidence_factor, name_score
from compliance.matching.translit import (KeyedVocabulary, _bulk_profiles, _key, _profile, _python_profile, _second_key,
                                          key_readings, name_key, name_keys, profiles, second_keys, token_similarity)
from compliance.matching.weights import TokenWeights
from compliance.models import Query

# Spellings that share or nearly share keys, second readings (q, th, dh, w, j, ch, zh, g),
# vowel-less tokens (Arabic script) and short ones.
VOCABULARY = """
mohammed muhammad mohamad mhmd muhamed mahmoud mahmud hamid hamed ahmed ahmad
khamenei khamnei khamenko khomeini hosseini husseini hussein hasan hassan hsn
qasim ghasem kasim qassem othman osman uthman dawood daud dawud wahid vahid
jelica yelica christo hristo ivanovich ivanovic ihor igor azhar ali aly al el
zhang jang chang abdulrahman abdul rahman rahman abd bin ibn
""".split()


# native=True uses the compiled retrieval (skipped where it is not built: scripts/build_speedups.py)
IMPLEMENTATIONS = pytest.mark.parametrize("native", [
    pytest.param(False, id="python"),
    pytest.param(True, id="compiled", marks=pytest.mark.skipif(
        speedups.native is None, reason=f"the compiled speedups are not built: {speedups.reason}"))])


@IMPLEMENTATIONS
@pytest.mark.parametrize("token", VOCABULARY + ["mohamed", "hmd", "khamenei1", "qaasim", "x", "k" * 70, "mühammad"])
def test_vocabulary_similar_is_token_similarity(token, native):
    """Also for query tokens the compiled path hands back to Python (over 64 letters, not ASCII)."""
    vocabulary = KeyedVocabulary(VOCABULARY, native=native)
    assert (vocabulary._native is not None) == native
    keys = list(vocabulary.by_key)
    found = vocabulary.similar(token, keys, 0.0)
    expected = {t: token_similarity(token, t) for k in keys for t in vocabulary.by_key[k]}
    assert list(found) == list(expected)  # same tokens, same order
    assert all(found[t] == expected[t] for t in expected)  # bit for bit
    floor = 0.7
    assert vocabulary.similar(token, keys, floor) == {t: s for t, s in expected.items() if s >= floor}


def test_bulk_keys_are_the_keys_one_token_at_a_time(default_engine):
    """name_keys, second_keys and the bulk profiles (the index's build without the compiled key
    rules) give what _key, _second_key and _profile's Python path give, for every list token
    and joined pair of the bundled lists and the test vocabulary; so does profiles (compiled
    where built); the vocabulary keeps each token's _profile."""
    tokens = [*default_engine.index.spans, *VOCABULARY, "", "a", "yy", "hah", "tih", "ctic", "müller"]
    keys = name_keys(tokens)
    assert keys == [_key(t) for t in tokens]
    assert second_keys(tokens, keys) == [_second_key(t, k) for t, k in zip(tokens, keys)]
    expected = [_python_profile(t) for t in tokens]
    assert _bulk_profiles(tokens) == expected
    assert profiles(tokens) == expected
    assert [_profile(t) for t in tokens[::5]] == expected[::5]
    assert [name_key(t) for t in tokens[::5]] == keys[::5]
    assert name_keys([]) == second_keys([], []) == profiles([]) == _bulk_profiles([]) == []
    kept = default_engine.index.vocabulary._profiles
    assert kept.keys() == default_engine.index.spans.keys()
    assert all(kept[t] == _python_profile(t) for t in tokens[::7] if t in kept)


@IMPLEMENTATIONS
def test_vocabulary_groups_by_key(native):
    vocabulary = KeyedVocabulary(VOCABULARY, native=native)
    assert all(name_key(t) == key for key, tokens in vocabulary.by_key.items() for t in tokens)
    assert vocabulary.similar("mohammed", ["nosuchkey"], 0.0) == {}


@IMPLEMENTATIONS
@pytest.mark.parametrize("token", ["ghasem", "qasem", "othman", "hamshou", "zhang", "mohammed"])
def test_vocabulary_similar_by_second_reading_is_token_similarity(token, native):
    """Tokens found by their second reading's key get token_similarity too, each once."""
    vocabulary = KeyedVocabulary(VOCABULARY + ["hamcho", "ghani"], native=native)
    seconds = list(vocabulary.by_second)
    assert all(key_readings(t)[1] == k for k, tokens in vocabulary.by_second.items() for t in tokens)
    keys = list(vocabulary.by_key)[:5]
    found = vocabulary.similar(token, keys, 0.0, seconds)
    expected = {t: token_similarity(token, t) for k in keys for t in vocabulary.by_key[k]}
    expected |= {t: token_similarity(token, t) for k in seconds for t in vocabulary.by_second[k]}
    assert found.keys() == expected.keys()
    assert all(found[t] == expected[t] for t in expected)


@IMPLEMENTATIONS
def test_index_reaches_second_readings_and_short_key_substitutions(native):
    """The retrieval misses bench/recall.py found: a query's second reading meets a list key
    (qaani: kn, read as ghaani: jn = ghani), a list token's second reading meets the query's key
    (ghasem: jsm = qasem read as ghasem), and 3-letter keys one substitution apart (zahir: zhr,
    zahid: zhd)."""
    names = [tuple(n.split()) for n in ("ghani one", "qasem two", "zahid three", "amin four", "hamcho five")]
    index = NameIndex(enumerate(names), TokenWeights.from_names(names), native)
    for query, listed in (("qaani", "ghani"), ("ghasem", "qasem"), ("zahir", "zahid"), ("amir", "amin"),
                          ("hamshou", "hamcho")):
        assert index.similar(query, False)[listed] == token_similarity(query, listed)
    assert "zahid" not in index.similar("zara", False)  # keys zr and zhd: two letters apart


@pytest.fixture(scope="module")
def weights() -> TokenWeights:
    names = [("ali", f"x{i}") for i in range(30)] + [("khamenei", "ali", "husseini"), ("abdul", "rahman")]
    return TokenWeights.from_names(names)


PAIRS = [
    (("ali", "khamenei"), ("khamenei", "ali", "husseini")),
    (("a", "khamenei"), ("khamenei", "ali")),                     # an initial
    (("abdulrahman", "qasim"), ("abdul", "rahman", "qasim")),     # a compound on the query side
    (("abdul", "rahman"), ("abdulrahman",)),                      # and on the candidate side
    (("innocnet", "77th"), ("innocent", "77th")),                 # a swap; numbers meet only equals
    (("ji", "ho", "kim"), ("ju", "ho", "kim")),                   # short tokens
    (("mhmd", "hsn"), ("mohammad", "hassan")),                    # vowel-less
    (("ali", "ali"), ("ali",)),
]


@pytest.mark.parametrize("query, candidate", PAIRS)
def test_query_name_scores_as_name_score(weights, query, candidate):
    expected = name_score(query, candidate, weights)
    scorer = QueryName(query, weights)
    for _ in range(2):  # the second time from what the first kept
        assert scorer.score(candidate) == expected
        assert scorer.rate(candidate) == expected.score
        assert scorer.rate(candidate, candidate_weights=[weights.weight(t) for t in candidate]) == expected.score


def test_one_query_name_against_many_candidates(weights):
    scorer = QueryName(("ali", "khamenei", "husseini"), weights)
    for candidate in itertools.chain.from_iterable(PAIRS):
        assert scorer.rate(candidate) == name_score(("ali", "khamenei", "husseini"), candidate, weights).score


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 1.19, 1.2, 1.5, 3.0])
def test_evidence_factor_floats_and_arrays_agree(weight):
    assert evidence_factor(weight) == evidence_factor(np.array([weight]))[0]


def _reached_one_slice_at_a_time(index: NameIndex, similar: dict[str, float]):
    """NameIndex._reached as first written: one slice per similar token, lexsort to dedupe."""
    spans = [(index.spans[c], credit(s)) for c, s in similar.items() if c in index.spans]
    spans = [(span, gain) for span, gain in spans if gain > 0.0]
    if not spans:
        return None
    ids = np.concatenate([index.ids[a:b] for (a, b), _ in spans])
    gained = np.concatenate([index.shares[a:b] * gain for (a, b), gain in spans])
    if len(spans) > 1:
        order = np.lexsort((-gained, ids))
        ids, gained = ids[order], gained[order]
        first = np.ones(len(ids), dtype=bool)
        first[1:] = ids[1:] != ids[:-1]
        ids, gained = ids[first], gained[first]
    return ids, gained


@IMPLEMENTATIONS
def test_index_reach_gathers_as_slices(native):
    names = [tuple(n.split()) for n in (
        "mohammed ali", "muhammad ali khan", "mohamad hassan", "ali hassan", "abdul rahman qasim",
        "abdulrahman qasim", "khamenei ali husseini", "hosseini hassan", "mohammed mohamed ali",
        "abd al abdal")]  # abdal twice in one name's postings: a token and a joined pair
    weights = TokenWeights.from_names(names)
    index = NameIndex(enumerate(names), weights, native)
    assert (index._postings is not None) == native
    assert np.array_equal(index.ids[slice(*index.spans["abdal"])], [9, 9])
    for token in ("mohammed", "hassan", "ali", "abdulrahman", "hosseini", "husseini", "mhmd", "zzz", "abdal"):
        for abjad in (False, True):
            got = index._reached(token, abjad)
            expected = _reached_one_slice_at_a_time(index, index.similar(token, abjad))
            assert (got is None) == (expected is None)
            if got is not None:
                assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1])
    ids, query_share, name_share = index.candidates(("mohammed", "ali"), weights)
    assert list(ids) == sorted(set(ids)) and len(ids) == len(query_share) == len(name_share)


# Query names that reach many entities (common Arabic names), some that alert, an
# organization, one in Arabic script.
REUSED_NAMES = [("Muhammad AL IBRAHIM",), ("Hamid AL ALI",), ("Ali Khamenei",), ("Mohammed Ahmed Hassan",),
                ("Mojtaba Khamenei",), ("Bank Melli Iran",), ("علی خامنه‌ای",)]
# Facts from the most potential bonus (full date and country: the lowest floor) to none and
# back: each floor below, above and equal to the one the query's names were kept at.
FACTS = [{"birth_date": "1939-04-19", "countries": ("IR",)}, {"birth_date": "1939"}, {"countries": ("SY",)}, {},
         {"birth_date": "1969-01-01", "countries": ("IR",)}, {"birth_date": "1939-04"}, {}]


def _results(matches):
    return [(m.entity.id, m.score, m.verdict, m.comparison.matched_name, m.comparison.explanation) for m in matches]


def test_screen_reusing_name_work_is_a_fresh_screen(default_engine):
    """Screens of the same names with other facts and limits reuse the kept candidates and
    best name pairs (Engine._name_work); `within` every entity is never kept: computed fresh."""
    every = [e.id for e in default_engine.entities]
    for names in REUSED_NAMES:
        for i, facts in enumerate(FACTS * 3):  # limit 1 at the lowest floor first: few are kept scored
            query, limit = Query(names=names, **facts), (1, 50, 10)[i % 3]
            assert _results(default_engine.screen(query, limit)) == \
                _results(default_engine.screen(query, limit, within=every)), (query, limit)
        handle = Query(names=names, handle="@" + names[0].split()[-1].lower(), birth_date="1939")
        assert _results(default_engine.screen(handle)) == _results(default_engine.screen(handle, within=every))


@pytest.mark.parametrize("names", REUSED_NAMES)
def test_names_reached_at_a_higher_floor_are_those_reached_lower_filtered(default_engine, names):
    engine = default_engine
    forms = query_forms(Query(names=names))
    review = engine.policy.review
    for low, high in ((review - 0.11, review), (review - 0.11, review - 0.03), (review - 0.04, review - 0.03)):
        reached = engine._reached(forms, None, high)
        assert engine._ranked(engine._reached(forms, None, low), high) == engine._ranked(reached) == \
            engine._ranked(reached, high)


def test_threads_sharing_name_work_screen_as_fresh(default_engine):
    """Kept name work is shared by threads (gthread workers): never changed, only replaced."""
    every = [e.id for e in default_engine.entities]
    calls = [(Query(names=names, **facts), limit) for names in REUSED_NAMES[:4] for facts in FACTS for limit in (1, 50)]
    expected = [_results(default_engine.screen(query, limit, within=every)) for query, limit in calls]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda call: _results(default_engine.screen(*call)), calls * 3))
    assert got == expected * 3
