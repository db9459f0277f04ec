import pytest

from compliance.matching.countries import country_name, split_countries, to_iso2

# Every ISO 3166-1 alpha-2 code (249) plus XK (Kosovo, user-assigned).
ALL_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW XK
""".split()


def test_every_code_has_a_name_that_maps_back():
    assert len(ALL_CODES) == 250
    for code in ALL_CODES:
        assert to_iso2(code) == code
        assert to_iso2(code.lower()) == (None if code == "NA" else code)  # "na": not available
        assert to_iso2(country_name(code)) == code


@pytest.mark.parametrize("text, code", [
    # codes
    ("IR", "IR"), ("ir", "IR"), ("  ir ", "IR"), ("IRN", "IR"), ("irn", "IR"), ("GBR", "GB"),
    ("AND", "AD"), ("kp", "KP"), ("NA", "NA"),
    # short and official names, any case
    ("Iran", "IR"), ("Iran (Islamic Republic of)", "IR"), ("Islamic Republic of Iran", "IR"),
    ("IRAN (ISLAMIC REPUBLIC OF)", "IR"), ("Iran, Islamic Republic of", "IR"),
    ("Russian Federation", "RU"), ("Russia", "RU"), ("RUSSIAN FEDERATION", "RU"),
    ("Syrian Arab Republic", "SY"), ("Syria", "SY"),
    ("Korea, Democratic People's Republic of", "KP"), ("KOREA, DEMOCRATIC PEOPLE'S REPUBLIC OF", "KP"),
    ("North Korea", "KP"), ("DPRK", "KP"), ("Democratic People's Republic of Korea", "KP"),
    ("Korea, North", "KP"), ("Republic of Korea", "KR"), ("South Korea", "KR"), ("Korea, South", "KR"),
    ("Viet Nam", "VN"), ("Vietnam", "VN"), ("VIET NAM", "VN"),
    ("Côte d'Ivoire", "CI"), ("Cote d'Ivoire", "CI"), ("Côte d’Ivoire", "CI"), ("Ivory Coast", "CI"),
    ("Türkiye", "TR"), ("TURKIYE", "TR"), ("Turkey", "TR"),
    ("Burma", "MM"), ("Myanmar", "MM"), ("Czechia", "CZ"), ("Czech Republic", "CZ"),
    ("United Kingdom", "GB"), ("UK", "GB"), ("U.K.", "GB"), ("Great Britain", "GB"), ("Britain", "GB"),
    ("United Kingdom of Great Britain and Northern Ireland", "GB"),
    ("United States", "US"), ("USA", "US"), ("U.S.A.", "US"), ("United States of America", "US"),
    ("Democratic Republic of the Congo", "CD"), ("Congo, Democratic Republic of the", "CD"),
    ("DRC", "CD"), ("Zaire", "CD"), ("Congo (Democratic Republic)", "CD"), ("Congo, Dem. Rep.", "CD"),
    ("CONGO, Democratic Republic of (was Zaire)", "CD"),
    ("Congo", "CG"), ("Republic of the Congo", "CG"), ("Congo, Republic of the", "CG"),
    ("CONGO, People's Republic of", "CG"),
    ("Tanzania", "TZ"), ("TANZANIA, UNITED REPUBLIC OF", "TZ"), ("United Republic of Tanzania", "TZ"),
    ("Bosnia and Herzegovina", "BA"), ("BOSNIA AND HERZEGOWINA", "BA"), ("Bosnia-Herzegovina", "BA"),
    ("Bosnia & Herzegovina", "BA"), ("Guinea-Bissau", "GW"), ("Guinea Bissau", "GW"),
    ("Guinea", "GN"), ("Equatorial Guinea", "GQ"), ("Niger", "NE"), ("Nigeria", "NG"),
    ("Sudan", "SD"), ("South Sudan", "SS"), ("Dominica", "DM"), ("Dominican Republic", "DO"),
    ("North Macedonia, The Republic of", "MK"), ("Macedonia, The Former Yugoslav Republic of", "MK"),
    ("Virgin Islands, British", "VG"), ("VIRGIN ISLANDS (BRITISH)", "VG"),
    ("China, Hong Kong Special Administrative Region", "HK"), ("Hong Kong", "HK"), ("Taiwan", "TW"),
    ("St. Kitts and Nevis", "KN"), ("St Lucia", "LC"), ("Cape Verde", "CV"), ("Cabo Verde", "CV"),
    ("East Timor", "TL"), ("Swaziland", "SZ"), ("The Gambia", "GM"), ("Laos", "LA"),
    ("Repubic of Moldova", "MD"), ("Belrus", "BY"),
    # Palestine, Kosovo, regions
    ("Palestinian", "PS"), ("West Bank", "PS"), ("Gaza", "PS"), ("Region: Gaza", "PS"),
    ("State of Palestine", "PS"), ("PALESTINIAN TERRITORY, Occupied", "PS"),
    ("Occupied Palestinian Territories", "PS"), ("Kosovo", "XK"), ("Crimea", "UA"),
    ("Autonomous Republic of Crimea", "UA"), ("Abkhazia", "GE"), ("Transnistria", "MD"),
    # demonyms
    ("Iranian", "IR"), ("Afghan", "AF"), ("Syrian", "SY"), ("Russian", "RU"), ("Iraqi", "IQ"),
    ("Yemeni", "YE"), ("North Korean", "KP"), ("British", "GB"), ("American", "US"),
    ("Emirati", "AE"), ("German", "DE"), ("Moldovan", "MD"), ("Filipino", "PH"), ("Swiss", "CH"),
    ("Dutch", "NL"), ("Nigerien", "NE"), ("Nigerian", "NG"), ("Iranian national", "IR"),
    # qualifiers, parentheses, whitespace
    ("possibly Iran", "IR"), ("Iran (as of 2019)", "IR"), ("reportedly Syrian", "SY"),
    ("formerly Burma", "MM"), ("Iraq (previous address)", "IQ"),
    ("Russian Federation (as at November 2010)", "RU"), ("  Iran\t", "IR"),
])
def test_to_iso2(text, code):
    assert to_iso2(text) == code


@pytest.mark.parametrize("text", [
    None, "", "   ", "-", "unknown", "Europe", "Korea", "Virgin Islands",
    "na", "N/A",  # the UN list's "not available", not Namibia
    "USSR", "Soviet Union", "former Soviet Union", "Yugoslavia", "Czechoslovakia",
    "Serbia and Montenegro",  # several successor states: no single code
    "Iran, Iraq", "Estonia, Russia", "Russia, Moscow",  # several names: split_countries
    "Moscow", "115088", "possibly Palestinian;arrested 23 Apr 2002", "ZZ", "XYZ",
])
def test_to_iso2_none(text):
    assert to_iso2(text) is None


@pytest.mark.parametrize("text, codes", [
    ("(1) Iran (2) Iraq", ["IR", "IQ"]),
    ("a) Iran b) Syria", ["IR", "SY"]),
    ("Estonia, Russia", ["EE", "RU"]),
    ("Germany. Russia", ["DE", "RU"]),
    ("Iran; Iraq", ["IR", "IQ"]),
    ("Iran / Iraq / Iran", ["IR", "IQ"]),
    ("Iran and Iraq", ["IR", "IQ"]),
    ("Korea, North; Iran", ["KP", "IR"]),
    ("Trinidad and Tobago, Iran", ["TT", "IR"]),
    ("Congo, Democratic Republic of the", ["CD"]),
    ("Bosnia and Herzegovina", ["BA"]),
    ("Serbia and Montenegro", ["RS", "ME"]),
    ("possibly Palestinian;arrested 23 Apr 2002", ["PS"]),
    ("ir", ["IR"]),
    ("New York, USA", ["US"]),
    ("London, UK", ["GB"]),
    ("St. Petersburg, Russia", ["RU"]),  # "St" is not Sao Tome inside a longer text
    ("Ye, Burma", ["MM"]),
    ("Grodno/Hrodna, BELARUS (former USSR (now Belarus))", ["BY"]),
    ("Bengasi, (1-3) Libya (4) Morocco", ["LY", "MA"]),
    ("former Soviet Union", []),
    ("unknown", []),
    ("", []),
    (None, []),
])
def test_split_countries(text, codes):
    assert split_countries(text) == codes


@pytest.mark.parametrize("code, name", [
    ("IR", "Iran"), ("ir", "Iran"), ("KP", "North Korea"), ("RU", "Russia"), ("GB", "United Kingdom"),
    ("CD", "Democratic Republic of the Congo"), ("CG", "Congo"), ("CI", "Côte d'Ivoire"),
    ("XK", "Kosovo"), ("PS", "Palestine"), ("TR", "Türkiye"), ("SU", None), ("ZZ", None), ("", None),
])
def test_country_name(code, name):
    assert country_name(code) == name
