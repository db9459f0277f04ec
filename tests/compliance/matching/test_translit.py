"""Golden tables for latinize, name_key and token_similarity (compliance.matching.translit)."""
import re

import pytest

from compliance.matching.translit import latinize, name_key, token_similarity

LATINIZE = [
    # Arabic: vowel letters by position, article as its own word, harakat and shadda if written
    ("علی خامنه‌ای", "ali khamnei"),
    ("سید علی حسینی خامنه‌ای", "sid ali hsini khamnei"),
    ("محمد", "mhmd"),
    ("مُحَمَّد", "muhammad"),
    ("ﻣﺤﻤﺪ", "mhmd"),                                   # presentation forms (NFKC)
    ("القاعدة", "al qaada"),
    ("عبدالله", "abdallah"),
    ("ﷲ", "allah"),
    ("أسامة بن لادن", "asama bn ladn"),
    ("أبو بكر البغدادي", "abu bkr al bghdadi"),
    ("موسى", "musa"),
    ("إبراهيم", "ibrahim"),
    ("تشيلي", "chili"),                                 # تش = foreign ch
    ("حمدي", "hmdi"),                                   # no letter for the short a
    # Persian (ی ک پ چ ژ گ mark it: ض/ذ/ظ -> z, consonant و -> v) and a medial ه
    ("محسن رضایی", "mhsn rzayi"),
    ("محمود احمدی‌نژاد", "mhmud ahmdinzhad"),
    ("حسین دهقان", "hsin dehqan"),
    ("محمد جواد ظریف", "mhmd jvad zrif"),
    # Urdu, Pashto
    ("مسعود اظہر", "msaud azehr"),
    ("ذوالفقار علی بھٹو", "zvalfqar ali bhtu"),
    ("ګلبدین حکمتیار", "glbdin hkmtyar"),
    # Cyrillic: Russian, Ukrainian (і ї є ґ switch г->h, и->y), Serbian, Kazakh
    ("Али Хаменеи", "ali khamenei"),
    ("Джохар Царнаев", "dzhokhar tsarnaev"),
    ("Пётр Щербаков", "pyotr shcherbakov"),
    ("Ігор Коломойський", "ihor kolomoyskyi"),
    ("Аляксандр Лукашэнка", "alyaksandr lukashenka"),
    ("Ђоковић Новак", "djokovic novak"),
    ("Қасым-Жомарт Тоқаев", "qasym zhomart toqaev"),
    # Chinese names in Russian (Palladius) spelling: чж = zh, цз = z (j before и я ю е, цзы zi)
    ("Чжан Цзэминь", "zhan zemin"),
    ("Цзян Цзинго", "jyan jingo"),
    ("Цзыян", "ziyan"),
    ("Дзержинский Цветков", "dzerzhinskiy tsvetkov"),     # no чж/цз: Russian table unchanged
    # Greek, Hebrew, Armenian, Georgian
    ("Κυριάκος Μητσοτάκης", "kyriakos mitsotakis"),
    ("בנימין נתניהו", "bnimin ntnyhu"),
    ("ג'ורג'", "jorj"),
    ("ג׳ורג׳", "jorj"),
    ("Հայկ Մարտիրոսյան", "hayk martirosyan"),
    ("მიხეილ სააკაშვილი", "mikheil saakashvili"),
    # Han and Hangul one word per syllable; kana joined; kanji read as Chinese (known gap)
    ("習近平", "xi jin ping"),
    ("김정은", "kim jeong eun"),
    ("김 정은", "kim jeong eun"),
    ("あべしんぞう", "abeshinzou"),
    ("安倍", "an bei"),
    # Brahmic with the inherent vowel; Thai with its silent letter dropped
    ("नरेन्द्र मोदी", "narendra modi"),
    ("महेश बज्राचार्य", "mahesh bajracharya"),
    ("ประยุทธ์", "prayuth"),
    # invisible characters join the letters around them
    ("K\u00adha\u200bme\u200dnei", "khamenei"),
    ("\u200fعلي\u200f", "ali"),
    ("\ufeffAli", "ali"),
    ("عـلي", "ali"),                                    # tatweel
    ("N˜zamett˜n", "nzamettn"),                         # spacing accent, not a space
    # homoglyphs inside Latin words; an all-Cyrillic word is transliterated instead
    ("Kһamenei", "khamenei"),                           # Cyrillic һ
    ("Аli", "ali"),                                     # Cyrillic А
    ("ΑLI", "ali"),                                     # Greek Alpha
    ("Хаменеи", "khamenei"),
    # Latin diacritics and ligatures
    ("Øyvind Ærø", "oyvind aero"),
    ("Straße", "strasse"),
    ("Łukasz", "lukasz"),
    ("Kılıçbay Hayrioğlu", "kilicbay hayrioglu"),
    ("Nguyễn Tấn Dũng", "nguyen tan dung"),
    ("Þórður", "thordur"),
    ("ʿAlī ibn Abī Ṭālib", "ali ibn abi talib"),
    ("Ｋｉｍ　Ｊｏｎｇ－ｕｎ", "kim jong un"),
    # apostrophes join, hyphens and other punctuation split
    ("al-Qa'ida", "al qaida"),
    ("O'Brien", "obrien"),
    ("O’Brien", "obrien"),
    ("Jean-Pierre", "jean pierre"),
    ("SMITH, John J.", "smith john j"),
    ("1st Street 42", "1st street 42"),
    ("", ""),
    (" -- ", ""),
]


