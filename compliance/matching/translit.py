"""Names in any script to lower-case ASCII Latin words, a vowel-free phonetic key of such a word,
and the similarity of two latinized name tokens (of one token to many at once: KeyedVocabulary),
for matching names across scripts.

latinize() pipeline, in order:
1. NFKC (compatibility and presentation forms, full-width letters, ligatures).
2. Words: letters, marks and digits make words; apostrophes (' ’ ʼ ʻ ʿ ʾ ` ´), modifier symbols
   (˜ ¨ ^) and invisible characters (ZWSP, ZWJ, soft hyphen, BOM, directional marks, tatweel)
   join the letters around them; everything else (spaces, hyphens, dots, commas) separates.
   So "al-Qa'ida" -> "al qaida", "O'Brien" -> "obrien", "Jean-Pierre" -> "jean pierre".
   ZWNJ is kept inside Arabic-script words for step 4 (Persian خامنه‌ای), dropped elsewhere.
3. Homoglyphs: in a word that also holds Latin letters, Cyrillic and Greek letters drawn like
   Latin ones become Latin ("Kһamenei" with Cyrillic һ -> "khamenei"), before casefolding.
4. casefold, then per script run: Arabic script (Arabic, Persian, Urdu, Pashto, Kurdish) and
   Hebrew by name-oriented tables in which the vowel letters (ا و ي ی ه ة ع, א ו י ה ע) read by
   position; short-vowel harakat, where written, add their vowel; Cyrillic by a Russian table
   with Ukrainian/Belarusian, Balkan and Central-Asian letters; Brahmic scripts with the
   inherent "a" restored; Thai/Lao with pre-posed vowels moved after their consonant; Han and
   Hangul one word per syllable (common Korean surnames in their usual spelling);
   everything else, Latin diacritics included (é ß ø ł ı æ), by anyascii.
5. Keep [a-z0-9]; words joined by single spaces.
A leading Arabic article becomes its own word (القاعدة -> "al qaida"), like a hyphenated Latin
"al-Qaida". Japanese kanji get Chinese readings (安倍 -> "an bei"): a known gap.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
from anyascii import anyascii
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cdist

from compliance.matching import speedups

APOSTROPHES = frozenset("'’‘ʼʻʿʾ`´ʹ׳")
INVISIBLE = frozenset("\u00ad\u061c\u0640\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b"
                      "\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff")
ZWNJ = "\u200c"
# Cyrillic and Greek letters drawn like Latin ones (upper and lower case kept apart: Greek ν
# looks like v, Ν like N); only applied inside words that also hold Latin letters.
HOMOGLYPHS = str.maketrans(
    "АВЕКМНОРСТУХІЈЅҺԚԜаеорсухіјѕһԁԛԝӏΑΒΕΖΗΙΚΜΝΟΡΤΥΧαικνορυχ",
    "ABEKMHOPCTYXIJSHQWaeopcyxijshdqwlABEZHIKMNOPTYXaikvopux")

# --- Arabic script ------------------------------------------------------------------------
AR_CONSONANTS = {
    "ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r",
    "ز": "z", "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "غ": "gh", "ف": "f",
    "ق": "q", "ك": "k", "ک": "k", "ل": "l", "م": "m", "ن": "n", "پ": "p", "چ": "ch", "ژ": "zh",
    "گ": "g", "ٹ": "t", "ڈ": "d", "ڑ": "r", "ں": "n", "ھ": "h", "ټ": "t", "ډ": "d", "ړ": "r",
    "ښ": "sh", "ږ": "zh", "ځ": "z", "څ": "s", "ڼ": "n", "ګ": "g", "ڤ": "v", "ڥ": "v", "ڨ": "g",
    "ڭ": "g", "ڠ": "ng", "ڢ": "f", "ڧ": "q", "ڵ": "l", "ڕ": "r", "ۋ": "v", "ڄ": "j", "ڃ": "ny",
    "ڳ": "g", "ٻ": "b", "ڀ": "bh", "ٺ": "th", "ٽ": "t", "ڊ": "d", "ڌ": "dh", "ڍ": "d", "ڏ": "d",
    "ڦ": "ph", "ڱ": "ng", "ڻ": "n", "ڇ": "ch", "ڙ": "zh", "ݢ": "g", "ڬ": "g", "ۏ": "v",
}
AR_OTHER = {"ۆ": "o", "ۇ": "u", "ۉ": "u", "ۈ": "u", "ێ": "e", "ې": "e", "ے": "e", "ۓ": "e",
            "ۍ": "i", "ە": "e", "ؤ": "u", "ء": "", "ة": "a", "ۃ": "a"}
AR_HARAKAT = {"\u064e": "a", "\u0650": "i", "\u064f": "u", "\u0670": "a", "\u064b": "",
              "\u064c": "", "\u064d": "", "\u0652": "", "\u0653": "", "\u0654": "", "\u0655": ""}
AR_SHADDA = "\u0651"
AR_ALEFS = frozenset("اأإآٱ")
AR_YEH = frozenset("يیىئ")
AR_HEH = frozenset("هہۀۂ")
# Persian, Urdu and Pashto read these as s/z (Reza, Osman), and a consonant و as v.
AR_PERSIANATE = {"ث": "s", "ذ": "z", "ض": "z", "ظ": "z"}
PERSIANATE_LETTERS = frozenset("یکپچژگہےھٹڈڑںټډړښږځڅګڼۍې")   # not used by Arabic itself
# A letter whose Latin ends in one of these would make a false digraph with a following ه
# (د+ه read as ذ "dh"), so a vowel is put between: دهقان -> "dehqan".
DIGRAPH_HEADS = frozenset("cdgkpstz")
# Word-final ه: "eh" (Persian -eh, Western -e) scored best of h/a/e/ah/eh on the dev token sets.
AR_FINAL_HEH = "eh"


def _arabic_letter(word: str, i: int, persianate: bool) -> str:
    """One letter of an Arabic-script word (without marks) in its context."""
    c, prev = word[i], word[i - 1] if i else ""
    nxt = word[i + 1] if i + 1 < len(word) else ""
    initial, final = prev in ("", ZWNJ), nxt in ("", ZWNJ)
    if persianate and c in AR_PERSIANATE:
        return AR_PERSIANATE[c]
    if c in AR_CONSONANTS or c in AR_OTHER:
        return AR_CONSONANTS.get(c) or AR_OTHER[c]
    if c in AR_ALEFS:
        if prev == ZWNJ and nxt in AR_YEH and i + 2 == len(word):
            return ""                                   # ه‌ای as in خامنه‌ای -> "khamnei"
        if initial and (nxt in AR_YEH or nxt == "و"):
            return ""                                   # اي/او: alef only seats the vowel
        return "i" if c == "إ" else "a"
    if c in AR_YEH:
        if c == "ى" and final:
            return "a"                                  # alef maksura: موسى -> "musa"
        if initial or nxt in AR_ALEFS or nxt == "و" or (prev in AR_ALEFS and not final):
            return "y"
        return "i"
    if c == "و":
        if initial or nxt in AR_ALEFS or nxt in AR_YEH:
            return "v" if persianate else "w"
        return "u"
    if c in AR_HEH:
        if nxt == ZWNJ:
            return "e"
        return AR_FINAL_HEH if final and i > 1 else "h"
    if c == "ع":
        return "" if final and not initial else "a"
    return anyascii(c)


def _arabic(word: str, persianate: bool) -> str:
    """Latinize one Arabic-script word; a leading ال becomes the separate word "al"."""
    letters: list[str] = []
    marks: dict[int, list[str]] = {}
    for c in word:
        if c in AR_HARAKAT or c == AR_SHADDA:
            if letters:
                marks.setdefault(len(letters) - 1, []).append(c)
        else:
            letters.append(c)
    skel, out = "".join(letters), []
    if skel.startswith("ال") and len(skel) > 3 and skel != "الله":
        out.append("al ")
        skel, marks = skel[2:], {k - 2: v for k, v in marks.items()}
    for i, c in enumerate(skel):
        nxt = skel[i + 1] if i + 1 < len(skel) else ""
        if skel[i:] == "الله":
            out.append("allah")                         # عبدالله -> "abdallah"
            break
        if c == "ش" and i and skel[i - 1] == "ت":
            out[-1] = "ch"                              # تش writes a foreign ch: تشيلي
            continue
        if c in AR_HEH and out and out[-1][-1:] in DIGRAPH_HEADS and nxt not in ("", ZWNJ):
            out.append("eh")
            continue
        part = _arabic_letter(skel, i, persianate)
        signs = marks.get(i, ())
        if AR_SHADDA in signs and c in AR_CONSONANTS:
            part += part
        out.append(part + "".join(AR_HARAKAT.get(m, "") for m in signs))
    return "".join(out)


# --- Hebrew (points are dropped: names are written without them) -----------------------------
HE_CONSONANTS = {"ג": "g", "ד": "d", "ז": "z", "ח": "kh", "ט": "t", "ך": "kh", "ל": "l",
                 "מ": "m", "ם": "m", "נ": "n", "ן": "n", "ס": "s", "פ": "p", "ף": "f", "צ": "ts",
                 "ץ": "ts", "ק": "k", "ר": "r", "ש": "sh", "ת": "t"}
HE_GERESH = {"ג": "j", "ז": "zh", "צ": "ch", "ץ": "ch"}
HE_MATRES = frozenset("אויהע")


def _hebrew_letter(word: str, i: int) -> str:
    """One letter of a Hebrew word (letters only) in its context."""
    c, prev = word[i], word[i - 1] if i else ""
    nxt = word[i + 1] if i + 1 < len(word) else ""
    if c in "בכ":                                       # b/k initially, v/kh after a vowel
        return {"ב": "b", "כ": "k"}[c] if not prev else {"ב": "v", "כ": "kh"}[c]
    if c in HE_CONSONANTS:
        return HE_CONSONANTS[c]
    if c in "אע":
        return "a" if not prev or c == "ע" and nxt else ""
    if c == "ה":
        return "a" if not nxt and i > 1 else "h"
    if c == "ו":
        if not prev or nxt == "ו" or nxt in HE_MATRES or (not nxt and prev == "י"):
            return "v"
        return "u" if not nxt else "o"
    if c == "י":
        return "y" if not prev or nxt in HE_MATRES or prev == "י" else "i"
    return ""


def _hebrew(word: str) -> str:
    """Latinize one Hebrew word: consonants by table, א ו י ה ע by position, geresh (׳) for
    j/zh/ch, and a vowel between a consonant and a medial ה (כהן -> "kehn", not "khn")."""
    chars: list[str] = []
    geresh: set[int] = set()
    for c in word:
        if "\u05d0" <= c <= "\u05ea":
            chars.append(c)
        elif c == "\u05f3" and chars:
            geresh.add(len(chars) - 1)
    letters, out = "".join(chars), []
    for i, c in enumerate(letters):
        part = HE_GERESH[c] if i in geresh and c in HE_GERESH else _hebrew_letter(letters, i)
        if part[-1:] in DIGRAPH_HEADS and letters[i + 1:i + 2] == "ה" and i + 2 < len(letters):
            part += "e"
        out.append(part)
    return "".join(out)


# --- Cyrillic -------------------------------------------------------------------------------
CY_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    "є": "ye", "ї": "yi", "і": "i", "ґ": "g", "ў": "u",                         # uk, be
    "ђ": "dj", "ј": "j", "љ": "lj", "њ": "nj", "ћ": "c", "џ": "dz", "ѓ": "gj", "ќ": "kj",
    "ѕ": "dz",                                                                  # sr, mk
    "ә": "a", "ғ": "gh", "қ": "q", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    "ҳ": "h", "ҷ": "j", "ӣ": "i", "ӯ": "u", "җ": "zh", "ҹ": "j", "ҝ": "g", "ӏ": "",
}


# Chinese syllables in Russian (Palladius) spelling: чж and цз are written in no Russian word;
# they stand for pinyin zh, and z (j before и я ю е; цзы is zi): Чжан Zhang, Цзян Jiang,
# Цзун Zong, Цзыян Ziyang. Without them чж read "chzh" and цз "tsz".
CY_PALLADIUS = {"чж": "zh", "цз": "z"}
CY_PALLADIUS_J = frozenset("ияюе")


# The scholarly reading of Cyrillic (ISO 9, and the Latin alphabets of Serbo-Croatian, Czech,
# Slovak, Slovene), with the diacritics dropped as lists and keyboards drop them: how the names
# of people from those countries, and many others, are written in Latin (Кнежевић Knežević ->
# KNEZEVIC, Жигић Zigic, Новацкий Nowacki, Йодль Jodl, Хегедушич Hegedusic), where CY_TABLE
# gives the English (BGN/PCGN) spelling (knezhevich, zhigich, novatskiy, yodl, khegedushich).
# Queries in Cyrillic are screened in both readings (normalize.reading_forms). Overrides of
# CY_TABLE; дж is the dž of ISO 9 and the j of English names (Джаффе Jaffe, Джанноне Giannone).
CY_SCHOLARLY = {"ж": "z", "х": "h", "ц": "c", "ч": "c", "ш": "s", "щ": "sc", "й": "j", "ю": "ju",
                "я": "ja", "ё": "e", "є": "je", "ї": "ji", "дж": "j"}


def _cyrillic(word: str, east_slavic: bool, scholarly: bool = False) -> str:
    """Latinize one Cyrillic word; Ukrainian/Belarusian г -> h, и -> y, -ий -> -yi;
    Palladius чж and цз (CY_PALLADIUS); with `scholarly`, CY_SCHOLARLY's reading."""
    out = []
    i = 0
    while i < len(word):
        c, pair = word[i], word[i:i + 2]
        if scholarly and (pair in CY_SCHOLARLY or c in CY_SCHOLARLY):
            out.append(CY_SCHOLARLY.get(pair) or CY_SCHOLARLY[c])
            i += 2 if pair in CY_SCHOLARLY else 1
            continue
        if pair in CY_PALLADIUS:
            after = word[i + 2:i + 3]
            if c == "ц" and after == "ы":
                out.append("zi")
                i += 3
                continue
            out.append("j" if c == "ц" and after in CY_PALLADIUS_J else CY_PALLADIUS[pair])
            i += 2
            continue
        if east_slavic and c in "гий":
            out.append({"г": "h", "и": "y", "й": "i" if i and word[i - 1] == "и" else "y"}[c])
        else:
            out.append(CY_TABLE[c] if c in CY_TABLE else anyascii(c))
        i += 1
    return "".join(out)


