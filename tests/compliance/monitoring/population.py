"""A seeded population of accounts for the reverse-screening equivalence test.

Listed names as customers enter them (exact, a typo, a dropped or added token, reversed order,
an initial, two tokens joined or one split, the list's own non-Latin spellings, a handle),
with the listed date of birth and country or other ones; listed identifiers under unrelated
names; and people who are on no list: the qarin synthetic people of bench/data, their given
and family names recombined within one script.
"""
from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from compliance.models import Query
from compliance.service import Account
from watchlists.model import Entity, EntityType, script_of

QARIN = Path(__file__).resolve().parents[3] / "bench" / "data" / "dev_negatives_qarin.jsonl.gz"
COUNTRIES = ("IR", "RU", "SY", "KP", "AE", "DE", "FR", "GB", "US", "CN", "TR", "PK", "IQ", "LB", "VE")
EXTRA = ("Ahmed", "John", "Maria", "Ali", "Kim", "Abdul", "Ivanovich")


def _typo(tokens: list[str], rng: random.Random) -> list[str]:
    long = [i for i, t in enumerate(tokens) if len(t) >= 4]
    if not long:
        return tokens
    i = rng.choice(long)
    j = rng.randrange(1, len(tokens[i]) - 1)
    edit = rng.choice(("swap", "drop", "change"))
    t = tokens[i]
    tokens[i] = (t[:j] + t[j + 1] + t[j] + t[j + 2:] if edit == "swap" else t[:j] + t[j + 1:] if edit == "drop"
                 else t[:j] + rng.choice("aeioukmnrst") + t[j + 1:])
    return tokens


PERTURBATIONS: tuple[Callable[[list[str], random.Random], list[str]], ...] = (
    lambda t, r: t,
    _typo,
    lambda t, r: t[:-1] if len(t) > 2 else t,
    lambda t, r: t[1:] if len(t) > 2 else t,
    lambda t, r: list(reversed(t)),
    lambda t, r: [t[0][0], *t[1:]] if len(t) > 1 else t,
    lambda t, r: [t[0] + t[1].lower(), *t[2:]] if len(t) > 1 else t,
    lambda t, r: [t[0][:3], t[0][3:], *t[1:]] if len(t[0]) > 6 else t,
    lambda t, r: [*t[:1], r.choice(EXTRA), *t[1:]],
)


def perturbed(entity: Entity, rng: random.Random, account_id: str) -> Account:
    """A customer record resembling a listed entity."""
    names = [n.full for n in entity.names]
    scripted = [n for n in names if script_of(n) is not None]
    if scripted and rng.random() < 0.15:
        text = rng.choice(scripted)
    else:
        tokens = [t for t in re.split(r"[\s,]+", rng.choice(names)) if t]
        text = " ".join(rng.choice(PERTURBATIONS)(tokens, rng)) if tokens else entity.name
    births = [b.start for b in entity.birth_dates if b.start]
    draw = rng.random()
    birth = rng.choice(births) if births and draw < 0.4 else f"{rng.randint(1940, 2000)}" if draw < 0.7 else None
    country = rng.choice([*entity.countries[:1], *COUNTRIES]) if rng.random() < 0.6 else None
    handle = "@" + re.sub(r"\W+", "_", text.casefold())[:30] + "1" if rng.random() < 0.05 else None
    kind = None if rng.random() < 0.5 else (EntityType.PERSON if entity.type is EntityType.PERSON
                                             else EntityType.ORGANIZATION)
    query = Query(names=(text,), handle=handle, birth_date=birth, countries=(country,) if country else (),
                  type=kind)
    return Account(query, {"names": [text]}, account_id)


def with_identifier(entity: Entity, rng: random.Random, account_id: str) -> Account:
    """An unrelated name carrying one of the entity's identifiers."""
    identifier = rng.choice(entity.identifiers)
    query = Query(names=(f"Customer {account_id}",), identifiers=(("id", identifier.value),))
    return Account(query, {"names": [f"Customer {account_id}"]}, account_id)


def unlisted(count: int, rng: random.Random, start: int) -> list[Account]:
    """People on no list: qarin's synthetic people, their names recombined within a script."""
    with gzip.open(QARIN, "rt", encoding="utf-8") as fh:
        people = [json.loads(line)["query"] for line in fh]
    parts: dict[str, tuple[list[str], list[str]]] = {}
    for p in people:
        named = p.get("name_parts") or {}
        if named.get("firstName") and named.get("lastName"):
            firsts, lasts = parts.setdefault(script_of(p["name"]) or "Latin", ([], []))
            firsts.append(named["firstName"])
            lasts.append(named["lastName"])
    groups = sorted(parts.items())
    accounts = []
    for i in range(count):
        _, (firsts, lasts) = rng.choice(groups)
        name = f"{rng.choice(firsts)} {rng.choice(lasts)}"
        person = rng.choice(people)
        query = Query(names=(name,), birth_date=person.get("birth_date") if rng.random() < 0.6 else None,
                      countries=(person["country"],) if person.get("country") and rng.random() < 0.7 else ())
        accounts.append(Account(query, {"names": [name]}, f"u-{start + i:06d}"))
    return accounts


def population(targets: Sequence[Entity], others: Sequence[Entity], size: int, seed: int) -> list[Account]:
    """`size` accounts: 40% resembling a target, 20% resembling another listed entity, 2% carrying a
    listed identifier, the rest on no list."""
    rng = random.Random(seed)
    near = [perturbed(rng.choice(targets), rng, f"t-{i:06d}") for i in range(int(size * 0.4))]
    far = [perturbed(rng.choice(others), rng, f"o-{i:06d}") for i in range(int(size * 0.2))]
    with_ids = [e for e in [*targets, *others] if e.identifiers]
    ids = [with_identifier(rng.choice(with_ids), rng, f"i-{i:06d}") for i in range(int(size * 0.02))]
    return [*near, *far, *ids, *unlisted(size - len(near) - len(far) - len(ids), rng, 0)]
