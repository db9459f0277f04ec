"""The compiled retrieval and alignment (compliance/matching/_speedups.c) give what the Python
path gives, to the last bit, over the bundled lists: the similar list tokens of a query token
(the same tokens, in the same order, with the same similarities), the names they reach, and
the name scores of the names a query reaches.

Skipped where the module is not built; `make test` and `make run` build it
(scripts/build_speedups.py), so CI runs these.
"""
import math
import random

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from compliance.matching import features, speedups
from compliance.matching.engine import _bounded, _rank_entities, _Scoring, query_forms
from compliance.matching.index import NameIndex, joined_pairs
from compliance.matching.scoring import (
    CANDIDATE_EXPONENT,
    ORGANIZATION_CANDIDATE_EXPONENT,
    TOKEN_FLOOR,
    TOKEN_FULL,
    QueryName,
    _RULES,
    credit,
    evidence_factor,
)
from compliance.matching.translit import KEY_RULES, _key, _python_profile, token_similarity
from compliance.models import Query

pytestmark = pytest.mark.skipif(speedups.native is None,
                                reason=f"the compiled speedups are not built: {speedups.reason}")


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


def test_key_rules_are_the_python_path(default_engine):
    """translit._profile and name_key in C: the same values for every list token and joined pair
    of the bundled lists, random strings, and strings made of the rules' own keys (contexts
    and overlaps); NotImplemented for what is not ASCII."""
    assert KEY_RULES is not None
    rng = random.Random(19)
    pieces = ["sh", "ch", "ti", "tia", "c", "kh", "h", "ah", "dzh", "szcz", "schtsch", "x", "ce", "y", "a", "e",
              "q", "th", "zh", "rz", "gn", "cz", "cs", "ck", "ts", "tsch", "j", "g", "w", "dj", "oo", "1"]
    tokens = [*default_engine.index.spans, "", "h", "ah", "yh", "cti", "tic"]
    tokens += [_random_word(rng, rng.randint(1, 16)) for _ in range(20_000)]
    tokens += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 6))) for _ in range(20_000)]
    for token in tokens:
        assert KEY_RULES.profile(token) == _python_profile(token), token
        assert KEY_RULES.key(token) == _key(token), token
    for token in ("müller", "a\nb"):
        assert KEY_RULES.profile(token) is NotImplemented and KEY_RULES.key(token) is NotImplemented
    # rules that lengthen what they read (an alternative then folded again): room enough
    lengthening = speedups.native.KeyRules({"x": "abcdefg"}, {"q": "xxxxxxx"}, (), ())
    # "qq" reads as 14 x, each folded to "abcdefg": key "a" + "bcdfg" per x (vowels dropped)
    assert lengthening.profile("qq") == ("q", "abcdfg" + "bcdfg" * 13, "q", False)
    assert lengthening.profile("q" * 300)[1] == "abcdfg" + "bcdfg" * 2099
    with pytest.raises(ValueError):
        speedups.native.KeyRules({"kh": "h"}, {"c": "ch"}, ("c",), ("c",))  # two contexts for one key
    with pytest.raises(ValueError):
        speedups.native.KeyRules({"ü": "u"}, {}, (), ())
    with pytest.raises(ValueError):
        speedups.native.KeyRules.__new__(speedups.native.KeyRules).profile("ali")


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


def test_related_keys_are_the_python_paths(default_engine, indexes):
    """The compiled vocabulary's own tables: the keys one letter longer than a string are the
    Python map's, for every one-letter deletion of every 7th list key (and strings no key has), and
    related() finds the groups the Python path finds, in the same order."""
    compiled, python = indexes
    rng = random.Random(5)
    keys = list(python.vocabulary.by_key)
    strings = {d for key in keys[::7] for d in (key[:i] + key[i + 1:] for i in range(len(key)))}
    strings |= {"", "zzzzqx", "müller", *keys[:50]}
    assert len(strings) > 10_000
    longer = 0
    for text in sorted(strings):
        got = compiled.vocabulary.longer(text)
        assert got == python.vocabulary.longer(text), text
        longer += bool(got)
    assert longer > 5_000
    tokens = _query_tokens(default_engine)
    tokens += ["".join(rng.choice("abdehiklmnorstuz") for _ in range(rng.randint(2, 9))) for _ in range(2_000)]
    for token in tokens:
        got, expected = compiled.vocabulary.related(token, 0.0), python.vocabulary.related(token, 0.0)
        assert list(got.items()) == list(expected.items()), token


