"""Turn a name (any script) or an account handle into comparable tokens, recording what was done.

Pipeline, the same for list names at index build and for queries at request time:
1. `translit.latinize`: NFKC, invisible characters and diacritics dropped, homoglyphs
   folded, every script transliterated to lower-case Latin words.
2. Digits inside mostly-letter words read as the letters OCR and keyboards confuse them
   with ("Nasro1lah" -> "nasrollah", "2aw" -> "zaw"); ordinals ("77th") stay numbers.
3. Organization legal forms canonicalized ("limited liability company" -> "llc",
   "obshchestvo s ogranichennoy otvetstvennostyu" -> "ooo"); they stay as tokens of low weight.
4. Titles and honorifics removed and recorded (Ayatollah, Sayyid, Sheikh, Dr, General...),
   unless removing them would leave no name.
5. Particles (al, bin, ibn, abu, van, de...) kept as tokens; their weight is low (weights.py).
Handles (`@khamenei_ir`, `AliKhamenei1939`) are first split on separators, camelCase and
digits; digits and tokens of one or two letters are dropped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from compliance.matching.translit import latinize, name_key
from watchlists.model import script_of

# Titles, honorifics and ranks, as latinized tokens. Words that are also common given
# names (Amir, Sultan, Malik) are deliberately absent.
TITLES = frozenset("""
ayatollah ayatullah ayatolah ayatallah grand hojatoleslam hojjatoleslam hojatolislam
sayyid sayed sayyed seyed seyyed seyyid syed sayid sheikh shaikh shaykh sheik shaik cheikh
hajji haji hajj alhaj alhajj hadji mullah mulla molla maulana mawlana maulvi mawlawi moulvi
imam mufti qari hafiz
dr doctor prof professor eng engr engineer
president vice general gen lieutenant lt colonel col major maj captain capt admiral adm
brigadier brig commander cmdr marshal sergeant sgt
mr mrs ms miss mme mlle sir dame lord lady his her excellency he hon honourable honorable
rev reverend father bishop archbishop patriarch judge senator minister deputy prince princess
king queen emir sheikha
""".split())

# Legal forms: phrase (latinized tokens) -> canonical token.
LEGAL_FORMS: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): canonical
    for canonical, phrases in {
        "llc": ["llc", "l l c", "limited liability company", "limited liability co"],
        "ltd": ["ltd", "limited", "ltda", "limitada"],
        "co": ["co", "company", "compania", "compagnie", "cie"],
        "corp": ["corp", "corporation"],
        "inc": ["inc", "incorporated"],
        "jsc": ["jsc", "joint stock company", "joint stock co", "aktsionernoe obshchestvo", "ao"],
        "ojsc": ["ojsc", "open joint stock company", "oao", "otkrytoe aktsionernoe obshchestvo"],
        "cjsc": ["cjsc", "closed joint stock company", "zao", "zakrytoe aktsionernoe obshchestvo"],
        "pjsc": ["pjsc", "public joint stock company", "pao", "publichnoe aktsionernoe obshchestvo"],
        "ooo": ["ooo", "obshchestvo s ogranichennoy otvetstvennostyu",
                "obshchestvo s ogranichennoi otvetstvennostiu", "tov"],
        "gmbh": ["gmbh", "gesellschaft mit beschrankter haftung"],
        "ag": ["ag", "aktiengesellschaft"],
        "sa": ["sa", "s a", "sociedad anonima", "societe anonyme"],
        "sarl": ["sarl", "s a r l"],
        "srl": ["srl", "s r l"],
        "spa": ["spa", "s p a"],
        "bv": ["bv", "b v"],
        "nv": ["nv", "n v"],
        "plc": ["plc", "public limited company"],
        "llp": ["llp"],
        "lp": ["lp"],
        "pte": ["pte"],
        "pvt": ["pvt", "private"],
        "fze": ["fze", "fzco", "fzc", "fz llc"],
        "kg": ["kg", "kommanditgesellschaft"],
        "as": ["as", "a s", "anonim sirketi"],
        "sdn bhd": ["sdn bhd"],
    }.items()
    for phrase in phrases
}
_MAX_FORM_LEN = max(len(p) for p in LEGAL_FORMS)
LEGAL_TOKENS = frozenset(t for canonical in LEGAL_FORMS.values() for t in canonical.split())

_OCR_DIGITS = str.maketrans("0123456789", "olzeasgtbg")
_ORDINAL = re.compile(r"\d+(st|nd|rd|th)")
_HANDLE_SPLIT = re.compile(r"[\s._\-@/#:+|]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=\D)(?=\d)|(?<=\d)(?=\D)")
_TITLE_KEYS = frozenset(name_key(t) for t in ("sayyid", "sheikh", "ayatollah", "mullah", "hajji", "imam"))


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name ready to compare: its tokens and what normalization did to it."""

    original: str
    tokens: tuple[str, ...]
    titles: tuple[str, ...] = ()
    legal_forms: tuple[str, ...] = ()
    script: str | None = None  # the non-Latin script transliterated, if any
    latin: str = ""  # the latinized text before titles were removed
    handle: bool = False

    def to_dict(self) -> dict:
        out: dict = {"text": self.original, "tokens": list(self.tokens)}
        if self.script:
            out["transliterated"] = {"script": self.script, "latin": self.latin}
        if self.titles:
            out["titles_removed"] = list(self.titles)
        if self.legal_forms:
            out["legal_forms"] = list(self.legal_forms)
        if self.handle:
            out["handle"] = True
        return out


