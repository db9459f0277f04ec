import pytest

from compliance.matching.normalize import handle_form, name_form


@pytest.mark.parametrize(
    "text, tokens, titles",
    [
        ("Ayatollah Ali Khamenei", ("ali", "khamenei"), ("ayatollah",)),
        ("Sayyid Ali Hosseini Khamenei", ("ali", "hosseini", "khamenei"), ("sayyid",)),
        ("Dr. Ayman al-Zawahiri", ("ayman", "al", "zawahiri"), ("dr",)),
        ("General Qasem Soleimani", ("qasem", "soleimani"), ("general",)),
        ("KHAMENEI, Ali Husseini", ("khamenei", "ali", "husseini"), ()),
        ("Sheikh", ("sheikh",), ()),  # a title alone stays: removing it would leave no name
    ],
)
def test_titles_are_removed_and_recorded(text, tokens, titles):
    form = name_form(text)
    assert form.tokens == tokens
    assert form.titles == titles


@pytest.mark.parametrize(
    "text, tokens, forms",
    [
        ("Acme Trading Limited Liability Company", ("acme", "trading", "llc"), ("llc",)),
        ("ROSNEFT OIL COMPANY", ("rosneft", "oil", "co"), ("co",)),
        ("Obshchestvo s Ogranichennoy Otvetstvennostyu Vneshtorg", ("ooo", "vneshtorg"), ("ooo",)),
        ("Siemens AG", ("siemens", "ag"), ("ag",)),
        ("BANK MELLI IRAN", ("bank", "melli", "iran"), ()),
    ],
)
def test_legal_forms_are_canonical(text, tokens, forms):
    form = name_form(text)
    assert form.tokens == tokens and form.legal_forms == forms


def test_invisible_characters_and_homoglyphs():
    plain = name_form("Ali Khamenei").tokens
    assert name_form("Ali\u200b Kha\u00admenei").tokens == plain
    assert name_form("\u0410li Kh\u0430menei").tokens == plain  # Cyrillic А and а inside Latin words
    assert name_form("ALI\u00a0KHAMENEI").tokens == plain


def test_scripts_are_recorded():
    form = name_form("علی خامنه‌ای")
    assert form.script == "Arabic" and form.latin and form.tokens
    assert name_form("Али Хаменеи").tokens == ("ali", "khamenei")


@pytest.mark.parametrize(
    "handle, tokens",
    [
        ("@khamenei_ir", ("khamenei",)),
        ("khamenei.ir", ("khamenei",)),
        ("AliKhamenei1939", ("ali", "khamenei")),
        ("@IRGC-Official", ("irgc", "official")),
    ],
)
def test_handles_are_split(handle, tokens):
    form = handle_form(handle)
    assert form.tokens == tokens and form.handle
    assert form.to_dict()["handle"] is True


@pytest.mark.parametrize(
    "text, tokens",
    [("Nasro1lah SARDASHTI", ("nasrollah", "sardashti")), ("2aw Min TUN", ("zaw", "min", "tun")),
     ("77TH LIGHT INFANTRY DIVISION", ("77th", "light", "infantry", "division")), ("ROOM 101", ("room", "101"))],
)
def test_ocr_digits_inside_words(text, tokens):
    assert name_form(text).tokens == tokens

