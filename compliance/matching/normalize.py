"""Turn a name (any script) or an account handle into comparable tokens, recording what was done.

Pipeline, the same for list names at index build and for queries at request time:
1. `translit.latinize`: NFKC, invisible characters and diacritics dropped, homoglyphs
   folded, every script transliterated to lower-case Latin words (the ezafe, -e- or -i-,
   written one way first); the conjunction "and" (also written "&") dropped.
2. Digits inside mostly-letter words read as the letters OCR and keyboards confuse them
   with ("Nasro1lah" -> "nasrollah", "2aw" -> "zaw"); ordinals ("77th") stay numbers.
3. In names written in Latin, abbreviations written out and recorded ("Mohd" -> "mohammad",
   "SHPG" -> "shipping").
4. Assimilated Arabic articles read as "al" (ar-Rahman, Jamaat-ud-Dawa).
5. Organization legal forms recorded in canonical form ("limited liability company" ->
   "llc", "obshchestvo s ogranichennoy otvetstvennostyu" -> "ooo") and matched by their
   family's token ("ltd" for both); they stay as tokens of low weight.
6. Titles and honorifics removed and recorded (Ayatollah, Sayyid, Sheikh, Dr, General...),
   unless removing them would leave no name.
7. Particles (al, bin, ibn, abu, van, de...) kept as tokens; their weight is low (weights.py).
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
hajji haji hajj haj hadj alhaj alhajj alhaji elhadj hadji
mullah mulla molla maulana mawlana maulvi mawlawi moulvi imam mufti qari
dr doctor prof professor eng engr engineer
president vice general gen lieutenant lt colonel col major maj captain capt admiral adm
brigadier brig commander cmdr marshal sergeant sgt
mr mrs ms miss mme mlle sir dame lord lady his her excellency he hon honourable honorable
rev reverend father bishop archbishop patriarch judge senator minister deputy prince princess
king queen emir sheikha
""".split())