# --- Brahmic, Thai/Lao, Hangul ----------------------------------------------------------------
BRAHMIC = frozenset({"DEVANAGARI", "BENGALI", "GURMUKHI", "GUJARATI", "ORIYA", "TAMIL",
                     "TELUGU", "KANNADA", "MALAYALAM", "SINHALA"})
# Where anyascii follows ISO 15919 (c, s, r) but names are spelt ch, sh, ri (Mahesh, Chandra).
BRAHMIC_SPELLINGS = {"LETTER CA": "ch", "LETTER CHA": "chh", "LETTER SHA": "sh",
                     "LETTER SSA": "sh", "LETTER VOCALIC R": "ri", "VOWEL SIGN VOCALIC R": "ri",
                     "SIGN ANUSVARA": "n"}
THAI_LEADING_VOWEL = re.compile("([เแโใไເແໂໃໄ])(.)")
THAI_SILENT = re.compile(".[\u0e4c\u0ecc]")              # a consonant under thanthakhat
KOREAN_SURNAMES = {"김": "kim", "박": "pak", "이": "lee", "리": "ri", "강": "kang", "조": "cho",
                   "임": "lim", "신": "shin", "권": "kwon", "곽": "kwak", "고": "ko", "구": "ku",
                   "길": "kil", "백": "baek", "국": "kook", "공": "kong", "계": "kye"}


