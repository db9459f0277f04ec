"""Country names, codes and demonyms, as the lists and queries write them, to ISO 3166-1 alpha-2.

Pipeline of `to_iso2`: exact alpha-2/alpha-3 code -> normalized text (NFKD, combining marks
dropped, casefold, apostrophes and periods removed, other punctuation to spaces, "st" to
"saint", the stopwords "the"/"of"/"and" dropped) looked up as written, comma- or
paren-inverted ("Korea, North" -> "North Korea"), without parenthesised remarks, and finally
without qualifier words ("possibly", "formerly", "Region:"). `split_countries` cuts a field on
separators and recognises the longest runs of pieces that `to_iso2` accepts.

Decisions: Kosovo is XK (the user-assigned code the EU, SWIFT and OpenSanctions use). The
Palestinian territories, West Bank and Gaza are PS. Occupied or breakaway regions map to the
internationally recognised state (Crimea, Donetsk, Luhansk -> UA; Abkhazia, South Ossetia ->
GE; Transnistria -> MD; Northern Cyprus -> CY). Historic states map to their single successor
(Zaire -> CD, Burma -> MM, East Germany -> DE, Rhodesia -> ZW); those with several successors
(USSR/Soviet Union, Yugoslavia, Czechoslovakia, Serbia and Montenegro, Netherlands Antilles)
are None, not SU/YU/CS/AN: any one code would assert a country we cannot know, and a code no
current country has would count as a country mismatch against every successor state.
"""
from __future__ import annotations

import re
import unicodedata