# Legal forms: phrase (latinized tokens) -> canonical form, recorded in the explanation.
LEGAL_FORMS: dict[tuple[str, ...], str] = {
    tuple(phrase.split()): canonical
    for canonical, phrases in {
        "llc": ["llc", "l l c", "limited liability company", "limited liability co"],
        "ltd": ["ltd", "l t d", "limited", "ltda", "limitada", "pty ltd", "proprietary limited",
                "pte ltd", "private limited"],
        "doo": ["d o o", "d o o e l", "dooel"],  # LLC of the Yugoslav successor states
        "co": ["co", "company", "compania", "compagnie", "cie", "cia"],
        "corp": ["corp", "corporation"],
        "inc": ["inc", "incorporated"],
        "jsc": ["jsc", "joint stock company", "joint stock co", "aktsionernoe obshchestvo", "ao"],
        "ojsc": ["ojsc", "open joint stock company", "oao", "otkrytoe aktsionernoe obshchestvo"],
        "cjsc": ["cjsc", "closed joint stock company", "zao", "zakrytoe aktsionernoe obshchestvo"],
        "pjsc": ["pjsc", "public joint stock company", "pao", "publichnoe aktsionernoe obshchestvo"],
        "ooo": ["ooo", "obshchestvo s ogranichennoy otvetstvennostyu",
                "obshchestvo s ogranichennoi otvetstvennostiu", "tov"],
        "ood": ["ood", "eood"],
        "gmbh": ["gmbh", "gesellschaft mit beschrankter haftung"],
        "ag": ["ag", "aktiengesellschaft"],
        "sa": ["sa", "s a", "sociedad anonima", "societe anonyme"],
        "sarl": ["sarl", "s a r l"],
        "sal": ["sal", "s a l"],
        "sas": ["sas", "s a s"],
        "sro": ["sro", "s r o"],
        "spzoo": ["sp z o o", "spolka z ograniczona odpowiedzialnoscia"],
        "kft": ["kft"],
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
        "scs": ["s c s", "s en c"],  # sociedad en comandita simple (Colombia)
        "as": ["as", "a s", "anonim sirketi"],
        "sdn bhd": ["sdn bhd"],
    }.items()
    for phrase in phrases
}
# The token a legal form is matched by: its family. A company is written with its country's
# form on one list and an English one elsewhere (EUROFOOTBALL OOD / LTD), and Russian
# companies re-registered OAO as PAO after 2014, so forms of one family match each other;
# families differ (an LLC and a JSC of one name are often two companies of a group). Family
# tokens have three letters or more: shorter tokens never make a name whole (scoring._whole).
# SDN 2021 aliases, spelling_variant pairs: "EUROFOOTBALL LTD" ~ "EUROFOOTBALL OOD" went from
# 0.64 (clear) to 0.90 (match); for the whole run see README "Match quality".
LEGAL_FAMILIES = {
    "ltd": ("llc", "ltd", "ooo", "ood", "doo", "gmbh", "sarl", "srl", "sro", "spzoo", "kft", "bv", "pte",
            "pvt", "sdn bhd"),
    "jsc": ("jsc", "ojsc", "cjsc", "pjsc", "ag", "sa", "sal", "sas", "spa", "nv", "plc", "as"),
    "corp": ("co", "corp", "inc"),
    "llp": ("llp", "lp", "kg", "scs"),
    "fze": ("fze",),
}
LEGAL_FAMILY = {form: family for family, forms in LEGAL_FAMILIES.items() for form in forms}
_MAX_FORM_LEN = max(len(p) for p in LEGAL_FORMS)
_FORM_STARTS = frozenset(p[0] for p in LEGAL_FORMS)  # tokens a legal form can begin with
# Two-letter forms are legal forms at a name's start only if nothing else starts names so:
# 116 list names start with AO, the Russian joint stock company ("AO 'INSTITUTE ...'"), while
# SA, AG and AS start given names and surnames (SA'ID, AG ALHOUSSEINI, AS'AD).
LEADING_SHORT_FORMS = frozenset({"ao"})
LEGAL_TOKENS = frozenset(LEGAL_FAMILIES)
# Abbreviations the lists and account holders write for whole words (Malaysian and
# Bangladeshi "Mohd", "Md"; OFAC's "SHPG CO"), expanded before matching and recorded; in
# names written in Latin only.
ABBREVIATIONS = {
    "mohd": "mohammad", "muhd": "muhammad", "mhd": "mohammad", "md": "mohammad",
    "shpg": "shipping", "trdg": "trading", "intl": "international", "natl": "national",
    "mgmt": "management", "assn": "association", "assoc": "association", "dept": "department",
    "devt": "development", "inds": "industries", "mfg": "manufacturing", "hldg": "holding",
    "hldgs": "holdings", "grp": "group", "univ": "university", "inst": "institute",
}
# The Arabic article assimilated to a following "sun letter" (ar-Rahman, ad-Din, as-Salam,
# ash-Shams, ed-Daawa) is the article al: written "al" on another list. These forms are
# also words and names (Ed, As, At), so only before a word that begins with the doubled
# consonant; an/en/un are left alone (Vietnamese and Korean An). The Urdu forms (Jamaat-ud-Dawa,
# Inayat-ur-Rahman, Zia-ul-Haq) are the article wherever they stand, also when a list
# moved them ("RAHMAN, Inayat ur").
SUN_ARTICLES = frozenset("ad ar as ash at az us ed er es esh et ez".split())
URDU_ARTICLES = frozenset("ud ul ur ush ut uz".split())
# Names in "al-Din" ("of the faith": Salah al-Din, Nur al-Din, Badr al-Din) are written with
# the assimilated article and joined as often as apart: SALAHUDDIN, NOUREDDIN, Badreddine,
# Kamal Eddin, Jamal Uddin (the lists hold 300-odd such names, both ways). A token ending in
# a vowel, "d" and din/dine/deen, or in "u" and din/dine/deen after three letters or more
# (SALAHUDIN, SAIFUDIN, the Malay spelling), is read as its parts: what precedes, "al", and
# the din. Without it "Salahuddin Ahmed" against "Salah al-Din AHMED" scored 0.14, and
# "Kamal Eddin TUMA" against "TU'MA, Kamal Al-Din" 0.62. Not a single d after other vowels:
# the lists' tokens so are mostly MUJAHIDIN / MUJAHIDEEN and Russian surnames (VOLODIN,
# BORODIN, POGODIN). Of the lists' 63 distinct tokens with the doubled d, one is no such
# name: MUDSCHAHEDDIN (German for mujahideen), read as "mudschah al din" on both sides alike.
DIN_COMPOUNDS = (re.compile(r"([a-z]*)[aeiou]d(din|dine|deen)"), re.compile(r"([a-z]{3,})u(din|dine|deen)"))
# The Persian and Urdu ezafe is written -e- or -i- (JAISH-E-MOHAMMED, JAISH-I-MOHAMMED,
# TEHRIK-E-TALIBAN).
EZAFE = re.compile(r"(?<=[^\W\d_])-[eiEI]-(?=[^\W\d_])")
# An acronym written with dots, three letters or more (M.E.N.A., K.D.P.), is one word: the
# same name is written MENA elsewhere. Unless its letters are a legal form (S.A.S., L.T.D.,
# D.O.O.): those stay letters, which LEGAL_FORMS reads ("d o o"; not "doo", a Korean given
# name). Two letters (S.A., C.I.) stay apart: J.R. or A.K. are a person's initials. Of the 215
# list names with such acronyms, 214 are organizations.
DOTTED_ACRONYM = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]\.){2,}[^\W\d_](?![^\W\d_])\.?")
# "and" is dropped like the "&" it is written as ("SWAID & SONS", "SWAID AND SONS").
CONJUNCTION = "and"

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
    abbreviations: tuple[str, ...] = ()  # abbreviations expanded, as written
    compounds: tuple[str, ...] = ()  # tokens read as their parts (DIN_COMPOUNDS), as written
    scholarly: bool = False  # Cyrillic read as translit.CY_SCHOLARLY (a query's second form)

    def compounds_split(self) -> dict[str, str]:
        """Each token read as its parts (DIN_COMPOUNDS), as written -> the parts."""
        return {c: " ".join(_din_compounds([c])[0]) for c in self.compounds}

    def to_dict(self) -> dict:
        out: dict = {"text": self.original, "tokens": list(self.tokens)}
        if self.script:
            out["transliterated"] = {"script": self.script, "latin": self.latin}
            if self.scholarly:
                out["transliterated"]["reading"] = SCHOLARLY_READING
        if self.titles:
            out["titles_removed"] = list(self.titles)
        if self.legal_forms:
            out["legal_forms"] = list(self.legal_forms)
        if self.abbreviations:
            out["abbreviations_expanded"] = {a: ABBREVIATIONS[a] for a in self.abbreviations}
        if self.compounds:
            out["compounds_split"] = self.compounds_split()
        if self.handle:
            out["handle"] = True
        return out


