"""Fingerprints of what matching reads: of a listed entity, and of an account's screened fields.

A review decision is taken on one version of both sides. Its fingerprints let a later
screening tell whether either side changed in a way that can change the match: an entity's
names (and their strength), type, dates of birth, countries (nationalities, citizenships,
address countries, places of birth) and identifiers; an account's names, handle, type, date
of birth, countries and identifiers. Values are compared as sets, so reordering is no change;
programs, remarks and the like are not read by matching and are left out.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from compliance.models import Query
from watchlists.model import Entity


def entity_fingerprint(entity: Entity) -> str:
    """sha256 over the entity's fields that matching uses."""
    return _digest({
        "type": entity.type.value,
        "names": sorted({(n.full, n.quality or "") for n in entity.names}),
        "birth_dates": sorted({(b.start or "", b.end or "", b.circa) for b in entity.birth_dates}),
        "countries": sorted({*entity.countries, *entity.birth_places}),
        "identifiers": sorted({(i.type, i.value) for i in entity.identifiers}),
    })


def query_fingerprint(query: Query) -> str:
    """sha256 over the account fields that are screened (the `lists` filter is not one of them)."""
    return _digest({
        "names": sorted(set(query.names)),
        "handle": query.handle or "",
        "type": query.type.value if query.type is not None else "",
        "birth_date": query.birth_date or "",
        "countries": sorted(set(query.countries)),
        "identifiers": sorted(set(query.identifiers)),
    })


def _digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()
