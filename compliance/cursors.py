"""Opaque pagination cursors: a tag and a few values, base64url-encoded; a foreign one is a 422."""
from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from compliance.errors import InvalidInputError


def encode(tag: str, *values: Any) -> str:
    """A cursor carrying JSON-able `values` under `tag`."""
    raw = json.dumps([tag, *values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(tag: str, cursor: str, types: Sequence[type]) -> list[Any]:
    """The values of a cursor made by `encode(tag, ...)`, as `types`. Raises InvalidInputError."""
    try:
        found = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
        if isinstance(found, list) and len(found) == len(types) + 1 and found[0] == tag and \
                all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in found[1:]):
            return [kind(v) for kind, v in zip(types, found[1:])]
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        pass
    raise InvalidInputError("the cursor is not one this service issued",
                            [{"parameter": "cursor", "detail": f"not a {tag} cursor"}])