@lru_cache(maxsize=4096)
def _brahmic_char(c: str) -> tuple[str, str]:
    """(Latin, kind) of one Brahmic character: consonant, vowel_sign, virama or other."""
    name = unicodedata.name(c, "").split(" ", 1)[-1]
    latin = BRAHMIC_SPELLINGS.get(name, anyascii(c))
    if name.startswith("LETTER") and latin[-1:] not in ("a", "e", "i", "o", "u", ""):
        return latin, "consonant"
    if name.startswith("VOWEL SIGN"):
        return latin, "vowel_sign"
    return latin, "virama" if name == "SIGN VIRAMA" else "other"


def _brahmic(word: str) -> str:
    """Latinize a Brahmic word: a consonant takes "a" unless a vowel sign or virama follows;
    a final bare consonant stays bare (Hindi schwa deletion) unless it ends a cluster."""
    chars = [c for c in word if "NUKTA" not in unicodedata.name(c, "")]
    out = []
    for i, c in enumerate(chars):
        latin, kind = _brahmic_char(c)
        out.append(latin)
        if kind != "consonant":
            continue
        if i + 1 < len(chars):
            if _brahmic_char(chars[i + 1])[1] not in ("vowel_sign", "virama"):
                out.append("a")
        elif i and _brahmic_char(chars[i - 1])[1] == "virama":
            out.append("a")                             # final cluster: नरेन्द्र -> narendra
    return "".join(out)