# One line per country: alpha-2, alpha-3, the English short name `country_name` returns, then
# other names, aliases and demonyms, separated by " | ". Names are written as published; the
# index holds them normalized. Ambiguous words (Korea, Korean, Congolese, Virgin Islands) are
# deliberately absent; bare "Congo" is CG as in ISO 3166, "Dominican" is DO. Misspellings
# the bundled lists publish (Belrus, Repubic of Moldova, Phillipines, Uzbekhistan) are aliases.
_TABLE = """
AD AND Andorra | Principality of Andorra | Andorran
AE ARE United Arab Emirates | UAE | Emirates | Emirati | Emirian
AF AFG Afghanistan | Islamic Republic of Afghanistan | Islamic Emirate of Afghanistan | Afghan | Afghani
AG ATG Antigua and Barbuda | Antigua | Antiguan | Barbudan
AI AIA Anguilla | Anguillan
AL ALB Albania | Republic of Albania | Albanian
AM ARM Armenia | Republic of Armenia | Armenian
AO AGO Angola | Republic of Angola | Angolan
AQ ATA Antarctica
AR ARG Argentina | Argentine Republic | Argentine | Argentinian | Argentinean
AS ASM American Samoa | American Samoan
AT AUT Austria | Republic of Austria | Austrian
AU AUS Australia | Commonwealth of Australia | Australian
AW ABW Aruba | Aruban
AX ALA Åland Islands | Aland | Alander
AZ AZE Azerbaijan | Republic of Azerbaijan | Azerbaijani | Azeri | Nagorno-Karabakh
BA BIH Bosnia and Herzegovina | Republic of Bosnia and Herzegovina | Bosnia-Herzegovina | Bosnia and Herzegowina | Bosnia | Bosnian | Herzegovinian | Bosnian and Herzegovinian
BB BRB Barbados | Barbadian | Bajan
BD BGD Bangladesh | People's Republic of Bangladesh | Bangladeshi
BE BEL Belgium | Kingdom of Belgium | Belgian
BF BFA Burkina Faso | Burkina | Burkinabe | Upper Volta
BG BGR Bulgaria | Republic of Bulgaria | Bulgarian
BH BHR Bahrain | Kingdom of Bahrain | Bahraini
BI BDI Burundi | Republic of Burundi | Burundian
BJ BEN Benin | Republic of Benin | Beninese | Dahomey
BL BLM Saint Barthélemy | Saint Barts
BM BMU Bermuda | Bermudian | Bermudan
BN BRN Brunei | Brunei Darussalam | Bruneian
BO BOL Bolivia | Bolivia, Plurinational State of | Plurinational State of Bolivia | Bolivian
BQ BES Bonaire, Sint Eustatius and Saba | Caribbean Netherlands | Bonaire
BR BRA Brazil | Federative Republic of Brazil | Brazilian
BS BHS Bahamas | Commonwealth of the Bahamas | Bahamian
BT BTN Bhutan | Kingdom of Bhutan | Bhutanese
BV BVT Bouvet Island
BW BWA Botswana | Republic of Botswana | Botswanan | Motswana | Batswana
BY BLR Belarus | Republic of Belarus | Belarusian | Belarussian | Byelorussia | Belorussia | Byelorussian | Belrus
BZ BLZ Belize | Belizean
CA CAN Canada | Canadian
CC CCK Cocos (Keeling) Islands | Cocos Islands | Keeling Islands
CD COD Democratic Republic of the Congo | Congo, The Democratic Republic of the | DRC | DR Congo | Congo DR | Congo-Kinshasa | Congo (Kinshasa) | Zaire | Zairean | Zairian
CF CAF Central African Republic | Central African
CG COG Congo | Republic of the Congo | Congo Republic | Congo-Brazzaville | Congo (Brazzaville) | People's Republic of the Congo
CH CHE Switzerland | Swiss Confederation | Swiss
CI CIV Côte d'Ivoire | Republic of Côte d'Ivoire | Cote d Ivoire | Ivory Coast | Ivorian
CK COK Cook Islands | Cook Islander
CL CHL Chile | Republic of Chile | Chilean
CM CMR Cameroon | Republic of Cameroon | Cameroonian
CN CHN China | People's Republic of China | PRC | Mainland China | Chinese | Tibet
CO COL Colombia | Republic of Colombia | Colombian
CR CRI Costa Rica | Republic of Costa Rica | Costa Rican
CU CUB Cuba | Republic of Cuba | Cuban
CV CPV Cabo Verde | Republic of Cabo Verde | Cape Verde | Cape Verdean | Cabo Verdean
CW CUW Curaçao | Curacaoan
CX CXR Christmas Island
CY CYP Cyprus | Republic of Cyprus | Cypriot | Northern Cyprus | Turkish Republic of Northern Cyprus
CZ CZE Czechia | Czech Republic | Czech
DE DEU Germany | Federal Republic of Germany | German | West Germany | East Germany | German Democratic Republic | GDR
DJ DJI Djibouti | Republic of Djibouti | Djiboutian
DK DNK Denmark | Kingdom of Denmark | Danish | Dane
DM DMA Dominica | Commonwealth of Dominica
DO DOM Dominican Republic | Dominican
DZ DZA Algeria | People's Democratic Republic of Algeria | Algerian
EC ECU Ecuador | Republic of Ecuador | Ecuadorian | Ecuadorean
EE EST Estonia | Republic of Estonia | Estonian
EG EGY Egypt | Arab Republic of Egypt | Egyptian
EH ESH Western Sahara | Sahrawi | Sahrawi Arab Democratic Republic
ER ERI Eritrea | State of Eritrea | Eritrean
ES ESP Spain | Kingdom of Spain | Spanish | Spaniard
ET ETH Ethiopia | Federal Democratic Republic of Ethiopia | Ethiopian
FI FIN Finland | Republic of Finland | Finnish | Finn
FJ FJI Fiji | Republic of Fiji | Fijian
FK FLK Falkland Islands | Falkland Islands (Malvinas) | Falklands | Malvinas | Falkland Islander
FM FSM Micronesia | Micronesia, Federated States of | Federated States of Micronesia | Micronesian
FO FRO Faroe Islands | Faroe | Faroese
FR FRA France | French Republic | French
GA GAB Gabon | Gabonese Republic | Gabonese
GB GBR United Kingdom | United Kingdom of Great Britain and Northern Ireland | UK | Great Britain | Britain | British | Briton | England | English | Scotland | Scottish | Wales | Welsh | Northern Ireland
GD GRD Grenada | Grenadian
GE GEO Georgia | Georgian | Abkhazia | South Ossetia
GF GUF French Guiana | French Guianese
GG GGY Guernsey
GH GHA Ghana | Republic of Ghana | Ghanaian
GI GIB Gibraltar | Gibraltarian
GL GRL Greenland | Greenlandic | Greenlander
GM GMB Gambia | Republic of the Gambia | Gambian
GN GIN Guinea | Republic of Guinea | Guinean | Guinea-Conakry
GP GLP Guadeloupe | Guadeloupean
GQ GNQ Equatorial Guinea | Republic of Equatorial Guinea | Equatorial Guinean | Equatoguinean
GR GRC Greece | Hellenic Republic | Greek
GS SGS South Georgia and the South Sandwich Islands
GT GTM Guatemala | Republic of Guatemala | Guatemalan
GU GUM Guam | Guamanian
GW GNB Guinea-Bissau | Republic of Guinea-Bissau | Bissau-Guinean
GY GUY Guyana | Republic of Guyana | Guyanese
HK HKG Hong Kong | Hong Kong Special Administrative Region of China | Hong Kong SAR | Hong Kong, China | Hongkonger
HM HMD Heard Island and McDonald Islands
HN HND Honduras | Republic of Honduras | Honduran
HR HRV Croatia | Republic of Croatia | Croatian | Croat
HT HTI Haiti | Republic of Haiti | Haitian
HU HUN Hungary | Hungarian
ID IDN Indonesia | Republic of Indonesia | Indonesian
IE IRL Ireland | Republic of Ireland | Eire | Irish
IL ISR Israel | State of Israel | Israeli
IM IMN Isle of Man | Manx
IN IND India | Republic of India | Indian
IO IOT British Indian Ocean Territory
IQ IRQ Iraq | Republic of Iraq | Iraqi
IR IRN Iran | Iran, Islamic Republic of | Islamic Republic of Iran | Iranian | Persia | Persian
IS ISL Iceland | Republic of Iceland | Icelandic | Icelander
IT ITA Italy | Italian Republic | Italian
JE JEY Jersey
JM JAM Jamaica | Jamaican
JO JOR Jordan | Hashemite Kingdom of Jordan | Jordanian
JP JPN Japan | Japanese
KE KEN Kenya | Republic of Kenya | Kenyan
KG KGZ Kyrgyzstan | Kyrgyz Republic | Kyrgyz | Kyrgyzstani | Kirghiz | Kirghizia | Kirgizia
KH KHM Cambodia | Kingdom of Cambodia | Cambodian | Kampuchea | Khmer
KI KIR Kiribati | Republic of Kiribati | I-Kiribati
KM COM Comoros | Union of the Comoros | Comoran | Comorian
KN KNA Saint Kitts and Nevis | Saint Christopher and Nevis | Saint Kitts | Kittitian | Nevisian
KP PRK North Korea | Korea, Democratic People's Republic of | Democratic People's Republic of Korea | DPRK | DPR Korea | Korea DPR | North Korean
KR KOR South Korea | Korea, Republic of | Republic of Korea | ROK | South Korean
KW KWT Kuwait | State of Kuwait | Kuwaiti
KY CYM Cayman Islands | Caymanian
KZ KAZ Kazakhstan | Republic of Kazakhstan | Kazakh | Kazakhstani | Kazak
LA LAO Laos | Lao People's Democratic Republic | Lao PDR | Lao | Laotian
LB LBN Lebanon | Lebanese Republic | Lebanese
LC LCA Saint Lucia | Saint Lucian
LI LIE Liechtenstein | Principality of Liechtenstein | Liechtensteiner
LK LKA Sri Lanka | Democratic Socialist Republic of Sri Lanka | Sri Lankan | Ceylon
LR LBR Liberia | Republic of Liberia | Liberian
LS LSO Lesotho | Kingdom of Lesotho | Basotho | Mosotho
LT LTU Lithuania | Republic of Lithuania | Lithuanian
LU LUX Luxembourg | Grand Duchy of Luxembourg | Luxembourgish | Luxembourger
LV LVA Latvia | Republic of Latvia | Latvian
LY LBY Libya | State of Libya | Libyan Arab Jamahiriya | Libyan
MA MAR Morocco | Kingdom of Morocco | Moroccan
MC MCO Monaco | Principality of Monaco | Monegasque | Monacan
MD MDA Moldova | Moldova, Republic of | Republic of Moldova | Repubic of Moldova | Moldovan | Moldavia | Moldavian | Transnistria | Transdniestria
ME MNE Montenegro | Montenegrin
MF MAF Saint Martin | Saint Martin (French part) | Saint-Martin
MG MDG Madagascar | Republic of Madagascar | Malagasy | Madagascan
MH MHL Marshall Islands | Republic of the Marshall Islands | Marshallese
MK MKD North Macedonia | Republic of North Macedonia | Macedonia | The Former Yugoslav Republic of Macedonia | FYROM | Macedonian | North Macedonian
ML MLI Mali | Republic of Mali | Malian
MM MMR Myanmar | Republic of the Union of Myanmar | Republic of Myanmar | Burma | Burmese
MN MNG Mongolia | Mongolian
MO MAC Macao | Macao Special Administrative Region of China | Macau | Macanese
MP MNP Northern Mariana Islands | Commonwealth of the Northern Mariana Islands
MQ MTQ Martinique | Martinican
MR MRT Mauritania | Islamic Republic of Mauritania | Mauritanian
MS MSR Montserrat | Montserratian
MT MLT Malta | Republic of Malta | Maltese
MU MUS Mauritius | Republic of Mauritius | Mauritian
MV MDV Maldives | Republic of Maldives | Maldivian
MW MWI Malawi | Republic of Malawi | Malawian
MX MEX Mexico | United Mexican States | Mexican
MY MYS Malaysia | Malaysian
MZ MOZ Mozambique | Republic of Mozambique | Mozambican
NA NAM Namibia | Republic of Namibia | Namibian
NC NCL New Caledonia | New Caledonian
NE NER Niger | Republic of the Niger | Nigerien
NF NFK Norfolk Island
NG NGA Nigeria | Federal Republic of Nigeria | Nigerian
NI NIC Nicaragua | Republic of Nicaragua | Nicaraguan
NL NLD Netherlands | Kingdom of the Netherlands | Holland | Dutch | Netherlander
NO NOR Norway | Kingdom of Norway | Norwegian
NP NPL Nepal | Federal Democratic Republic of Nepal | Nepalese | Nepali
NR NRU Nauru | Republic of Nauru | Nauruan
NU NIU Niue | Niuean
NZ NZL New Zealand | New Zealander
OM OMN Oman | Sultanate of Oman | Omani
PA PAN Panama | Republic of Panama | Panamanian
PE PER Peru | Republic of Peru | Peruvian
PF PYF French Polynesia | French Polynesian | Tahiti
PG PNG Papua New Guinea | Independent State of Papua New Guinea | Papua New Guinean
PH PHL Philippines | Republic of the Philippines | Phillipines | Filipino | Filipina | Philippine
PK PAK Pakistan | Islamic Republic of Pakistan | Pakistani
PL POL Poland | Republic of Poland | Polish | Pole
PM SPM Saint Pierre and Miquelon
PN PCN Pitcairn | Pitcairn Islands
PR PRI Puerto Rico | Puerto Rican
PS PSE Palestine | State of Palestine | Palestine, State of | Palestinian | Palestinian Territory | Palestinian Territories | Occupied Palestinian Territory | Occupied Palestinian Territories | Palestinian Authority | West Bank | Gaza | Gaza Strip | West Bank and Gaza
PT PRT Portugal | Portuguese Republic | Portuguese
PW PLW Palau | Republic of Palau | Palauan
PY PRY Paraguay | Republic of Paraguay | Paraguayan
QA QAT Qatar | State of Qatar | Qatari
RE REU Réunion | Reunionese
RO ROU Romania | Rumania | Roumania | Romanian
RS SRB Serbia | Republic of Serbia | Serbian | Serb
RU RUS Russia | Russian Federation | Russian
RW RWA Rwanda | Rwandese Republic | Rwandan | Rwandese
SA SAU Saudi Arabia | Kingdom of Saudi Arabia | KSA | Saudi | Saudi Arabian
SB SLB Solomon Islands | Solomon Islander
SC SYC Seychelles | Republic of Seychelles | Seychellois
SD SDN Sudan | Republic of the Sudan | Sudanese
SE SWE Sweden | Kingdom of Sweden | Swedish | Swede
SG SGP Singapore | Republic of Singapore | Singaporean
SH SHN Saint Helena | Saint Helena, Ascension and Tristan da Cunha | Saint Helenian
SI SVN Slovenia | Republic of Slovenia | Slovenian | Slovene
SJ SJM Svalbard and Jan Mayen | Svalbard
SK SVK Slovakia | Slovak Republic | Slovak | Slovakian
SL SLE Sierra Leone | Republic of Sierra Leone | Sierra Leonean
SM SMR San Marino | Republic of San Marino | Sammarinese
SN SEN Senegal | Republic of Senegal | Senegalese
SO SOM Somalia | Federal Republic of Somalia | Somali | Somalian | Somaliland
SR SUR Suriname | Republic of Suriname | Surinam | Surinamese
SS SSD South Sudan | Republic of South Sudan | South Sudanese
ST STP São Tomé and Príncipe | Democratic Republic of São Tomé and Príncipe | Sao Tomean | Santomean
SV SLV El Salvador | Republic of El Salvador | Salvadoran | Salvadorean
SX SXM Sint Maarten | Sint Maarten (Dutch part)
SY SYR Syria | Syrian Arab Republic | Syrian
SZ SWZ Eswatini | Kingdom of Eswatini | Swaziland | Swazi
TC TCA Turks and Caicos Islands | Turks and Caicos
TD TCD Chad | Republic of Chad | Chadian
TF ATF French Southern Territories | French Southern and Antarctic Lands
TG TGO Togo | Togolese Republic | Togolese
TH THA Thailand | Kingdom of Thailand | Thai | Siam
TJ TJK Tajikistan | Republic of Tajikistan | Tajik | Tajikistani | Tadjik | Tadjikistan
TK TKL Tokelau | Tokelauan
TL TLS Timor-Leste | Democratic Republic of Timor-Leste | East Timor | East Timorese | Timorese
TM TKM Turkmenistan | Turkmen | Turkmenistani
TN TUN Tunisia | Republic of Tunisia | Tunisian
TO TON Tonga | Kingdom of Tonga | Tongan
TR TUR Türkiye | Turkey | Republic of Türkiye | Republic of Turkey | Turkish | Turk
TT TTO Trinidad and Tobago | Republic of Trinidad and Tobago | Trinidad | Trinidadian | Tobagonian
TV TUV Tuvalu | Tuvaluan
TW TWN Taiwan | Taiwan, Province of China | Republic of China | Chinese Taipei | Taiwanese
TZ TZA Tanzania | Tanzania, United Republic of | United Republic of Tanzania | Tanzanian | Zanzibar
UA UKR Ukraine | Ukrainian | Crimea | Autonomous Republic of Crimea | Republic of Crimea | Donetsk People's Republic | Luhansk People's Republic
UG UGA Uganda | Republic of Uganda | Ugandan
UM UMI United States Minor Outlying Islands
US USA United States | United States of America | US | America | American
UY URY Uruguay | Eastern Republic of Uruguay | Uruguayan
UZ UZB Uzbekistan | Republic of Uzbekistan | Uzbekhistan | Uzbek | Uzbekistani
VA VAT Holy See | Holy See (Vatican City State) | Vatican | Vatican City
VC VCT Saint Vincent and the Grenadines | Saint Vincent | Vincentian
VE VEN Venezuela | Venezuela, Bolivarian Republic of | Bolivarian Republic of Venezuela | Venezuelan
VG VGB British Virgin Islands | Virgin Islands, British | BVI
VI VIR United States Virgin Islands | Virgin Islands, U.S. | Virgin Islands of the United States | US Virgin Islands
VN VNM Vietnam | Viet Nam | Socialist Republic of Viet Nam | Vietnamese
VU VUT Vanuatu | Republic of Vanuatu | Ni-Vanuatu
WF WLF Wallis and Futuna | Wallisian | Futunan
WS WSM Samoa | Independent State of Samoa | Samoan
XK XKX Kosovo | Republic of Kosovo | Kosovar | Kosovan
YE YEM Yemen | Republic of Yemen | Yemeni | Yemenite
YT MYT Mayotte | Mahoran
ZA ZAF South Africa | Republic of South Africa | RSA | South African
ZM ZMB Zambia | Republic of Zambia | Zambian
ZW ZWE Zimbabwe | Republic of Zimbabwe | Zimbabwean | Rhodesia
"""

