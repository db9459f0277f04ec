"""Token rarity: how much a matching token says about identity.

A token's weight is its inverse document frequency over every list name: the larger of its
own frequency and a share of its phonetic key's frequency, so that the many spellings of
one name (Mohammed, Muhammad, Mohamad) are all common, while a rare name does not become
common by sharing a key with others (Khamenei and Khomeini are both "hmn"); capped by a prior for names that are common in the world even where they are
rare on the lists (John, Smith, Kim, Wang), and fixed low for particles and legal forms.
So `Ali Khan` cannot alert on `KHAMENEI, Ali Husseini` through `Ali` alone.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from compliance.matching.normalize import LEGAL_TOKENS
from compliance.matching.translit import name_key

PARTICLES = frozenset(
    "al el ul al- bin ben ibn bint binti abu abou abo um umm van von der den de da di del della dos das du le la".split()
)
PARTICLE_WEIGHT = 0.1  # particles carry almost no identity
LEGAL_FORM_WEIGHT = 0.1  # nor do legal forms: "Acme LLC" and "Acme Ltd" differ little
INITIAL_WEIGHT = 0.2  # a lone letter is an initial: it narrows, it does not identify
MIN_WEIGHT = 0.1
UNSEEN_WEIGHT = 1.0  # a token no list name has is as rare as it gets
KEY_FREQUENCY_SHARE = 0.25  # how much of the key's frequency a token inherits

# World-common given names and surnames: weight capped at COMMON_CAP even if the lists
# rarely use them, so a shared common token alone never carries a match. With them "din",
# the second part of every name in al-Din (normalize.DIN_COMPOUNDS reads SALAHUDDIN as
# "salah al din"): at its list weight (0.46) the given name "Salahudin" alone, split so,
# matched "Salahuddin Ahmed" (0.92) where it was reviewed as one token (0.84); capped, 0.88.
COMMON_CAP = 0.35
COMMON_TOKENS = frozenset("""
mohammad mohammed muhammad mohamed muhammed ahmad ahmed ali hassan hasan hussein husain hussain
abdul abdel abd abdullah abdallah omar umar ibrahim ismail yusuf youssef mustafa mahmoud khalid
hamid rahman karim aziz said saeed salem saleh khan shah singh kumar devi din dine deen
kim lee park choi jung kang cho yoon jang lim han wang li zhang liu chen yang huang zhao wu zhou
xu sun ma zhu hu guo he lin nguyen tran le pham hoang phan vu dang bui do ho ngo
john james robert michael william david richard joseph thomas charles mary patricia jennifer
linda elizabeth maria jose juan carlos luis jorge pedro ana smith johnson williams brown jones
garcia miller davis rodriguez martinez hernandez lopez gonzalez wilson anderson taylor moore
jackson martin thompson white harris clark lewis robinson walker young allen king wright scott
ivanov ivanova petrov petrova sidorov smirnov kuznetsov popov vasiliev alexander alexandr
sergey sergei andrey andrei dmitry dmitri vladimir nikolay olga elena tatiana natalia
""".split())


class TokenWeights:
    """Weights from the key frequencies of a corpus of tokenized names."""

    def __init__(self, token_counts: Counter[str], key_counts: Counter[str], total: int) -> None:
        self.token_counts = token_counts
        self.key_counts = key_counts
        self.total = max(total, 1)
        self._log_total = math.log(self.total + 1)
        self._cache: dict[str, float] = {}

    @classmethod
    def from_names(cls, names: Iterable[Sequence[str]]) -> TokenWeights:
        tokens_seen: Counter[str] = Counter()
        total = 0
        for tokens in names:
            total += 1
            tokens_seen.update(set(tokens))
        keys: Counter[str] = Counter()
        # Legal forms have a fixed weight, and are so frequent ("ltd", "corp") that names
        # sharing their phonetic key (Kropp, Korb) would turn common: their keys are not counted.
        for token, count in tokens_seen.items():
            if token not in LEGAL_TOKENS:
                keys[name_key(token)] += count
        return cls(tokens_seen, keys, total)

    def weight(self, token: str) -> float:
        cached = self._cache.get(token)
        if cached is None:
            cached = self._weight(token)
            if token in self.token_counts:  # only list tokens: queries bring unbounded new ones
                self._cache[token] = cached
        return cached

    def _weight(self, token: str) -> float:
        if token in PARTICLES:
            return PARTICLE_WEIGHT
        if token in LEGAL_TOKENS:
            return LEGAL_FORM_WEIGHT
        if len(token) == 1:
            return INITIAL_WEIGHT
        count = max(self.token_counts.get(token, 0), KEY_FREQUENCY_SHARE * self.key_counts.get(name_key(token), 0))
        idf = math.log((self.total + 1) / (count + 1)) / self._log_total if count else UNSEEN_WEIGHT
        if token in COMMON_TOKENS:
            idf = min(idf, COMMON_CAP)
        return max(MIN_WEIGHT, min(1.0, idf))
