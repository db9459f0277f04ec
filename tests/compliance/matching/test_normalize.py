import pytest

from compliance.matching.normalize import SCHOLARLY_READING, handle_form, name_form, reading_forms, written_as_handle


@pytest.mark.parametrize(
    "text, tokens, titles",
    [
        ("Ayatollah Ali Khamenei", ("ali", "khamenei"), ("ayatollah",)),
        ("Sayyid Ali Hosseini Khamenei", ("ali", "hosseini", "khamenei"), ("sayyid",)),
        ("Dr. Ayman al-Zawahiri", ("ayman", "al", "zawahiri"), ("dr",)),
        ("General Qasem Soleimani", ("qasem", "soleimani"), ("general",)),
        ("KHAMENEI, Ali Husseini", ("khamenei", "ali", "husseini"), ()),
        ("Sheikh", ("sheikh",), ()),  # a title alone stays: removing it would leave no name
        ("AL-HAJ, Yahya", ("al", "yahya"), ("haj",)),
    ],
)
def test_titles_are_removed_and_recorded(text, tokens, titles):
    form = name_form(text)
    assert form.tokens == tokens
    assert form.titles == titles


@pytest.mark.parametrize(
    "text, tokens, forms",
    [
        ("Acme Trading Limited Liability Company", ("acme", "trading", "ltd"), ("llc",)),
        ("ROSNEFT OIL COMPANY", ("rosneft", "oil", "corp"), ("co",)),
        ("Obshchestvo s Ogranichennoy Otvetstvennostyu Vneshtorg", ("ltd", "vneshtorg"), ("ooo",)),
        ("EUROFOOTBALL OOD", ("eurofootball", "ltd"), ("ood",)),
        ("MAIN STREET 1095 PTY LTD", ("main", "street", "1095", "ltd"), ("ltd",)),
        ("Siemens AG", ("siemens", "jsc"), ("ag",)),
        ("PAO MOSOBLBANK", ("jsc", "mosoblbank"), ("pjsc",)),
        ("CAR ESCORT SERVICES S.A.L.", ("car", "escort", "services", "jsc"), ("sal",)),
        ("BANK MELLI IRAN", ("bank", "melli", "iran"), ()),
        ("AO 'INSTITUTE GIPROSTROYMOST'", ("jsc", "institute", "giprostroymost"), ("jsc",)),  # AO leads
        ("AG ALHOUSSEINI, Houka", ("ag", "alhousseini", "houka"), ()),  # other short forms do not
        ("SA ACME", ("sa", "acme"), ()),
        ("CYLINDER SYSTEM L.T.D.", ("cylinder", "system", "ltd"), ("ltd",)),  # dotted forms
        ("PALEA D.O.O.", ("palea", "ltd"), ("doo",)),
        ("INGRANRES Y CIA S.C.S.", ("ingranres", "y", "corp", "llp"), ("co", "scs")),
        ("KIM Doo Hwan", ("kim", "doo", "hwan"), ()),  # a given name, not d.o.o.
    ],
)
def test_legal_forms_match_by_family(text, tokens, forms):
    """A form is matched by its family's token and recorded as written (canonical)."""
    form = name_form(text)
    assert form.tokens == tokens and form.legal_forms == forms
    assert form.to_dict()["legal_forms"] == list(forms) if forms else "legal_forms" not in form.to_dict()


@pytest.mark.parametrize(
    "text, tokens, expanded",
    [
        ("UDIN, Mohd Rafi", ("udin", "mohammad", "rafi"), {"mohd": "mohammad"}),
        ("KOREA SAMMA SHPG CO", ("korea", "samma", "shipping", "corp"), {"shpg": "shipping"}),
        ("Mohammad MOHAMMADI", ("mohammad", "mohammadi"), None),
    ],
)
def test_abbreviations_are_expanded_and_recorded(text, tokens, expanded):
    form = name_form(text)
    assert form.tokens == tokens
    assert form.to_dict().get("abbreviations_expanded") == expanded


