"""The compiled retrieval (compliance/matching/_speedups.c) gives what the Python path gives,
to the last bit, over the bundled lists: the similar list tokens of a query token (the same
tokens, in the same order, with the same similarities) and the names they reach.

Skipped where the module is not built; `make test` and `make run` build it
(scripts/build_speedups.py), so CI runs these.
"""
import random

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from compliance.matching import speedups
from compliance.matching.engine import query_forms
from compliance.matching.index import NameIndex, joined_pairs
from compliance.matching.scoring import TOKEN_FLOOR, TOKEN_FULL, credit
from compliance.models import Query

pytestmark = pytest.mark.skipif(speedups.native is None,
                                reason=f"the compiled retrieval is not built: {speedups.reason}")


def _random_word(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("aeiouhkmnrst0123456789bdfgjlpqvwxyz") for _ in range(length))


def test_levenshtein_similarity_is_rapidfuzz():
    rng = random.Random(7)
    pairs = [("", ""), ("", "a"), ("a", ""), ("khamenei", "khamenei"), ("a" * 64, "a" * 64), ("a" * 64, "b" * 90),
             ("ab" * 32, "ba" * 40), ("x" * 64, "")]
    for _ in range(20_000):
        a = _random_word(rng, rng.randint(0, 64))
        b = _random_word(rng, rng.randint(0, 80)) if rng.random() < 0.5 else \
            "".join(c for c in a if rng.random() < 0.8) + _random_word(rng, rng.randint(0, 3))
        pairs.append((a, b))
    for a, b in pairs:
        assert speedups.native.levenshtein_similarity(a, b) == Levenshtein.normalized_similarity(a, b), (a, b)
    # the pattern fits one 64-bit word: longer ones, and other than ASCII, are left to Python
    assert speedups.native.levenshtein_similarity("a" * 65, "a") is NotImplemented
    assert speedups.native.levenshtein_similarity("müller", "muller") is NotImplemented


@pytest.fixture(scope="module")
def indexes(default_engine):
    """The engine's index (compiled) and one built over the same names in Python."""
    engine = default_engine
    python = NameIndex(((n, item.form.tokens) for n, item in enumerate(engine.names)), engine.weights, native=False)
    assert engine.index._postings is not None and engine.index.vocabulary._native is not None
    assert python._postings is None and python.vocabulary._native is None
    return engine.index, python


def _query_tokens(default_engine) -> list[str]:
    """Every 23rd list token, perturbed list tokens, and the tokens and joined pairs of query
    names in several scripts and of handles."""
    rng = random.Random(11)
    listed = list(default_engine.index.spans)[::23]
    perturbed = []
    for token in listed[::3]:
        i = rng.randrange(len(token))
        perturbed += [token[:i] + token[i + 1:], token[:i] + rng.choice("aeiouzk") + token[i:]]
    names = ["علی خامنه‌ای", "سید علی حسینی خامنه‌ای", "Али Хаменеи", "Йовица Станишич", "محمد حسن",
             "김정은", "习近平", "Muhammad al-Ibrahim", "Bank Melli Iran", "Abdulrahman Qasim"]
    queries = [form for name in names for form in query_forms(Query(names=(name,)))]
    queries += query_forms(Query(names=("x",), handle="@khamenei_ir"))
    from_queries = [t for form in queries for t in (*form.tokens, *joined_pairs(form.tokens))]
    return [*listed, *perturbed, *from_queries, "k" * 70, "a", ""]


def test_similar_and_reached_are_the_python_paths(default_engine, indexes):
    compiled, python = indexes
    tokens = _query_tokens(default_engine)
    assert len(tokens) > 4000
    reached = 0
    for token in tokens:
        for abjad in (False, True):
            got, expected = compiled._similar(token, abjad), python._similar(token, abjad)
            assert list(got.items()) == list(expected.items()), token  # same tokens, order and bits
            got, expected = compiled._reached(token, abjad), python._reached(token, abjad)
            assert (got is None) == (expected is None), token
            if got is not None:
                reached += 1
                assert got[0].dtype == expected[0].dtype and got[1].dtype == expected[1].dtype
                assert np.array_equal(got[0], expected[0]) and np.array_equal(got[1], expected[1]), token
    assert reached > 4000


def test_candidates_are_the_python_paths(default_engine, indexes):
    compiled, python = indexes
    for name in ("Ali Khamenei", "Mohammed Ahmed Hassan", "علی خامنه‌ای", "Bank Melli Iran", "Kim Jong Un"):
        for form in query_forms(Query(names=(name,))):
            for abjad in (False, True):
                got = compiled.candidates(form.tokens, default_engine.weights, abjad)
                expected = python.candidates(form.tokens, default_engine.weights, abjad)
                assert all(np.array_equal(a, b) for a, b in zip(got, expected)), name