@pytest.mark.parametrize(("text", "expected"), LATINIZE)
def test_latinize(text, expected):
    assert latinize(text) == expected


# The scholarly reading of Cyrillic (CY_SCHOLARLY): ISO 9 and the national Latin alphabets,
# diacritics dropped, as these names are listed; other scripts read as ever.
SCHOLARLY = [
    ("Жигич", "zigic"),                       # Žigić, not zhigich
    ("Кнежевић Душан", "knezevic dusan"),     # Serbian ћ and ж, ш
    ("Йовица Станишич", "jovica stanisic"),   # й as j
    ("Хегедушич", "hegedusic"),               # х as h
    ("Щукин Юрий", "scukin jurij"),           # щ, ю, й
    ("Яковлевич Ёжиков", "jakovlevic ezikov"),
    ("Джаффе", "jaffe"),                      # дж as one j
    ("Цилков", "cilkov"),                     # ц as c
    ("Ігор Коломойський", "ihor kolomojskyj"),  # Ukrainian г -> h kept; ISO 9 -yj
    ("Ali Хаменеи", "ali hamenei"),
    ("علی خامنه‌ای", "ali khamnei"),          # no Cyrillic: the one reading
]


@pytest.mark.parametrize(("text", "expected"), SCHOLARLY)
def test_latinize_scholarly(text, expected):
    assert latinize(text, scholarly=True) == expected


def test_scholarly_reading_leaves_the_english_one_alone():
    assert latinize("Жигич") == "zhigich"
    assert latinize("Йовица Станишич") == "yovitsa stanishich"


@pytest.mark.parametrize("text", [text for text, _ in LATINIZE])
def test_latinize_gives_ascii_words_and_is_idempotent(text):
    out = latinize(text)
    assert re.fullmatch(r"([a-z0-9]+( [a-z0-9]+)*)?", out)
    assert latinize(out) == out


NAME_KEYS = [
    (("mohammed", "muhammad", "mohamad", "mhmd"), "mhmd"),
    (("khamenei", "khamnei"), "hmn"),
    (("hosseini", "husseini", "hoseyni", "husayni", "hsini"), "hsn"),
    (("sayyid", "seyed", "sid"), "sd"),
    (("ali", "aly"), "al"),
    (("gromov", "ghrumuf"), "jrmf"),                   # Arabic غ for g, ف for v
    (("pinotti", "binuti"), "bnt"),                    # Arabic ب for p
    (("philipp", "filip"), "flb"),
    (("tsarnaev", "zarnaev"), "zrnf"),
    # Polish, German, French, Dutch, Hungarian spellings of щ, ч, дж: the English spelling's key
    (("shchepan", "szczepan"), "sbn"),
    (("shchukin", "chtchoukine", "schtschukin"), "skn"),
    (("kachmarek", "kaczmarek"), "kcmrk"),
    (("chernov", "tschernow"), "crnf"),
    (("kochneva", "kotsjneva"), "kcnf"),
    (("chaba", "csaba"), "cb"),
    (("dzhugashvili", "dschugaschwili"), "jsfl"),
]