def test_abbreviations_only_in_latin_names():
    # موحد (Movahed) latinizes to "muhd", which in a Latin name abbreviates Muhammad
    form = name_form("محمد مهدی پرنيا موحد")
    assert form.tokens[-1] == "muhd" and not form.abbreviations


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("AR-RAHMAH WELFARE ORGANISATION", ("al", "rahmah", "welfare", "organisation")),
        ("Jamaat-ud-Dawa", ("jamaat", "al", "dawa")),
        ("RAHMAN, Inayat ur", ("rahman", "inayat", "al")),
        ("Ed Smith", ("ed", "smith")),  # not before its own consonant: a name
        ("An Nam", ("an", "nam")),  # an/en/un are left alone (Vietnamese and Korean An)
    ],
)
def test_assimilated_articles_are_al(text, tokens):
    assert name_form(text).tokens == tokens


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("SALAHUDDIN", ("salah", "al", "din")),
        ("Salah al-Din", ("salah", "al", "din")),
        ("Salah ud-Din", ("salah", "al", "din")),
        ("Nasr Eddine", ("nasr", "al", "dine")),
        ("Badreddine", ("badr", "al", "dine")),
        ("Kamal Eddin", ("kamal", "al", "din")),
        ("Jamal Uddin", ("jamal", "al", "din")),
        ("Sirajudin", ("siraj", "al", "din")),  # one d after u: the Malay spelling
        ("Salahudeen", ("salah", "al", "deen")),
        # a single d after another vowel, or after u with fewer than three letters before it: kept
        ("MUJAHIDIN", ("mujahidin",)),
        ("MUJAHIDEEN", ("mujahideen",)),
        ("VOLODIN", ("volodin",)),
        ("Rudin", ("rudin",)),
        ("Udin", ("udin",)),
    ],
)
def test_al_din_compounds_are_read_as_their_parts(text, tokens):
    assert name_form(text).tokens == tokens


def test_al_din_compounds_split_are_recorded():
    assert name_form("Kamal Eddin SALAHUDDIN").to_dict()["compounds_split"] == {
        "eddin": "al din", "salahuddin": "salah al din"}
    assert "compounds_split" not in name_form("Salah al-Din").to_dict()


@pytest.mark.parametrize(
    "a, b",
    [("JAISH-E-MOHAMMED", "JAISH-I-MOHAMMED"), ("H & H METALFORM", "H AND H METALFORM"),
     ("SWAID & SONS", "SWAID AND SONS")],
)
def test_ezafe_and_conjunctions_are_written_one_way(a, b):
    assert name_form(a).tokens == name_form(b).tokens


def test_invisible_characters_and_homoglyphs():
    plain = name_form("Ali Khamenei").tokens
    assert name_form("Ali\u200b Kha\u00admenei").tokens == plain
    assert name_form("\u0410li Kh\u0430menei").tokens == plain  # Cyrillic А and а inside Latin words
    assert name_form("ALI\u00a0KHAMENEI").tokens == plain


def test_scripts_are_recorded():
    form = name_form("علی خامنه‌ای")
    assert form.script == "Arabic" and form.latin and form.tokens
    assert name_form("Али Хаменеи").tokens == ("ali", "khamenei")


def test_cyrillic_names_are_read_both_ways():
    english, scholarly = reading_forms("Йовица Станишич")
    assert english == name_form("Йовица Станишич") and not english.scholarly
    assert english.tokens == ("yovitsa", "stanishich")
    assert scholarly.tokens == ("jovica", "stanisic") and scholarly.scholarly
    assert scholarly.to_dict()["transliterated"] == {"script": "Cyrillic", "latin": "jovica stanisic",
                                                     "reading": SCHOLARLY_READING}
    assert "reading" not in english.to_dict()["transliterated"]


@pytest.mark.parametrize("text", ["Ali Khamenei", "علی خامنه‌ای", "Анна Иванова", "Žigić"])
def test_one_form_where_the_readings_agree_or_there_is_no_cyrillic(text):
    assert reading_forms(text) == [name_form(text)]


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



@pytest.mark.parametrize(
    "text, tokens",
    [
        ("M.E.N.A. CRYSTAL SUGAR COMPANY", ("mena", "crystal", "sugar", "corp")),  # = MENA CRYSTAL...
        ("N.P.T.T. DONA-SHELL", ("nptt", "dona", "shell")),
        ("T.D.G.", ("tdg",)),
        ("J.R. Smith", ("j", "r", "smith")),  # two letters: initials
        ("DMR C.I. S.A.S.", ("dmr", "c", "i", "jsc")),
    ],
)
def test_dotted_acronyms_are_one_word(text, tokens):
    assert name_form(text).tokens == tokens


@pytest.mark.parametrize(("text", "handle"), [("@khamenei_ir", True), (" @AliKhamenei1939 ", True), ("@", False),
                                              ("@ khamenei", False), ("Ali @khamenei", False), ("khamenei_ir", False)])
def test_a_display_name_is_written_as_a_handle_when_it_is_one_word_after_an_at(text, handle):
    assert written_as_handle(text) is handle