def test_vocabulary_without_deletions():
    """deletion_key 0: no keys one letter longer, related() keeps to the token's own keys."""
    vocabulary = speedups.native.Vocabulary(
        ["ali", "alia"], ["ala", "ala"], ["al", "al"], ["al", "al"], [True, True],
        {"al": np.array([0, 1], np.int32).tobytes()}, {}, {}, 0.9, 0, 0)
    assert vocabulary.longer("a") == [] and vocabulary.longer("al") == []
    assert vocabulary.related("ali", "al", "al", "ala", True, 0.0) == {"ali": 1.0, "alia": (0.75 + 1.0 + 1.0) / 3}
    with pytest.raises(TypeError):
        speedups.native.Vocabulary(["ali"], ["ala"], ["al"], ["al"], [True], {"al": [0]}, {}, {}, 0.9, 4, 3)
    with pytest.raises(ValueError):
        speedups.native.Vocabulary(["ali"], ["ala"], ["al"], ["al"], [True],
                                   {"äl": np.array([0], np.int32).tobytes()}, {}, {}, 0.9, 4, 3)


def test_candidates_are_the_python_paths(default_engine, indexes):
    compiled, python = indexes
    for name in ("Ali Khamenei", "Mohammed Ahmed Hassan", "علی خامنه‌ای", "Bank Melli Iran", "Kim Jong Un"):
        for form in query_forms(Query(names=(name,))):
            for abjad in (False, True):
                got = compiled.candidates(form.tokens, default_engine.weights, abjad)
                expected = python.candidates(form.tokens, default_engine.weights, abjad)
                assert all(np.array_equal(a, b) for a, b in zip(got, expected)), name


def test_bounded_is_the_python_path(default_engine):
    """The compiled bound keeps the names the numpy path keeps, with the same bounds to the
    last bit: over the candidates of query forms in several scripts at several floors, and
    over random coverage bounds with the edges (a whole name, just under it, bounds above 1,
    q_total on both sides of the names' totals)."""
    engine = default_engine
    totals = engine.index.totals
    checked = 0

    def same(ids, bq, bc, q_total, floor):
        got = _bounded(ids, bq, bc, totals, q_total, floor)
        expected = _bounded(ids, bq, bc, totals, q_total, floor, native=False)
        assert all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(got, expected)), (q_total, floor)
        return len(expected[0])

    for name in ("Ali Khamenei", "Mohammed Ahmed Hassan", "علی خامنه‌ای", "Bank Melli Iran", "Kim Jong Un",
                 "Али Хаменеи", "Trading Company LLC", "Abdul Rahman"):
        for form in query_forms(Query(names=(name,))):
            ids, bq, bc = engine.index.candidates(form.tokens, engine.weights, False)
            q_total = sum(engine.weights.weight(t) for t in set(form.tokens))
            for floor in (0.0, 0.5, 0.62, 0.8):
                checked += same(ids, bq, bc, q_total, floor)
    rng = np.random.default_rng(3)
    ids = rng.integers(0, len(totals), 20_000).astype(np.int32)
    bq, bc = rng.random(20_000) * 1.3, rng.random(20_000) * 1.3
    bq[::7], bc[::11] = 1.0, 1.0 - 1e-9
    for q_total in (0.2, float(np.median(totals)), 3.0):
        checked += same(ids, bq, bc, q_total, 0.5)
    assert checked > 20_000
    with pytest.raises(ValueError):
        speedups.native.bound(np.array([len(totals)], np.int32), np.ones(1), np.ones(1), totals, 1.0, 0.5,
                              (1e-9, 1e-6, 1.0, 0.1, 0.25, 0.6, 0.4, 1.2))
    with pytest.raises(ValueError):
        speedups.native.bound(np.zeros(2, np.int32), np.ones(1), np.ones(2), totals, 1.0, 0.5,
                              (1e-9, 1e-6, 1.0, 0.1, 0.25, 0.6, 0.4, 1.2))