# Counter-cases: spellings the new folds must leave apart.
NAME_KEYS_APART = [
    ("balazs", "balaj"),      # Arabic ز+س latinizes "zs": not Hungarian zs for ж
    ("tsar", "char"),         # ts stays ц
    ("marco", "marcho"),      # only cz, cs, tsch, tsj, not every c, read ч
    ("khan", "chan"),         # Latin ch stays ч in the key, kh stays х
]


@pytest.mark.parametrize(("tokens", "key"), NAME_KEYS)
def test_name_key_equalities(tokens, key):
    assert {name_key(token) for token in tokens} == {key}


@pytest.mark.parametrize(("a", "b"), NAME_KEYS_APART)
def test_name_key_keeps_apart(a, b):
    assert name_key(a) != name_key(b)


# Cyrillic names against their spelling in other national conventions (dev_translit_ru_tokens
# kinds): each second reading of engine 1.2.0 (KEY_ALTS) lifts the pair to `at_least`, which
# it was below without it (0.70-0.81 before).
NATIONAL_SPELLINGS = [
    ("Ковачич", "kovacic", 0.8),          # Serbo-Croatian č without its accent
    ("Дольче", "dolce", 0.85),             # Italian ce
    ("Новацкий", "nowacki", 0.8),          # Polish c = ц
    ("Шерон", "cheron", 0.85),             # French ch = ш
    ("Бержинский", "bierzynski", 0.8),     # Polish rz = ж
    ("Залька", "salka", 0.85),             # German s = з
    ("Гонсалес", "gonzalez", 0.8),         # Spanish z = с
    ("Валиньяно", "valignano", 0.85),      # Italian gn = нь
    ("Кидзава", "kizawa", 0.8),            # Japanese дз = z
    ("Утида", "uchida", 0.8),              # Japanese ти = chi
]


@pytest.mark.parametrize(("query", "candidate", "at_least"), NATIONAL_SPELLINGS)
def test_token_similarity_of_national_spellings(query, candidate, at_least):
    assert token_similarity(latinize(query), latinize(candidate)) >= at_least


# Counter-cases: where the second readings do not apply, pairs keep their similarity.
@pytest.mark.parametrize(("a", "b", "at_most"), [
    ("christian", "cristhiam", 0.73),    # initial c and ti before a vowel: no second reading
    ("carlos", "charlos", 0.9),
    ("khan", "chan", 0.65),              # no kh -> ch reading (it undid -vich ~ -vic)
])
def test_token_similarity_counter_cases(a, b, at_most):
    assert token_similarity(a, b) <= at_most


def test_vich_still_matches_vic_with_kh_in_the_name():
    # All second readings of a token apply together: a kh -> ch reading would undo ch -> k.
    assert token_similarity("mikhaylovich", "mikhailovic") >= 0.77


# Each true pair must score above the wrong pairing beside it.
RANKED = [
    # (query, true candidate, wrong candidate)
    ("خامنه‌ای", "khamenei", "khamenko"),
    ("خامنه‌ای", "khamenei", "hamdan"),
    ("حسینی", "hosseini", "hassan"),
    ("محمد", "mohammed", "ahmed"),
    ("دهقان", "dehghan", "dehlavi"),
    ("Хаменеи", "khamenei", "khomeini"),
    ("mohammed", "muhammad", "mahmoud"),
    ("hosseini", "husseini", "hassani"),
]