# Dropped everywhere, so "Congo, Democratic Republic of the" and "Democratic Republic of the
# Congo" differ only in word order, which the comma inversion undoes.
_STOPWORDS = frozenset({"the", "of", "and"})
_TOKEN_ALIASES = {"st": "saint", "ste": "sainte", "dem": "democratic", "rep": "republic"}
# Hedges and labels around a country; tried only after the text failed as written.
_LEADING_QUALIFIERS = frozenset({
    "possibly", "reportedly", "formerly", "former", "probably", "allegedly", "alleged",
    "presumably", "likely", "believed", "perhaps", "maybe", "previously", "originally", "ex",
    "to", "be", "in", "born", "region", "citizen", "national", "nationality", "country",
})
_TRAILING_QUALIFIERS = frozenset({"citizen", "citizenship", "national", "nationality", "origin"})

_DROP_CHARS = str.maketrans("", "", "'\u2019\u2018`\u00b4\u02bc.")
_NON_WORD = re.compile(r"[\W_]+")
_PARENTHESISED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_TRAILING_PAREN = re.compile(r"(.*?)\s*\(([^()]*)\)\s*")
# "(1)", "(b)", "2)" enumerations and ";" start a new chunk in split_countries ...
_HARD_SEPARATOR = re.compile(r"\(\s*(?:\d{1,2}|[a-z])\s*\)|(?:^|(?<=\s))(?:\d{1,2}|[a-z])\)|[;\n]")
# ... while these may also sit inside one country's name ("Korea, North", "St. Lucia").
_SOFT_SEPARATOR = re.compile(r"(\s*(?:,|/|\||&|\+|\.(?=\s|$))\s*|\s+(?:and|or)\s+)", re.IGNORECASE)
_MAX_PIECES = 4  # the longest name split by soft separators has three pieces (Saint Helena...)