def _hangul(run: str) -> str:
    syllables = [anyascii(c) for c in run]
    if len(run) in (1, 3):                              # a lone surname, or surname + 2
        syllables[0] = KOREAN_SURNAMES.get(run[0], syllables[0])
    return " " + " ".join(syllables) + " "


# --- Words and script runs ------------------------------------------------------------------
@lru_cache(maxsize=8192)
def _script(c: str) -> str:
    """Coarse script of one character, as used to pick a transliterator."""
    o = ord(c)
    if o < 0x250 or 0x1E00 <= o <= 0x1EFF:
        return "latin"
    if 0x600 <= o <= 0x6FF or 0x750 <= o <= 0x77F or 0x8A0 <= o <= 0x8FF or c == ZWNJ:
        return "arabic"
    if 0x590 <= o <= 0x5FF:
        return "hebrew"
    if 0x400 <= o <= 0x52F or 0x1C80 <= o <= 0x1C8F or 0xA640 <= o <= 0xA69F:
        return "cyrillic"
    if 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or o >= 0x20000:
        return "han"
    if 0xAC00 <= o <= 0xD7AF:
        return "hangul"
    return "brahmic" if unicodedata.name(c, "").split(" ")[0] in BRAHMIC else "other"


def _hints(text: str) -> frozenset[str]:
    """Language hints of a whole casefolded name: "east_slavic" (Ukrainian/Belarusian letters,
    not Kazakh ones) and "persianate" (letters of Persian, Urdu, Pashto but not Arabic)."""
    hints = set()
    if any(c in "єїґў" for c in text) or (
            "і" in text and not any(c in "әғқңөұүһ" for c in text)):
        hints.add("east_slavic")
    if any(c in PERSIANATE_LETTERS for c in text):
        hints.add("persianate")
    return frozenset(hints)


def _words(text: str) -> list[str]:
    """Split NFKC text into words (pipeline step 2)."""
    words, buf = [], []
    for c in text:
        category = unicodedata.category(c)
        if c in APOSTROPHES and buf and _script(buf[-1]) == "hebrew":
            buf.append("\u05f3")                        # geresh: ג'ורג' -> "jorj"
        elif c in APOSTROPHES or category == "Sk" or (c in INVISIBLE and c != ZWNJ):
            pass
        elif c == ZWNJ:
            if buf and _script(buf[-1]) == "arabic":
                buf.append(c)
        elif category[0] in "LMN":
            buf.append(c)
        elif buf:
            words.append("".join(buf))
            buf = []
    if buf:
        words.append("".join(buf))
    return words


def _runs(word: str) -> list[tuple[str, str]]:
    """Split a word into (script, text) runs; marks stay with the run before them."""
    runs: list[tuple[str, str]] = []
    for c in word:
        script = _script(c)
        if runs and (script == runs[-1][0] or unicodedata.category(c)[0] == "M"):
            runs[-1] = (runs[-1][0], runs[-1][1] + c)
        else:
            runs.append((script, c))
    return runs


def _latinize_run(script: str, run: str, hints: frozenset[str]) -> str:
    if script == "arabic":
        return _arabic(run, "persianate" in hints)
    if script == "hebrew":
        return _hebrew(run)
    if script == "cyrillic":
        return _cyrillic(run, "east_slavic" in hints, "scholarly" in hints)
    if script == "brahmic":
        return _brahmic(run)
    if script == "han":
        return " " + " ".join(anyascii(c) for c in run) + " "
    if script == "hangul":
        return _hangul(run)
    return anyascii(THAI_LEADING_VOWEL.sub(r"\2\1", THAI_SILENT.sub("", run)))


# Spacing accents that NFKC would turn into a space and a combining mark.
SPACING_ACCENTS = str.maketrans("", "", "˜¨´¯˘˙˚˛˝¸")
# anyascii marks ejectives, ayin, hamza with ' or `: inside a word they are dropped, not split.
NOT_ALNUM_OR_SPACE = re.compile(r"[^a-z0-9 ]+")


ASCII_APOSTROPHES = re.compile(r"['`]")
ASCII_SEPARATORS = re.compile(r"[^a-z0-9]+")


def latinize(text: str, scholarly: bool = False) -> str:
    """Transliterate a name in any script to lower-case ASCII Latin words (see module doc);
    with `scholarly`, Cyrillic in its scholarly reading (CY_SCHOLARLY)."""
    if text.isascii():
        # Fast path, same output as the general one (checked on all 43,847 ASCII names of the
        # bundled lists): apostrophes join, any other non-alphanumeric separates.
        return " ".join(ASCII_SEPARATORS.sub(" ", ASCII_APOSTROPHES.sub("", text.lower())).split())
    text = unicodedata.normalize("NFKC", text.translate(SPACING_ACCENTS))
    hints = _hints(text.casefold()) | ({"scholarly"} if scholarly else set())
    out = []
    for word in _words(text):
        if any(c.isalpha() and _script(c) == "latin" for c in word):
            word = word.translate(HOMOGLYPHS)
        out.extend(_latinize_run(s, r, hints) for s, r in _runs(word.casefold()))
        out.append(" ")
    return " ".join(NOT_ALNUM_OR_SPACE.sub("", "".join(out).lower()).split())