def make_name_form(text: str, scholarly: bool = False) -> NameForm:
    """Normalize a display name or list name (uncached: name_form is the cached one); with
    `scholarly`, Cyrillic in its scholarly reading (translit.CY_SCHOLARLY)."""
    latin = latinize(DOTTED_ACRONYM.sub(_acronym, EZAFE.sub(" e ", text)), scholarly)
    script = script_of(text)
    tokens, abbreviations = [_ocr_digits(t) for t in latin.split() if t != CONJUNCTION] or [CONJUNCTION], []
    if script is None:  # abbreviations are written in Latin; "muhd" from موحد is Movahed
        tokens, abbreviations = _expanded(tokens)
    tokens, compounds = _din_compounds(tokens)
    tokens, forms = _canonical_legal_forms(_articles(tokens))
    tokens, titles = _strip_titles(tokens, vowelless=script == "Arabic")
    return NameForm(text, tuple(tokens), tuple(titles), tuple(forms), script, latin,
                    abbreviations=tuple(abbreviations), scholarly=scholarly, compounds=tuple(compounds))


# Query names whose forms are kept. The engine keeps its list names' forms itself (and makes
# them with make_name_form), so this cache is the queries' alone. When list names shared it
# (65,536 places, 43,708 of them taken by list names at build), query names pushed them out
# one by one for hundreds of thousands of batch rows: the list forms stayed alive in the
# engine, and each evicted one became a new query form (~+15 MB between 100,000 and 300,000
# rows). A name form costs ~20 us to make; a batch row ~700 us.
NAME_FORM_CACHE = 1 << 14
name_form = lru_cache(maxsize=NAME_FORM_CACHE)(make_name_form)
SCHOLARLY_READING = "scholarly (ISO 9, diacritics dropped)"


