"""The file formats we read: which parser reads each, which lists use it, and sniffing.

Sniffing looks only at the first bytes of a file, so a download can be classified (and an
HTML error page or an empty body refused) before anything is parsed.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from watchlists import eu, ofac, uk, un
from watchlists.model import ParseResult

Parser = Callable[[Mapping[str, Path], str, str], ParseResult]


@dataclass(frozen=True)
class Format:
    name: str
    parse: Parser
    roles: tuple[str, ...]  # file roles; the first is required, the rest optional
    description: str


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("ofac_xml", ofac.parse_xml, ("primary",), "OFAC legacy XML (sdnList, both namespaces)"),
        Format("ofac_csv", ofac.parse_csv, ("primary", "add", "alt", "comments"), "OFAC legacy CSV set"),
        Format("un_xml", un.parse_xml, ("primary",), "UN Security Council consolidated XML"),
        Format("eu_xml", eu.parse_xml, ("primary",), "EU FSF XML 1.1"),
        Format("uk_xlsx", uk.parse_xlsx, ("primary",), "UK OFSI ConList, xlsx edition"),
        Format("uk_csv", uk.parse_csv, ("primary",), "UK OFSI ConList, CSV edition"),
    )
}


class SniffError(ValueError):
    """The bytes are not any list format we read (an HTML page, an empty body...)."""


_XML_ROOT = re.compile(rb"<(?!\?|!)([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


def sniff(head: bytes) -> str:
    """Name the format of a file from its first few KB.

    Raises:
        SniffError: for an empty body, an HTML page, or bytes that are no known format.
    """
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not body or body == b"\x1a":
        raise SniffError("the file is empty")
    if body.startswith(b"PK\x03\x04"):
        return "uk_xlsx"
    lowered = body[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered[:200]:
        raise SniffError("the server sent an HTML page, not a list file")
    if body.startswith(b"<"):
        return _sniff_xml(body)
    first_line = body.split(b"\n", 1)[0]
    if first_line.startswith(b"Last Updated"):
        return "uk_csv"
    if re.match(rb'^\d+,"', first_line):
        return "ofac_csv"
    raise SniffError("the file is neither XML, xlsx nor a known CSV layout")


def _sniff_xml(body: bytes) -> str:
    match = _XML_ROOT.search(body.split(b"?>", 1)[-1] if body.startswith(b"<?") else body)
    root = match.group(2) if match else b""
    if root == b"sdnList":
        return "ofac_xml"
    if root == b"CONSOLIDATED_LIST":
        return "un_xml"
    if root == b"export" and b"fsd/export" in body[:2000]:
        return "eu_xml"
    raise SniffError(f"unknown XML document (root element {root.decode(errors='replace') or '?'})")