# --- Phonetic key and token similarity ------------------------------------------------------
# Spellings of one sound, or of sounds that scripts confuse (Arabic has no p, v, g: ب ف ج/غ
# stand for them), folded before vowels drop. Evidence (dev token sets, recall at 2% FPR on
# near-miss negatives): without p=b, v=f=w, g=j=gh wd_arabic 85.9 -> 74.8, ar2en 91.2 -> 83.3.
KEY_FOLDS = {
    "shch": "s", "sch": "s", "sh": "s", "sz": "s", "zh": "j", "dzh": "j", "dj": "j", "dz": "j",
    "tch": "c", "ch": "c", "kh": "h", "gh": "j", "g": "j", "ph": "f", "v": "f", "w": "f",
    "p": "b", "th": "t", "dh": "d", "ck": "k", "ts": "z", "tz": "z", "q": "k", "x": "ks",
    "ce": "se", "ci": "si", "cy": "si", "c": "k",
    # Other Latin spellings of Cyrillic щ, ч, дж, ж, as Russian names are written in Polish
    # (Szczepan, Kaczmarek), German (Tschechow, Dschugaschwili), French (Chtchoukine),
    # Dutch (Andrejevitsj) and Hungarian (Csaba): the key of the English spelling. (Not
    # Hungarian zs for ж: Arabic-script names latinize ز+س to "zs", بالازس for Palazzese.)
    "szcz": "s", "schtsch": "s", "chtch": "s", "cz": "c", "tsch": "c", "tsj": "c", "cs": "c",
    "dsch": "j",
}
KEY_FOLD = re.compile("|".join(sorted(KEY_FOLDS, key=len, reverse=True)))
# Second readings of ambiguous spellings, tried as an alternative key: Persian ق (Ghasem),
# Persian/Turkish ث (Osman), ذ as z, و as a vowel (Dawood/Daud), Slavic j (Jelica), Greek ch
# (Christo, and -vich for -vic), ز+ه (Azhar), Ukrainian h for Russian g (Ihor/Igor);
# dj, dzh, gh are kept whole.
# Without them, recall at 2% near-miss FPR: wd_arabic 85.9 -> 83.4, wd_russian 85.4 -> 84.1.
# And (engine 1.2.0) the readings of other national spellings of Cyrillic names: a c for ч,
# Serbo-Croatian ć/č without the accent and Italian ce/ci (Kovacic, Dolce), and ts for c, the
# Polish and Czech ц (Nowacki, Cetkovska); Japanese ти and дз in Polivanov's Russian spelling
# (Китагути Kitaguchi, Мидзухара Mizuhara); ш written ch in French (Cheron, and Chérif for
# Sharif); Polish rz for ж (Bierzynski); the z that German, Italian and Spanish s and z trade
# with Russian з and с (Залька Salka, Гонсалес Gonzalez); Italian and French gn for нь
# (Валиньяно Valignano). cz, cs, ck are kept whole. All of a token's second readings are
# applied together, so one can undo another: not х -> ch, which took the -vić reading from
# Mikhailović and added nothing. Recall at review, bench/quality.py: dev_translit_ru_tokens
# 74.9 -> 76.8, google_ar2en 82.7 -> 83.2, translit_ar 79.3 -> 79.8, SDN 2021 aliases 51.1 ->
# 51.3; false alerts unchanged (hard negatives 52/1800, screened people 20/2000).
KEY_ALTS = {"q": "gh", "th": "s", "dh": "z", "w": "u", "j": "y", "ch": "k", "zh": "zeh",
            "g": "h", "dj": "dj", "dzh": "dzh", "gh": "gh",
            "c": "ch", "ts": "c", "ti": "chi", "dz": "z", "sh": "ch", "rz": "rzh", "z": "s",
            "gn": "n", "cz": "cz", "cs": "cs", "ck": "ck"}
# Where a second reading applies only in context: a word-initial c is mostly k (Christian,
# Carlos), and ti before a vowel is not Japanese chi (Christian, Sebastian, Tiago).
KEY_ALT_CONTEXT = {"c": "(?<=[a-z])c", "ti": "ti(?![aeiouy])"}
KEY_ALT = re.compile("|".join(KEY_ALT_CONTEXT.get(k, k)
                              for k in sorted(KEY_ALTS, key=len, reverse=True)))
KEY_FINAL_H = re.compile(r"(?<=[aeiouy])h$")
KEY_LEADING_VOWELS = re.compile(r"^[aeiouy]+")
KEY_VOWELS = re.compile(r"[aeiouy]+")
KEY_DOUBLES = re.compile(r"(.)\1+")
VOWEL = re.compile("[aeiou]")
# A token without vowels (محمد -> "mhmd") is judged by its key alone, scaled by this: few dev
# tokens lack vowels (dev recall unchanged, +0.4 at 2% near-miss FPR), but Arabic list names
# often do: "mhmd"~"mohammad" 0.69 -> 0.90, "hsn"~"hassan" 0.70 -> 0.90.
VOWELLESS_KEY_SCALE = 0.9


def _folded(match: re.Match) -> str:
    return KEY_FOLDS[match.group()]


def _alternative(match: re.Match) -> str:
    return KEY_ALTS[match.group()]


def _fold(token: str) -> str:
    return KEY_FOLD.sub(_folded, KEY_FINAL_H.sub("", token))


def _key(token: str) -> str:
    key = KEY_LEADING_VOWELS.sub("a", _fold(token), count=1)
    return KEY_DOUBLES.sub(r"\1", key[:1] + KEY_VOWELS.sub("", key[1:]))


# _key's steps over many tokens at once, one per line: `$`, `^` and "after a letter" are per
# line, and no pattern crosses a newline (tokens are letters and digits).
_LINE_FINAL_H = re.compile(r"(?<=[aeiouy])h$", re.MULTILINE)
_LINE_LEADING_VOWELS = re.compile(r"^[aeiouy]+", re.MULTILINE)
_LINE_INNER_VOWELS = re.compile(r"(?<=[^\n])[aeiouy]+")


def name_keys(tokens: Sequence[str]) -> list[str]:
    """name_key of each token, computed for all of them in one pass of each of _key's regular
    expressions over the tokens joined by newlines (the same values: a test holds them equal
    over every token of the bundled lists). For the index's 84,656 list tokens and joined
    pairs: 0.37 s one call per token, 0.18 s in bulk; their second keys 0.34 s and 0.22 s
    (uncached, measured in one process)."""
    return _keys_of(_fold_lines(tokens)) if tokens else []


