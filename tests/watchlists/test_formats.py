import re

import pytest

from watchlists.formats import SniffError, sniff

OFAC_OLD = b'<?xml version="1.0" standalone="yes"?>\n<sdnList xmlns="http://tempuri.org/sdnList.xsd">'
OFAC_NEW = (b'<?xml version="1.0" standalone="yes"?>\r\n<sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            b'xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">')
UN = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<CONSOLIDATED_LIST dateGenerated="2026-02-27">'
EU = b'<?xml version="1.0" encoding="UTF-8"?>\n<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="x">'


@pytest.mark.parametrize(
    "head, expected",
    [
        (OFAC_OLD, "ofac_xml"),
        (OFAC_NEW, "ofac_xml"),
        (UN, "un_xml"),
        (EU, "eu_xml"),
        (b"\xef\xbb\xbf" + EU, "eu_xml"),
        (b"PK\x03\x04\x14\x00\x06\x00", "uk_xlsx"),
        (b'26945,"KHAMENEI, Ali Husseini","individual","IRAN-EO13876"', "ofac_csv"),
        (b"\xef\xbb\xbfLast Updated,14/04/2025,,,\r\nName 6,Name 1", "uk_csv"),
    ],
)
def test_sniff_known_formats(head, expected):
    assert sniff(head) == expected


@pytest.mark.parametrize(
    "head, message",
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"\x1a", "empty"),
        (b"<!DOCTYPE html><html><body>503 Service Unavailable</body></html>", "HTML"),
        (b"<html><head><title>Error</title>", "HTML"),
        (b'<?xml version="1.0"?><rss version="2.0">', "unknown XML document (root element rss)"),
        (b"hello world", "neither XML"),
    ],
)
def test_sniff_refuses_what_is_no_list(head, message):
    with pytest.raises(SniffError, match=re.escape(message)):
        sniff(head)