@pytest.mark.parametrize(("query", "true", "wrong"), RANKED)
def test_token_similarity_ranks_true_pairs_first(query, true, wrong):
    q = latinize(query)
    assert token_similarity(q, latinize(true)) > token_similarity(q, latinize(wrong))


@pytest.mark.parametrize(("query", "candidate"), [
    ("علی", "ali"), ("خامنه‌ای", "khamenei"), ("حسینی", "hosseini"), ("حسینی", "husseini"),
    ("سید", "seyed"), ("سید", "sayyid"), ("محمد", "mohammad"), ("حسن", "hassan"),
    ("Али", "ali"), ("Хаменеи", "khamenei"), ("hosseini", "husayni"),
])
def test_token_similarity_of_the_khamenei_tokens_is_high(query, candidate):
    # 0.75: near-miss negatives of the dev token sets pass it at 1-2%
    assert token_similarity(latinize(query), latinize(candidate)) >= 0.75


@pytest.mark.parametrize(("a", "b"), [
    ("khamenei", "putin"), ("ali", "vladimir"), ("hosseini", "laden"), ("mhmd", "zarif"),
])
def test_token_similarity_of_unrelated_tokens_is_low(a, b):
    assert token_similarity(a, b) < 0.5


@pytest.mark.parametrize(("a", "b"), [
    ("khamenei", "khamnei"), ("mhmd", "mohammed"), ("ali", "eli"), ("hsn", "hassan"), ("", "x"),
])
def test_token_similarity_is_a_symmetric_score_below_one_unless_equal(a, b):
    assert token_similarity(a, b) == token_similarity(b, a)
    assert 0.0 <= token_similarity(a, b) < 1.0
    assert token_similarity(a, a) == 1.0


# Seeded samples of the dev token pairs, verbatim; noisy alignments left out. Sources:
# steveash/NETransliteration-COLING2018 data/wd_arabic_64, data/wd_russian_64 (CC0 1.0) and
# google/transliteration ar2en-train.txt (Apache-2.0), via /work/shared/eval.
DEV_PAIRS = [
    ("غواريزي", "guarisi"), ("هالبروك", "halbrook"), ("مايسي", "maisie"), ("كوبش", "kobusch"),
    ("ثيس", "thijs"), ("إيوجينيو", "eugénio"), ("ميشينو", "michineau"), ("موروس", "morros"),
    ("راكاروف", "rakarov"), ("سيلولواني", "selolwane"), ("لامبتون", "lampton"),
    ("ألخازيشفيلي", "alkhazishvili"), ("جسلر", "gieseler"), ("لابويري", "lapoirie"),
    ("عائشة", "aïcha"), ("بروبز", "probz"),
    ("ستدانيك", "stadnyk"), ("برابيندير", "brabender"), ("غولياس", "golias"),
    ("بطارسة", "batarseh"), ("نوريوكي", "noriyuki"), ("كوينتراو", "coentrao"),
    ("روشيل", "rochelle"), ("لورمان", "luhrmann"), ("كومنينوس", "komnenos"),
    ("لوغلين", "loughlin"), ("تاغييف", "taguieff"), ("شعيبات", "shoebat"),
    ("بيرغيوس", "bergius"), ("فيريت", "feret"),
    ("гудлак", "goodluck"), ("спиет", "spieth"), ("зубицкий", "zubickij"), ("флисс", "fliess"),
    ("рэйчел", "rachel"), ("ларрьют", "larriut"), ("штрабель", "strabel"), ("бак", "back"),
    ("рипер", "rieper"), ("кафула", "kafula"), ("митацу", "mitatsu"),
]


@pytest.mark.parametrize("index", range(len(DEV_PAIRS)))
def test_dev_pair_outranks_its_neighbours_candidate(index):
    query, candidate = DEV_PAIRS[index]
    other = DEV_PAIRS[(index + 1) % len(DEV_PAIRS)][1]
    q = latinize(query)
    assert token_similarity(q, latinize(candidate)) > token_similarity(q, latinize(other))