def profiles(tokens: Sequence[str]) -> list[Profile]:
    """_profile of each token: by the compiled KEY_RULES where they are built, else in bulk as
    name_keys (the tokens folded once for keys and skeletons)."""
    if KEY_RULES is None:
        return _bulk_profiles(tokens)
    made = [KEY_RULES.profile(t) for t in tokens]
    return [_python_profile(t) if p is NotImplemented else p for t, p in zip(tokens, made)]


def _bulk_profiles(tokens: Sequence[str]) -> list[Profile]:
    if not tokens:
        return []
    folded = _fold_lines(tokens)
    keys = _keys_of(folded)
    return list(zip(keys, second_keys(tokens, keys), _skeletons_of(folded),
                    [VOWEL.search(t) is not None for t in tokens]))


def _fold_lines(tokens: Sequence[str]) -> str:
    return KEY_FOLD.sub(_folded, _LINE_FINAL_H.sub("", "\n".join(tokens)))


def _keys_of(folded: str) -> list[str]:
    text = _LINE_INNER_VOWELS.sub("", _LINE_LEADING_VOWELS.sub("a", folded))
    return KEY_DOUBLES.sub(r"\1", text).split("\n")


def _skeletons_of(folded: str) -> list[str]:
    return KEY_DOUBLES.sub(r"\1", KEY_VOWELS.sub("a", folded)).split("\n")


def second_keys(tokens: Sequence[str], keys: Sequence[str]) -> list[str]:
    """_second_key of each token, given their name_keys, in bulk as name_keys."""
    seconds = KEY_ALT.sub(_alternative, "\n".join(tokens)).split("\n") if tokens else []
    changed = [i for i, (token, second) in enumerate(zip(tokens, seconds)) if second != token]
    out = list(keys)
    for i, key in zip(changed, name_keys([seconds[i] for i in changed])):
        out[i] = key
    return out


# Tokens whose profile and key are kept. Realistic batch accounts meet ~9,300 distinct tokens
# in 300,000 rows, but a new joined pair per new name: at 1 << 18 both caches kept growing
# for a million rows (~300 and ~150 bytes an entry). Profiles are asked for query tokens
# (list tokens' are KeyedVocabulary's own); keys for query tokens, and for the lists' tokens
# once, at build (token weights). At 1 << 16 and 1 << 17 they were still filling at 150,000
# and 250,000 rows of bench/batch.py's mix; at these sizes (as NameIndex.SIMILAR_CACHE, whose
# misses are what asks for a profile) both are full before 50,000 rows. (Key groups once
# asked keys for list tokens too: then 1 << 16 was ~2% slower than 1 << 17.)
PROFILE_CACHE = 1 << 15
KEY_CACHE = 1 << 16


# (name_key, key of the second reading, skeleton, has a vowel) of one token (_profile)
Profile = tuple[str, str, str, bool]


def _key_rules() -> object | None:
    """The key rules compiled (speedups' KeyRules), or None where they are not built or
    KEY_ALT_CONTEXT holds a context they do not know (after a letter, not before a vowel)."""
    if not speedups.wanted(None):
        return None
    after = tuple(k for k, pattern in KEY_ALT_CONTEXT.items() if pattern == f"(?<=[a-z]){k}")
    before = tuple(k for k, pattern in KEY_ALT_CONTEXT.items() if pattern == f"{k}(?![aeiouy])")
    if len(after) + len(before) != len(KEY_ALT_CONTEXT):
        return None
    return speedups.native.KeyRules(KEY_FOLDS, KEY_ALTS, after, before)


# _profile and name_key in C where built: the same values (tests/compliance/matching/
# test_speedups.py), ~1.4 us a token against ~11 us (a query's new tokens and joined pairs: ~35 us
# of a ~460 us first-sight screen).
KEY_RULES = _key_rules()


@lru_cache(maxsize=PROFILE_CACHE)
def _profile(token: str) -> Profile:
    """(name_key, key of the second reading, skeleton, has a vowel) of one token.

    The second reading applies KEY_ALTS (equal to name_key when none applies); the skeleton
    is the folded token with each vowel run as "a" (consonants and syllable count).
    """
    if KEY_RULES is not None:
        found = KEY_RULES.profile(token)
        if found is not NotImplemented:  # not ASCII
            return found
    return _python_profile(token)


def _python_profile(token: str) -> Profile:
    key = _key(token)
    skeleton = KEY_DOUBLES.sub(r"\1", KEY_VOWELS.sub("a", _fold(token)))
    return key, _second_key(token, key), skeleton, VOWEL.search(token) is not None


def _second_key(token: str, key: str) -> str:
    """The key of the token's second reading (KEY_ALTS applied); `key` (its name_key) if none applies."""
    second = KEY_ALT.sub(_alternative, token)
    return key if second == token else _key(second)


def key_readings(token: str) -> tuple[str, ...]:
    """The token's name_key, then its second reading's key where that differs."""
    key, second = _profile(token)[:2]
    return (key,) if second == key else (key, second)


@lru_cache(maxsize=KEY_CACHE)
def name_key(token: str) -> str:
    """Vowel-free phonetic key of one latinized token: "khamenei" -> "hmn", "ali" -> "al".

    Equivalent consonant spellings are folded (KEY_FOLDS), a word-final h after a vowel is
    dropped, a leading vowel (or y) becomes "a", other vowels are dropped, doubles collapse.
    """
    if KEY_RULES is not None:
        found = KEY_RULES.key(token)
        if found is not NotImplemented:
            return found
    return _key(token)


