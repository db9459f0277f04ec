"""Streaming XML records with iterparse, and turning XML and gzip failures into ListParseError.

Elements are matched by local name, so a changed namespace does not break a parser.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
import zlib
from collections.abc import Collection, Iterator
from pathlib import Path

from watchlists.model import ListParseError, open_binary


def local(tag: str) -> str:
    """The tag without its `{namespace}`."""
    return tag.rpartition("}")[2]


def stream(path: Path, root_tag: str, record_tags: Collection[str]) -> Iterator[ET.Element]:
    """Yield the root element (at its start tag), then each finished record, cleared after use.

    Raises:
        ListParseError: the root is not `root_tag`, the XML is malformed or truncated (with
            line and column), or the gzip stream is corrupt.
    """
    with open_binary(path) as fh:
        try:
            events = ET.iterparse(fh, events=("start", "end"))
            _, root = next(events)
            if local(root.tag) != root_tag:
                raise ListParseError(path.name, "root element", f"expected <{root_tag}>, found <{local(root.tag)}>")
            yield root
            for event, elem in events:
                if event == "end" and local(elem.tag) in record_tags:
                    yield elem
                    elem.clear()
        except ET.ParseError as exc:
            line, column = exc.position
            raise ListParseError(path.name, f"line {line}, column {column}", str(exc)) from exc
        except (OSError, EOFError, zlib.error) as exc:  # truncated or corrupt gzip stream
            raise ListParseError(path.name, "compressed stream", str(exc)) from exc