def test_postings_reach():
    """One token's postings as they are (a name twice stays twice); several: each name once,
    with its best share times credit, ids ascending; nothing credited: None."""
    ids = np.array([3, 3, 1, 2, 3, 0], dtype=np.int32)
    shares = np.array([0.5, 0.25, 1.0, 0.5, 0.75, 0.125])
    postings = speedups.native.Postings(ids, shares, 4, TOKEN_FLOOR, TOKEN_FULL)
    spans = {"a": (0, 2), "b": (2, 5), "c": (5, 6)}

    def reach(similar):
        found = postings.reach(similar, spans)
        return None if found is None else (np.frombuffer(found[0], np.int32).tolist(),
                                           np.frombuffer(found[1], np.float64).tolist())

    assert reach({"a": 0.8}) == ([3, 3], [0.5 * credit(0.8), 0.25 * credit(0.8)])
    assert reach({"a": 0.95, "b": 0.8, "nowhere": 1.0}) == \
        ([1, 2, 3], [1.0 * credit(0.8), 0.5 * credit(0.8), max(0.5, 0.75 * credit(0.8))])
    assert reach({"a": TOKEN_FLOOR - 0.01, "nowhere": 1.0}) is None
    assert reach({}) is None
    assert reach({"c": 1.0, "a": 1.0}) == ([0, 3], [0.125, 0.5])  # scratch state reset between calls
    with pytest.raises(IndexError):
        postings.reach({"a": 1.0}, {"a": (0, 7)})
    with pytest.raises(ValueError):
        speedups.native.Postings(ids, shares, 3, TOKEN_FLOOR, TOKEN_FULL)  # a name id out of range
    with pytest.raises(ValueError):
        speedups.native.Postings(ids.astype(np.int64), shares, 4, TOKEN_FLOOR, TOKEN_FULL)


def test_vocabulary_refuses_what_it_cannot_hold():
    """List strings that are not ASCII are refused (KeyedVocabulary then keeps to Python)."""
    with pytest.raises(ValueError):
        speedups.native.Vocabulary(["müller"], ["malar"], ["mlr"], ["mlr"], [True], {}, {}, {}, 0.9)
    with pytest.raises(ValueError):
        speedups.native.Vocabulary(["a", "b"], ["a"], ["a"], ["a"], [True], {}, {}, {}, 0.9)
    vocabulary = speedups.native.Vocabulary(["ali"], ["ala"], ["al"], ["al"], [True],
                                            {"al": np.array([0], np.int32).tobytes()}, {}, {}, 0.9)
    assert vocabulary.similar("ali", "al", "al", "ala", True, 0.0, ["al"], (), ()) == {"ali": 1.0}
    with pytest.raises(IndexError):
        speedups.native.Vocabulary(["ali"], ["ala"], ["al"], ["al"], [True],
                                   {"al": np.array([5], np.int32).tobytes()}, {}, {}, 0.9
                                   ).similar("ali", "al", "al", "ala", True, 0.0, ["al"], (), ())


def test_objects_not_initialized_refuse_work():
    vocabulary = speedups.native.Vocabulary.__new__(speedups.native.Vocabulary)
    with pytest.raises(ValueError):
        vocabulary.similar("ali", "al", "al", "ala", True, 0.0, ["al"], (), ())
    postings = speedups.native.Postings.__new__(speedups.native.Postings)
    with pytest.raises(ValueError):
        postings.reach({"a": 1.0}, {"a": (0, 0)})


def test_postings_gather_sums_as_bincount():
    """gather: each name reached once, ascending, with the shares and gains summed in the
    order given; a bad entry is refused and leaves nothing behind for the next call."""
    ids = np.array([0, 1, 2, 3], dtype=np.int32)
    postings = speedups.native.Postings(ids, np.ones(4), 4, TOKEN_FLOOR, TOKEN_FULL)
    walked = [(np.array([3, 1], np.int32), np.array([0.1, 0.2]), 0.3),
              (np.array([1, 0], np.int32), np.array([0.7, 0.4]), 0.6)]
    got = [np.frombuffer(b, t).tolist() for b, t in zip(postings.gather(walked), (np.int32, np.float64, np.float64))]
    assert got == [[0, 1, 3], [0.6, 0.3 + 0.6, 0.3], [0.4, 0.2 + 0.7, 0.1]]
    with pytest.raises(ValueError):
        postings.gather([walked[0], (np.array([9], np.int32), np.array([1.0]), 1.0)])
    with pytest.raises(ValueError):
        postings.gather([(np.array([1], np.int64), np.array([1.0]), 1.0)])
    with pytest.raises(TypeError):
        postings.gather([[np.array([1], np.int32), np.array([1.0]), 1.0]])
    assert [np.frombuffer(b, t).tolist() for b, t in zip(postings.gather(walked[1:]), (np.int32, np.float64,
                                                                                         np.float64))] == \
        [[0, 1], [0.6, 0.6], [0.4, 0.7]]
    assert [len(b) for b in postings.gather([])] == [0, 0, 0]