def test_power_is_the_c_librarys_pow():
    """power() is math.pow (the C library's) value by value, the bound's exponents and others,
    at the edges too (0, 1, above 1); buffers of two lengths are refused."""
    rng = np.random.default_rng(5)
    base = np.concatenate([rng.random(50_000) * 2, [0.0, 1.0, 1.0 - 1e-9, 1.3]])
    for exponent in (0.1, 0.25, 0.5, 1 / 3):
        exponents = np.full(len(base), exponent)
        got = np.frombuffer(speedups.native.power(base, exponents))
        assert got.tolist() == [math.pow(b, exponent) for b in base.tolist()], exponent
    with pytest.raises(ValueError):
        speedups.native.power(np.ones(2), np.ones(3))


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
        speedups.native.Vocabulary(["müller"], ["malar"], ["mlr"], ["mlr"], [True], {}, {}, {}, 0.9, 4, 3)
    with pytest.raises(ValueError):
        speedups.native.Vocabulary(["a", "b"], ["a"], ["a"], ["a"], [True], {}, {}, {}, 0.9, 4, 3)
    vocabulary = speedups.native.Vocabulary(["ali"], ["ala"], ["al"], ["al"], [True],
                                            {"al": np.array([0], np.int32).tobytes()}, {}, {}, 0.9, 4, 3)
    assert vocabulary.similar("ali", "al", "al", "ala", True, 0.0, ["al"], (), ()) == {"ali": 1.0}
    with pytest.raises(IndexError):  # a position out of range
        speedups.native.Vocabulary(["ali"], ["ala"], ["al"], ["al"], [True],
                                   {"al": np.array([5], np.int32).tobytes()}, {}, {}, 0.9, 4, 3)


def test_objects_not_initialized_refuse_work():
    vocabulary = speedups.native.Vocabulary.__new__(speedups.native.Vocabulary)
    with pytest.raises(ValueError):
        vocabulary.similar("ali", "al", "al", "ala", True, 0.0, ["al"], (), ())
    with pytest.raises(ValueError):
        vocabulary.related("ali", "al", "al", "ala", True, 0.0)
    with pytest.raises(ValueError):
        vocabulary.longer("al")
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


# -- the aligner (scoring.QueryName.rate) ------------------------------------------------------

def _perturbed(tokens: tuple[str, ...], rng: random.Random) -> tuple[str, ...]:
    """A listed name as a query might give it: a typo or a swap in a token, a token dropped,
    the order changed, two tokens joined or one split, an initial, a number added."""
    tokens = list(tokens)
    k = rng.randrange(len(tokens))
    t = tokens[k]
    change = rng.randrange(8)
    if change == 0 and len(t) > 3:
        i = rng.randrange(len(t) - 1)
        tokens[k] = t[:i] + t[i + 1] + t[i] + t[i + 2:]
    elif change == 1:
        i = rng.randrange(len(t))
        tokens[k] = t[:i] + rng.choice("aeiouhk") + t[i + 1:]
    elif change == 2 and len(tokens) > 1:
        del tokens[k]
    elif change == 3:
        rng.shuffle(tokens)
    elif change == 4 and k + 1 < len(tokens):
        tokens[k:k + 2] = [tokens[k] + tokens[k + 1]]
    elif change == 5 and len(t) > 5:
        tokens[k:k + 1] = [t[:3], t[3:]]
    elif change == 6:
        tokens[k] = t[0]
    elif change == 7:
        tokens.append(str(rng.randrange(100)))
    return tuple(tokens)


def _rates_agree(default_engine, form, extra: list[int]) -> int:
    """Rates of the names `form` reaches (and of `extra` names) through both aligners: equal to
    the bit, at both candidate exponents, also when kept. The number of names rated."""
    table = default_engine._similarity_table(form)
    compiled = QueryName.looking_up(form.tokens, default_engine.weights, table, native=True)
    python = QueryName.looking_up(form.tokens, default_engine.weights, table, native=False)
    assert compiled.aligner is not None and python.aligner is None
    ids, _, _ = default_engine.index.candidates(form.tokens, default_engine.weights, False)
    rated = 0
    for n in [*ids[:150].tolist(), *extra]:
        item = default_engine.names[n]
        for exponent in (CANDIDATE_EXPONENT, ORGANIZATION_CANDIDATE_EXPONENT):
            expected = python.rate(item.form.tokens, exponent, item.weights)
            assert compiled.rate(item.form.tokens, exponent, item.weights) == expected, (form.tokens, n)
            assert compiled.rate(item.form.tokens, exponent, item.weights) == expected  # kept
            rated += 1
    return rated