def token_similarity(a: str, b: str) -> float:
    """Similarity (0..1) of two latinized name tokens, symmetric; 1.0 only if equal.

    The mean of normalized Levenshtein similarities of the tokens, of their skeletons and of
    their name_keys (the best pairing of first and second readings); the three-way mean
    scored best of the combinations tried (Jaro-Winkler, Indel, max-forms) on the dev token
    sets. A token without vowels is judged by its key alone, scaled by VOWELLESS_KEY_SCALE.
    """
    if a == b:
        return 1.0
    ka, xa, sa, vowel_a = _profile(a)
    kb, xb, sb, vowel_b = _profile(b)
    similarity = Levenshtein.normalized_similarity
    key = similarity(ka, kb)
    if key < 1.0 and (xa != ka or xb != kb):
        key = max(key, similarity(xa, kb), similarity(ka, xb), similarity(xa, xb))
    score = (similarity(a, b) + similarity(sa, sb) + key) / 3
    if key > score and not (vowel_a and vowel_b) and len(ka) > 2 and len(kb) > 2:
        score = max(score, VOWELLESS_KEY_SCALE * key)
    return score


class KeyedVocabulary:
    """Latinized tokens grouped by name_key, for comparing one token against many groups.

    `similar(token, keys, floor, seconds, edits)` gives the same values as token_similarity
    against every token of the key groups `keys`, every token whose second reading's key is
    in `seconds`, and every token of an `edit_key`-letter key listed under one of `edits`
    (`by_edit`: one edit from the token whose `edit_variants` they are), in bulk: each of its
    parts (edit, skeleton and key similarity, the last the best of the four pairings of first
    and second readings, which is what token_similarity's conditions amount to) in rapidfuzz
    batch calls, or in compiled code (`speedups.native`, the default where it is built;
    `native=False` keeps to the Python path), which gives the same values.

    `related(token, floor)` is `similar` over the groups a token may match: its readings' keys,
    the keys one letter edit from its key (`deletion_key` letters or more; one letter fewer:
    deletions only), its readings as second readings, and for a key of `edit_key` letters the
    token's edit variants. The compiled vocabulary finds those groups itself.
    """

    def __init__(self, tokens: Iterable[str], edit_key: int = 0, deletion_key: int = 0,
                 native: bool | None = None) -> None:
        tokens = list(tokens)
        # every token's _profile, computed in bulk here rather than one by one when its group
        # is first probed (first-sight screening spent ~10% of its time there)
        made = profiles(tokens)
        self._profiles: dict[str, Profile] = dict(zip(tokens, made))
        groups: dict[str, list[str]] = defaultdict(list)
        seconds: dict[str, list[str]] = defaultdict(list)
        for token, (key, second, _, _) in zip(tokens, made):
            groups[key].append(token)
            if second != key:
                seconds[second].append(token)
        self.by_key: dict[str, list[str]] = dict(groups)
        # second reading's key -> the tokens that have it, where it is not their name_key
        self.by_second: dict[str, list[str]] = dict(seconds)
        # tokens whose key has `edit_key` letters, under themselves and each of their one-letter
        # deletions: one edit apart is sharing an entry
        edits: dict[str, list[str]] = defaultdict(list)
        for key, members in self.by_key.items():
            if len(key) == edit_key:
                for token in members:
                    for variant in edit_variants(token):
                        edits[variant].append(token)
        self.by_edit: dict[str, list[str]] = dict(edits)
        self.edit_key, self.deletion_key = edit_key, deletion_key
        self._groups: dict[str, KeyGroup] = {}  # made on first use: most keys are never probed
        self._loose: dict[tuple[bool, str], LooseGroup] = {}
        self._native = None
        if speedups.wanted(native):
            self._native = _native_vocabulary(self._profiles, (self.by_key, self.by_second, self.by_edit),
                                              deletion_key, edit_key)
        # string -> the keys one letter longer, for the Python path only: the compiled
        # vocabulary keeps its own (for the default lists, 283,831 strings: 49 MB as Python
        # objects by tracemalloc, 12 MB of flat arrays there)
        self._longer: dict[str, list[str]] = {}
        if self._native is None and deletion_key:
            longer: dict[str, list[str]] = defaultdict(list)
            for key in self.by_key:
                if len(key) >= deletion_key:
                    for d in deletions(key):
                        longer[d].append(key)
            self._longer = dict(longer)

    def longer(self, key: str) -> list[str]:
        """The keys one letter longer than `key` (of deletion_key letters or more), in by_key's order."""
        if self._native is not None:
            return self._native.longer(key)
        return self._longer.get(key, [])

    def related(self, token: str, floor: float) -> dict[str, float]:
        """similar(token, ...) at or above `floor` over the groups the token may match (the
        class's docstring), each key group once, in order of first mention."""
        ka, xa, sa, vowel_a = _profile(token)
        if self._native is not None:
            found = self._native.related(token, ka, xa, sa, vowel_a, floor)
            if found is not NotImplemented:  # a query string too long for it, or not ASCII
                return found
        readings = (ka,) if xa == ka else (ka, xa)
        keys = list(readings)
        if self.deletion_key and len(ka) >= self.deletion_key - 1:
            shorter = deletions(ka)
            keys += self.longer(ka)  # the list key has one letter more
            keys += shorter  # one letter less
            if len(ka) >= self.deletion_key:
                for d in shorter:
                    keys += self.longer(d)  # one letter substituted
        edits = edit_variants(token) if len(ka) == self.edit_key else ()
        return self.similar(token, dict.fromkeys(keys), floor, readings, edits)

    def similar(self, token: str, keys: Iterable[str], floor: float, seconds: Iterable[str] = (),
                edits: Iterable[str] = ()) -> dict[str, float]:
        """token_similarity(token, t) at or above `floor` for every t in the key groups `keys`,
        whose second reading's key is in `seconds`, or listed under one of `edits` (by_edit).
        A token found twice is compared twice, to the same value."""
        ka, xa, sa, vowel_a = _profile(token)
        if self._native is not None:
            found = self._native.similar(token, ka, xa, sa, vowel_a, floor, keys, seconds, edits)
            if found is not NotImplemented:  # a query string too long for it, or not ASCII
                return found
        tokens: list[str] = []
        skeletons: list[str] = []
        group_keys: list[str] = []  # the groups' keys (their tokens' name_key)
        sizes: list[int] = []  # and sizes
        alternatives: list[str] = []  # each token's second reading
        lifted: list[int] = []  # positions where a vowel-less side may be judged by its key
        long_key = len(ka) > 2
        for kb in keys:
            group = self._groups.get(kb)
            if group is None:
                if kb not in self.by_key:
                    continue
                group = self._groups[kb] = _key_group(self.by_key[kb], self._profiles)
            group_tokens, group_skeletons, group_alternatives, vowelless = group
            if long_key and len(kb) > 2 and (vowelless or not vowel_a):
                lifted += [len(tokens) + i for i in (vowelless if vowel_a else range(len(group_tokens)))]
            tokens += group_tokens
            skeletons += group_skeletons
            group_keys.append(kb)
            sizes.append(len(group_tokens))
            alternatives += group_alternatives
        for by_edit, wanted in ((False, seconds), (True, edits)):
            for lookup in wanted:
                loose = self._loose.get((by_edit, lookup))
                if loose is None:
                    members = (self.by_edit if by_edit else self.by_second).get(lookup)
                    if members is None:
                        continue
                    loose = self._loose[(by_edit, lookup)] = _loose_group(members, self._profiles)
                (group_tokens, group_skeletons, group_alternatives, vowelless), own_keys, ones, long_keyed = loose
                if long_key and long_keyed and (vowelless or not vowel_a):
                    lifted += [len(tokens) + i for i in long_keyed if not vowel_a or i in vowelless]
                tokens += group_tokens
                skeletons += group_skeletons
                group_keys += own_keys
                sizes += ones
                alternatives += group_alternatives
        if not tokens:
            return {}
        readings = (ka,) if xa == ka else (ka, xa)
        key = _similarities(readings, group_keys + alternatives).max(axis=0)
        key = np.maximum(np.repeat(key[:len(group_keys)], sizes), key[len(group_keys):])
        score = (_similarities((token,), tokens)[0] + _similarities((sa,), skeletons)[0] + key) / 3
        for i in lifted:
            if key[i] > score[i]:
                score[i] = max(score[i], VOWELLESS_KEY_SCALE * key[i])
        found = np.flatnonzero(score >= floor)
        return dict(zip([tokens[i] for i in found.tolist()], score[found].tolist()))