def _normalize(text: str) -> str:
    """Casefolded, accent-free words without punctuation or stopwords, space-joined."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().translate(_DROP_CHARS).replace("&", " and ")
    words = (_TOKEN_ALIASES.get(word, word) for word in _NON_WORD.split(text))
    return " ".join(word for word in words if word and word not in _STOPWORDS)


def _build() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(normalized name -> code, alpha-3 -> code, code -> short name) from `_TABLE`."""
    index: dict[str, str] = {}
    alpha3: dict[str, str] = {}
    names: dict[str, str] = {}
    for line in _TABLE.strip().splitlines():
        head, *aliases = line.split(" | ")
        code, a3, name = head.split(" ", 2)
        names[code] = name
        alpha3[a3] = code
        # Alpha-2 codes are not keys: as words inside a longer text they are too often
        # something else ("St. Petersburg", "Ye, Burma", "SG" for St. Gallen); see `_code`.
        for key in [_normalize(n) for n in (name, *aliases)] + [a3.casefold()]:
            if index.setdefault(key, code) != code:
                raise ValueError(f"country key {key!r} names both {index[key]} and {code}")
    return index, alpha3, names


_INDEX, _ALPHA3, _NAMES = _build()


def _code(text: str) -> str | None:
    """The code when `text` is exactly an alpha-2 or alpha-3 code, in any case.

    "na" is the lists' "not available" (UN), so only upper-case "NA" is Namibia.
    """
    if not (text.isascii() and text.isalpha()):
        return None
    upper = text.upper()
    if len(text) == 2 and upper in _NAMES and (upper != "NA" or text == "NA"):
        return upper
    if len(text) == 3:
        return _ALPHA3.get(upper)
    return None