def test_aligner_rates_are_the_python_paths(default_engine):
    """Query names made from list names (perturbed), in other scripts and from handles, against
    the names they reach and some they do not."""
    rng = random.Random(13)
    names = default_engine.names
    texts = [" ".join(_perturbed(names[n].form.tokens, rng)) for n in rng.sample(range(len(names)), 250)]
    texts += ["علی خامنه‌ای", "سید علی حسینی خامنه‌ای", "Али Хаменеи", "Йовица Станишич", "김정은", "习近平",
              "Abdul Rahman Qasim", "A. Khamenei", "77th Brigade", "Ji Ho", "Bank Melli Iran"]
    forms = [form for text in texts for form in query_forms(Query(names=(text,)))]
    forms += query_forms(Query(names=("x",), handle="@khamenei_ir"))
    rated = sum(_rates_agree(default_engine, form, rng.sample(range(len(names)), 5)) for form in forms)
    assert rated > 30_000


def test_best_pair_is_the_python_path(default_engine):
    """The compiled best name pair of each candidate entity (several query names, one a handle;
    weak aliases among the names) is the Python one."""
    engine = default_engine
    rng = random.Random(17)
    texts = [" ".join(_perturbed(engine.names[n].form.tokens, rng)) for n in rng.sample(range(len(engine.names)), 60)]
    compared = weak = handles = 0
    for i, text in enumerate(texts):
        query = Query(names=(text, texts[i - 1]), handle="@" + text.replace(" ", "_")[:20])
        forms = query_forms(query)
        compiled = _Scoring(engine, forms)
        python = [QueryName.looking_up(f.tokens, engine.weights, engine._similarity_table(f), native=False)
                  for f in forms]
        assert all(s.aligner is not None for s in compiled.scorers())
        handles += forms[-1].handle
        for entity, name_ids, _ in engine._candidates(forms, None, features.query_facts(query), 0.0)[:40]:
            adjusted, form_at, name_at = engine._best_name(forms, [engine.names[n] for n in name_ids],
                                                           engine.entities[entity], python)
            expected = (adjusted, form_at, name_ids[name_at] if name_at >= 0 else -1)
            assert compiled.best(entity, name_ids) == expected, (text, entity)
            compared += 1
            weak += any(engine.names[n].name.weak for n in name_ids)
    assert compared > 1000 and weak > 20 and handles > 50


def test_best_pair_refuses_bad_input(default_engine):
    engine = default_engine
    aligner = speedups.native.Aligner(("ali",), [0.5], {"ali": {"ali": 1.0}}, _RULES)
    lists = (engine._name_tokens, engine._name_weights, engine._name_factors)
    assert speedups.native.best_pair([aligner], [1.0], [], *lists, CANDIDATE_EXPONENT) == (0.0, -1, -1)
    with pytest.raises(IndexError):
        speedups.native.best_pair([aligner], [1.0], [len(engine.names)], *lists, CANDIDATE_EXPONENT)
    with pytest.raises(ValueError):
        speedups.native.best_pair([aligner], [1.0, 1.0], [0], *lists, CANDIDATE_EXPONENT)
    with pytest.raises(ValueError):
        speedups.native.best_pair([aligner], [1.0], [0], lists[0], lists[1][:-1], lists[2], CANDIDATE_EXPONENT)
    with pytest.raises(TypeError):
        speedups.native.best_pair(["ali"], [1.0], [0], *lists, CANDIDATE_EXPONENT)


def test_rank_is_the_python_path(default_engine):
    """The candidate entities of many queries' reached names, ranked in C and in Python (numpy):
    the same entities, names and bounds, in the same order; and ties, duplicates and limits."""
    engine = default_engine
    rng = random.Random(23)
    texts = [" ".join(_perturbed(engine.names[n].form.tokens, rng)) for n in rng.sample(range(len(engine.names)), 200)]
    texts += ["Mohammed Ahmed Hassan", "Ali", "Bank", "Kim Jong Un", "علی خامنه‌ای"]
    ranked = 0
    for text in texts:
        query = Query(names=(text,), handle="@" + text.replace(" ", "_")[:20])
        reached = engine._reached(query_forms(query), None, 0.3)
        ids, uppers = [r[0] for r in reached], [r[1] for r in reached]
        for limit in (1000, 5):
            expected = _rank_entities(engine._name_entity, ids, uppers, limit, native=False)
            assert _rank_entities(engine._name_entity, ids, uppers, limit, native=True) == expected, text
            ranked += len(expected)
    assert ranked > 20_000
    name_entity = np.array([0, 0, 1, 1, 2], np.int32)
    ids = [np.array([1, 0, 2, 4], np.int32), np.array([0, 3, 4], np.int32)]
    uppers = [np.array([0.5, 0.5, 0.9, 0.7]), np.array([0.6, 0.9, 0.7])]
    for limit in (0, 1, 2, 3, 10):
        expected = _rank_entities(name_entity, ids, uppers, limit, native=False)
        assert _rank_entities(name_entity, ids, uppers, limit, native=True) == expected
    assert expected == [(1, [2, 3], 0.9), (2, [4], 0.7), (0, [0, 1], 0.6)]
    assert _rank_entities(name_entity, [], [], 10, native=True) == [] == \
        _rank_entities(name_entity, [np.zeros(0, np.int32)], [np.zeros(0)], 10, native=False)
    with pytest.raises(IndexError):
        speedups.native.rank(name_entity, [np.array([5], np.int32)], [np.array([1.0])], 10)
    with pytest.raises(ValueError):
        speedups.native.rank(name_entity, [np.array([1], np.int32)], [np.array([1.0, 2.0])], 10)
    with pytest.raises(ValueError):
        speedups.native.rank(name_entity.astype(np.int64), [], [], 10)