def reading_forms(text: str) -> list[NameForm]:
    """A query name's forms: name_form, and for a name in Cyrillic also its scholarly reading
    where that differs ("Жигич": zhigich, and zigic as Žigić is listed). List names are
    read the English way only: few lists give names in Cyrillic.
    """
    form = name_form(text)
    if form.script != "Cyrillic":
        return [form]
    other = name_form(text, True)
    return [form] if other.tokens == form.tokens else [form, other]


def _acronym(match: re.Match) -> str:
    """A dotted acronym as one word, or as its letters if they are a legal form (DOTTED_ACRONYM)."""
    letters = match[0].replace(".", "")
    return " ".join(letters) if tuple(letters.lower()) in LEGAL_FORMS else letters


def written_as_handle(text: str) -> bool:
    """A display name that is an account handle: one word with a leading @ ("@khamenei_ir")."""
    word = text.strip()
    return len(word) > 1 and word[0] == "@" and not any(c.isspace() for c in word)


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
    if token.isalpha():
        return token
    digits = sum(c.isdigit() for c in token)
    if digits == 0 or digits * 2 >= len(token) or _ORDINAL.fullmatch(token):
        return token
    return token.translate(_OCR_DIGITS)


def _expanded(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Tokens with ABBREVIATIONS written out, and the abbreviations met."""
    found = [t for t in tokens if t in ABBREVIATIONS]
    return ([ABBREVIATIONS.get(t, t) for t in tokens], found) if found else (tokens, [])


def _din_compounds(tokens: list[str]) -> tuple[list[str], list[str]]:
    """"Salahuddin" as "salah al din", "Eddine" as "al dine" (DIN_COMPOUNDS); and the tokens so read."""
    out, split = [], []
    for token in tokens:
        found = next(filter(None, (pattern.fullmatch(token) for pattern in DIN_COMPOUNDS)), None)
        if found is None:
            out.append(token)
            continue
        out += [found[1], "al", found[2]] if found[1] else ["al", found[2]]
        split.append(token)
    return out, split


def _articles(tokens: list[str]) -> list[str]:
    """An assimilated Arabic article (ar-Rahman, ud-Dawa) as "al" (SUN_ARTICLES, URDU_ARTICLES)."""
    return [
        "al" if t in URDU_ARTICLES or t in SUN_ARTICLES and i + 1 < len(tokens)
        and len(tokens[i + 1]) > 2 and tokens[i + 1].startswith(t[1:]) else t
        for i, t in enumerate(tokens)
    ]


def _canonical_legal_forms(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Legal forms as their family's token (LEGAL_FAMILY), and the canonical forms met."""
    out, forms, i = [], [], 0
    while i < len(tokens):
        if tokens[i] not in _FORM_STARTS:
            out.append(tokens[i])
            i += 1
            continue
        for size in range(min(_MAX_FORM_LEN, len(tokens) - i), 0, -1):
            canonical = LEGAL_FORMS.get(tuple(tokens[i:i + size]))
            # a form of short tokens ("s a", "ag") only counts after the first token
            if canonical is not None and (i > 0 or size == len(tokens) or len(tokens[i]) > 2
                                          or tokens[i] in LEADING_SHORT_FORMS):
                out.append(LEGAL_FAMILY[canonical])
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