def _inverted(text: str) -> str | None:
    """ "Korea, North" -> "North Korea"; "Iran (Islamic Republic of)" -> "Islamic Republic of Iran"."""
    if "," in text:
        head, tail = text.split(",", 1)
        return f"{tail} {head}"
    match = _TRAILING_PAREN.fullmatch(text)
    return f"{match[2]} {match[1]}" if match else None


def _unqualified(key: str) -> str:
    words = key.split()
    while words and words[0] in _LEADING_QUALIFIERS:
        words.pop(0)
    while words and words[-1] in _TRAILING_QUALIFIERS:
        words.pop()
    return " ".join(words)


def to_iso2(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code (upper case) of one country name, code or demonym.

    Returns None for None, empty and unrecognised text, for regions that are not one country
    ("Europe") and for text naming several countries ("Iran, Iraq"; see `split_countries`).
    """
    if text is None:
        return None
    text = text.strip()
    code = _code(text)
    return code if code is not None else _from_name(text)


def _from_name(text: str) -> str | None:
    """The code of a country name, alias, demonym or alpha-3 code, tried in several forms."""
    forms = [text, _inverted(text)]
    bare = text
    while (unnested := _PARENTHESISED.sub(" ", bare)) != bare:  # "X (former USSR (now X))"
        bare = unnested
    bare = bare.strip()
    if bare != text:
        forms += [bare, _inverted(bare)]
    keys = [_normalize(form) for form in forms if form]
    for key in (*keys, *(_unqualified(key) for key in keys)):
        code = _INDEX.get(key)
        if code is not None:
            return code
    return None


def split_countries(text: str | None) -> list[str]:
    """Every country code named in a field such as "(1) Iran (2) Iraq" or "Estonia, Russia".

    Separators that may also sit inside a name ("Korea, North", "Bosnia and Herzegovina") are
    resolved by taking, from left to right, the longest run of pieces `to_iso2` accepts. A
    bare alpha-2 code counts only as the whole text. Returns codes in order of appearance,
    without duplicates.
    """
    whole = to_iso2(text)
    if whole is not None:
        return [whole]
    if text is None:
        return []
    codes: list[str] = []
    for chunk in _HARD_SEPARATOR.split(text):
        parts = _SOFT_SEPARATOR.split(chunk)  # pieces at even, separators at odd positions
        count = (len(parts) + 1) // 2
        start = 0
        while start < count:
            for end in range(min(count, start + _MAX_PIECES), start, -1):
                code = _from_name("".join(parts[2 * start:2 * end - 1]).strip())
                if code is not None:
                    codes.append(code)
                    start = end
                    break
            else:
                start += 1
    return list(dict.fromkeys(codes))


def country_name(code: str) -> str | None:
    """The English short name of an alpha-2 code ("IR" -> "Iran"), or None if unknown."""
    return _NAMES.get(code.strip().upper())