def _table(query: tuple[str, ...], candidate: tuple[str, ...]) -> dict:
    """token_similarity of every query token and joined pair to every candidate token and
    joined pair (what screening's tables hold, and more)."""
    keys = [*query, *joined_pairs(query)]
    values = [*candidate, *joined_pairs(candidate)]
    return {a: {b: token_similarity(a, b) for b in values} for a in keys}


@pytest.mark.parametrize("query, candidate", [
    (("abdul", "rahman", "qasim"), ("abdulrahman", "qasim")),  # a compound on the query's side
    (("abdulrahman",), ("abdul", "rahman")),  # on the candidate's
    (("a", "khamenei"), ("ali", "husseini", "khamenei")),  # an initial
    (("77th", "brigade"), ("77th", "brigade")), (("77th", "brigade"), ("78th", "brigade")),  # numbers
    (("ji", "ho"), ("ju", "ho", "choe")),  # short tokens
    (("innocnet",), ("innocent",)), (("baid",), ("abid", "ali")),  # a transposition
    (("müller", "straße"), ("muller", "strasse")), (("ali", "ali"), ("ali",)),  # not ASCII; repeated
    (("k" * 70 + "a",), ("k" * 70 + "b", "x")),  # longer than a stack row
    (("x",), ("y",)), (("kim", "jong", "un"), ("kim", "jong", "il")),
])
def test_aligner_edge_cases(query, candidate, default_engine):
    table = _table(query, candidate)
    weights = default_engine.weights
    compiled = QueryName.looking_up(query, weights, table, native=True)
    python = QueryName.looking_up(query, weights, table, native=False)
    for exponent in (CANDIDATE_EXPONENT, ORGANIZATION_CANDIDATE_EXPONENT, 0.1):
        expected = python.rate(candidate, exponent)
        assert compiled.rate(candidate, exponent) == expected
        assert compiled.score(candidate, exponent).score == expected  # the explained score agrees
    assert compiled.rate((), CANDIDATE_EXPONENT) == 0.0


def test_aligner_refuses_bad_input():
    table = {"ali": {"ali": 1.0}}
    with pytest.raises(ValueError):
        speedups.native.Aligner(("ali", "x"), [0.5], table, _RULES)  # weights of another length
    with pytest.raises(ValueError):
        speedups.native.Aligner(("ali", ""), [0.5, 0.5], table, _RULES)  # an empty token
    with pytest.raises(TypeError):
        speedups.native.Aligner(["ali"], [0.5], table, _RULES)  # tokens not a tuple
    aligner = speedups.native.Aligner(("ali",), [0.5], table, _RULES)
    assert aligner.rate(("ali",), [0.5], CANDIDATE_EXPONENT) == evidence_factor(0.5)  # whole, on thin evidence
    with pytest.raises(ValueError):
        aligner.rate(("ali", "x"), [0.5], CANDIDATE_EXPONENT)
    with pytest.raises(ValueError):
        aligner.rate(("",), [0.5], CANDIDATE_EXPONENT)
    with pytest.raises(TypeError):
        speedups.native.Aligner(("ali",), [0.5], {"ali": [1.0]}, _RULES).rate(("alu",), [0.5], CANDIDATE_EXPONENT)
    with pytest.raises(ValueError):
        speedups.native.Aligner.__new__(speedups.native.Aligner).rate(("ali",), [0.5], CANDIDATE_EXPONENT)