def _native_vocabulary(known: dict[str, Profile], groups: tuple[dict[str, list[str]], ...], deletion_key: int,
                       edit_key: int):
    """The compiled KeyedVocabulary (`groups`: by key, by second reading, by edit), its tokens
    laid out one key group after the other; None if a token is not ASCII."""
    tokens = [t for members in groups[0].values() for t in members]  # so a key group is a run of positions
    position = dict(zip(tokens, range(len(tokens))))
    made = [known[t] for t in tokens]
    keys, seconds, skeletons, vowels = (list(column) for column in zip(*made)) if made else ([], [], [], [])
    try:
        return speedups.native.Vocabulary(tokens, skeletons, keys, seconds, vowels,
                                          *(_positions(group, position) for group in groups), VOWELLESS_KEY_SCALE,
                                          deletion_key, edit_key)
    except ValueError:  # a string it cannot hold (not ASCII)
        return None


def _positions(group: dict[str, list[str]], position: dict[str, int]) -> dict[str, bytes]:
    """key -> the int32 positions of its tokens, as bytes (sliced from one array: ~150,000
    groups, one numpy array each took 0.2 s of the build)."""
    data = np.fromiter((position[t] for members in group.values() for t in members), dtype=np.int32).tobytes()
    ends = np.cumsum([4 * len(members) for members in group.values()]).tolist()
    return {key: data[start:end] for key, start, end in zip(group, [0, *ends], ends)}


def deletions(text: str) -> tuple[str, ...]:
    """The strings one letter shorter than `text`, each once, in order of the letter deleted."""
    return tuple(dict.fromkeys([text[:i] + text[i + 1:] for i in range(len(text))]))


def edit_variants(token: str) -> tuple[str, ...]:
    """The token and each of its one-letter deletions: two tokens one edit (or one adjacent
    swap) apart share one of these."""
    return (token, *deletions(token))


def _similarities(queries: Sequence[str], choices: list[str]) -> np.ndarray:
    """Normalized Levenshtein similarity of each query (rows) to each choice (columns)."""
    return cdist(queries, choices, scorer=Levenshtein.normalized_similarity, dtype=np.float64)


# One key's tokens, with their skeletons, second readings and the positions of the vowel-less
# ones. Plain tuples of strings and ints, which the cyclic garbage collector stops tracking:
# kept as objects, the groups a long-running process accumulates brought full collections
# (~45 ms each) into bench/speed.py's first-sight pass, which had none.
KeyGroup = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[int, ...]]


def _key_group(tokens: Sequence[str], known: dict[str, Profile]) -> KeyGroup:
    profiles = [known[t] for t in tokens]
    return (tuple(tokens), tuple(p[2] for p in profiles), tuple(p[1] for p in profiles),
            tuple(i for i, p in enumerate(profiles) if not p[3]))


# Tokens of different keys, found together some other way than by key: the KeyGroup, each
# token's name_key, a 1 per token (their group sizes), and the positions whose key has 3+
# letters (where a vowel-less side may be judged by its key).
LooseGroup = tuple[KeyGroup, tuple[str, ...], tuple[int, ...], tuple[int, ...]]


def _loose_group(tokens: Sequence[str], known: dict[str, Profile]) -> LooseGroup:
    keys = tuple(known[t][0] for t in tokens)
    return _key_group(tokens, known), keys, (1,) * len(tokens), tuple(i for i, k in enumerate(keys) if len(k) > 2)
