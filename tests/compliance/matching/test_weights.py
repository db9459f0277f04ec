"""Token rarity weights."""
from compliance.matching.weights import UNSEEN_WEIGHT, TokenWeights


def test_token_weights_remember_only_list_tokens():
    """Batch jobs weigh millions of distinct query tokens: the cache must not grow with them."""
    weights = TokenWeights.from_names([("ali", "khamenei"), ("ali", "hassan")])
    assert weights.weight("khamenei") > weights.weight("ali")
    for i in range(1000):
        assert weights.weight(f"zqx{i}") == UNSEEN_WEIGHT
    assert set(weights._cache) <= {"ali", "khamenei", "hassan"}
