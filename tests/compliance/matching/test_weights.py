"""Token rarity weights."""
from compliance.matching.weights import LEGAL_FORM_WEIGHT, UNSEEN_WEIGHT, TokenWeights


def test_token_weights_remember_only_list_tokens():
    """Batch jobs weigh millions of distinct query tokens: the cache must not grow with them."""
    weights = TokenWeights.from_names([("ali", "khamenei"), ("ali", "hassan")])
    assert weights.weight("khamenei") > weights.weight("ali")
    for i in range(1000):
        assert weights.weight(f"zqx{i}") == UNSEEN_WEIGHT
    assert set(weights._cache) <= {"ali", "khamenei", "hassan"}


def test_legal_forms_do_not_make_names_sharing_their_key_common():
    """"corp" (key krb) is on thousands of list names; "Kropp" (krb too) must not turn common."""
    names = [("acme", "corp")] * 500 + [("kropp", "hans")] + [("other", "name")] * 500
    weights = TokenWeights.from_names(names)
    alone = TokenWeights.from_names([("acme",)] * 500 + [("kropp", "hans")] + [("other", "name")] * 500)
    assert weights.weight("kropp") == alone.weight("kropp")
    assert weights.weight("corp") == LEGAL_FORM_WEIGHT