@lru_cache(maxsize=65536)
def name_form(text: str) -> NameForm:
    """Normalize a display name or list name."""
    latin = latinize(text)
    tokens, forms = _canonical_legal_forms([_ocr_digits(t) for t in latin.split()])
    script = script_of(text)
    tokens, titles = _strip_titles(tokens, vowelless=script == "Arabic")
    return NameForm(text, tuple(tokens), tuple(titles), tuple(forms), script, latin)


def handle_form(handle: str) -> NameForm:
    """Normalize an account handle: split on separators, camelCase and digits."""
    words = []
    for chunk in _HANDLE_SPLIT.split(handle.strip()):
        words += [w for w in _CAMEL.split(chunk) if w]
    kept = [w for w in words if not w.isdigit()]
    form = name_form(" ".join(kept))
    tokens = tuple(t for t in form.tokens if len(t) > 2)
    return NameForm(handle, tokens, form.titles, form.legal_forms, form.script, form.latin, handle=True)


def _ocr_digits(token: str) -> str:
    digits = sum(c.isdigit() for c in token)
    if digits == 0 or digits * 2 >= len(token) or _ORDINAL.fullmatch(token):
        return token
    return token.translate(_OCR_DIGITS)


def _canonical_legal_forms(tokens: list[str]) -> tuple[list[str], list[str]]:
    out, forms, i = [], [], 0
    while i < len(tokens):
        for size in range(min(_MAX_FORM_LEN, len(tokens) - i), 0, -1):
            canonical = LEGAL_FORMS.get(tuple(tokens[i:i + size]))
            # a one-letter-token form ("s a") only counts after the first token
            if canonical is not None and (i > 0 or size == len(tokens) or len(tokens[i]) > 2):
                out += canonical.split()
                forms.append(canonical)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out, forms


def _strip_titles(tokens: list[str], vowelless: bool) -> tuple[list[str], list[str]]:
    """Drop titles; for Arabic-script names (no short vowels) titles are also found by key."""
    titles = [t for t in tokens if t in TITLES or (vowelless and name_key(t) in _TITLE_KEYS)]
    if not titles or len(titles) == len(tokens):
        return tokens, []
    return [t for t in tokens if t not in titles], titles
