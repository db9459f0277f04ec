"""Builds bench/data/hard_negatives.jsonl.gz: labelled pairs made from the bundled lists.

Our hard negatives pair two *different* listed entities: persons sharing a surname
(`shared_surname`), persons sharing a given name (`shared_given_name`), organizations with
near-identical names (`near_miss_company`). The PyPI package sanctions-screening-benchmark
(module `ssb`, MIT) adds its perturbed positives (`ssb_<perturbation>`, label true) and
near-miss negative controls (`ssb_<class>`, label false), generated offline over our parsed
2024 SDN list. Deterministic: fixed seed, sorted inputs, gzip without timestamp.

    .venv-bench/bin/python bench/make_negatives.py [--out bench/data/hard_negatives.jsonl.gz]
"""
from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import re
import sys
import tempfile
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapidfuzz import fuzz, process  # noqa: E402
from rapidfuzz.distance import JaroWinkler  # noqa: E402

from watchlists.catalog import Catalog, LoadedList  # noqa: E402
from watchlists.model import Entity, EntityType  # noqa: E402

SEED = 20240503
OUT = Path(__file__).resolve().parent / "data" / "hard_negatives.jsonl.gz"
PAIRS_PER_KIND = 400  # own hard negatives per kind
PAIRS_PER_KEY = 3  # at most this many pairs share one surname / given name / company
SSB_POSITIVES_PER_CLASS = 80
SSB_NEGATIVES_PER_CLASS = 200
CANDIDATE_SAMPLE = 30  # others considered per query entity; the most similar one is kept
FUZZY_TOKEN = 0.85  # tokens at least this Jaro-Winkler-similar count as the same token
NEAR_MISS = 80  # token_sort_ratio of folded names at which two companies are a near miss
MIN_DOB_GAP_YEARS = 2  # persons paired as different people are born at least this far apart
# Words that do not tell one organization from another.
ORG_STOPWORDS = frozenset("""
    ag and as bank banque co company corp corporation cjsc de des du e et for gmbh group
    holding holdings inc international jsc limited llc llp ltd of oao ojsc ooo pjsc plc
    s sa sal sarl the trading zao
""".split())

# Abbreviations the lists write for whole words ("SHANGHAI DONGFENG SHPG CO LTD" on the SDN
# list is "SHANGHAI DONGFENG SHIPPING CO LTD" on the UN, EU and UK lists): one name, not a
# near miss. Kept apart from the engine's own table (compliance.matching.normalize), so the
# labels do not follow the engine under test.
ABBREVIATIONS = {
    "shpg": "shipping", "trdg": "trading", "intl": "international", "natl": "national",
    "mgmt": "management", "assn": "association", "assoc": "association", "dept": "department",
    "devt": "development", "inds": "industries", "mfg": "manufacturing", "hldg": "holding",
    "hldgs": "holdings", "grp": "group", "univ": "university", "inst": "institute",
}

Record = dict[str, Any]


def load_lists() -> list[LoadedList]:
    """Every default list, bundled version in force (ignores any refreshed instance state)."""
    with tempfile.TemporaryDirectory() as tmp:
        return Catalog(store_dir=Path(tmp)).load_active()


@lru_cache(maxsize=None)
def fold(text: str) -> str:
    """Case-, diacritic- and punctuation-folded, abbreviations written out, token-sorted: the
    'same name' key."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.sub(r"[\W_]+", " ", plain.casefold()).split()
    return " ".join(sorted(ABBREVIATIONS.get(w, w) for w in words))


def tokens(text: str | None) -> list[str]:
    return fold(text).split() if text else []


def part(entity: Entity, *names: str) -> list[str]:
    """Folded tokens of the named parts of the primary name ("first", "middle", "last")."""
    return [t for key, value in entity.names[0].parts if key in names for t in tokens(value)]


def birth_years(entity: Entity) -> set[int]:
    years: set[int] = set()
    for born in entity.birth_dates:
        low = born.start[:4] if born.start else ""
        high = born.end[:4] if born.end else low
        if low.isdigit() and high.isdigit():
            years.update(range(int(low), int(high) + 1))
    return years


def identifiers(entity: Entity) -> set[str]:
    return {re.sub(r"\W", "", i.value).casefold() for i in entity.identifiers if i.value}


def unmatched(left: Iterable[str], right: Iterable[str]) -> bool:
    """Whether some token of `left` has no Jaro-Winkler-similar token in `right`."""
    right = list(right)
    return any(all(JaroWinkler.similarity(a, b) < FUZZY_TOKEN for b in right) for a in left)


# -- guards: a negative pair must really be two different listed entities ---------------

def distinct_entities(a: Entity, b: Entity) -> bool:
    """Different ids, no name in common after folding, no shared identifier."""
    if a.id == b.id:
        return False
    if {fold(n.full) for n in a.names} & {fold(n.full) for n in b.names}:
        return False
    return not identifiers(a) & identifiers(b)


def distinct_people(a: Entity, b: Entity) -> bool:
    """Distinct entities whose known birth years are all at least MIN_DOB_GAP_YEARS apart."""
    years_a, years_b = birth_years(a), birth_years(b)
    if not years_a or not years_b or not distinct_entities(a, b):
        return False
    return min(abs(x - y) for x in years_a for y in years_b) >= MIN_DOB_GAP_YEARS


def all_tokens(entity: Entity) -> set[str]:
    return {t for name in entity.names for t in tokens(name.full)}


def core(name: str) -> frozenset[str]:
    return frozenset(t for t in tokens(name) if t not in ORG_STOPWORDS)


def distinct_companies(a: Entity, b: Entity) -> bool:
    """Distinct entities; no name of one is the other's minus legal forms and generic words;
    each primary name keeps a distinctive token the other lacks (even fuzzily)."""
    if not distinct_entities(a, b):
        return False
    core_a, core_b = core(a.name), core(b.name)
    if not core_a or not core_b or not unmatched(core_a, core_b) or not unmatched(core_b, core_a):
        return False
    for name_a in {core(n.full) for n in a.names}:
        for name_b in {core(n.full) for n in b.names}:
            if name_a <= name_b or name_b <= name_a:
                return False
    return True


# -- record sides -----------------------------------------------------------------------

SCHEMAS = {EntityType.PERSON: "Person", EntityType.ORGANIZATION: "Organization",
           EntityType.VESSEL: "Vessel", EntityType.AIRCRAFT: "Airplane"}


def query_side(entity: Entity, name: str | None = None, details: bool = True) -> Record:
    """A customer-like query: one name, the schema and (if `details`) birth date and country."""
    side: Record = {"name": name or entity.name, "schema": SCHEMAS.get(entity.type, "LegalEntity")}
    if details:
        births = [b.start for b in entity.birth_dates if b.start]
        if births:
            side["birth_date"] = births[0]
        if entity.countries:
            side["country"] = entity.countries[0]
    return side


def candidate_side(entity: Entity) -> Record:
    """A list entry as in the development sets: primary name, schema, birth date, country."""
    side = query_side(entity)
    if entity.programs:
        side["program"] = "; ".join(entity.programs)
    if entity.list_id == "ofac_sdn":
        side["sdn_ent_num"] = entity.source_id
    side["entity_id"] = entity.id
    return side


def pair(query: Record, candidate: Entity, label: bool, kind: str, source: str,
         **extra: Any) -> Record:
    return {"query": query, "candidate": candidate_side(candidate), "label": label,
            "source": source, "kind": kind, "kind_origin": "generated", **extra}


# -- our hard negatives -----------------------------------------------------------------

def similarity(a: Entity, b: Entity) -> float:
    return fuzz.token_sort_ratio(fold(a.name), fold(b.name))


def keyed_pairs(entities: list[Entity], key: Callable[[Entity], str | None],
                guard: Callable[[Entity, Entity], bool], rng: random.Random,
                count: int) -> list[tuple[Entity, Entity]]:
    """Pairs (a, b) sharing `key`, passing `guard`; b is the most similar of a sample."""
    groups: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        value = key(entity)
        if value:
            groups[value].append(entity)
    starts = [e for e in entities if len(groups.get(key(e) or "", ())) > 1]
    rng.shuffle(starts)
    pairs, seen, per_key = [], set(), Counter()
    for a in starts:
        group_key = key(a)
        if per_key[group_key] >= PAIRS_PER_KEY:
            continue
        others = [b for b in groups[group_key] if guard(a, b) and frozenset((a.id, b.id)) not in seen]
        if not others:
            continue
        b = max(rng.sample(others, min(CANDIDATE_SAMPLE, len(others))), key=lambda o: similarity(a, o))
        pairs.append((a, b))
        seen.add(frozenset((a.id, b.id)))
        per_key[group_key] += 1
        if len(pairs) >= count:
            break
    return pairs


def surname(entity: Entity) -> str | None:
    return " ".join(part(entity, "last")) or None


def given_name(entity: Entity) -> str | None:
    first = part(entity, "first")
    return first[0] if first and len(first[0]) > 2 else None


def different_given_names(a: Entity, b: Entity) -> bool:
    """Each has a given-name token the other lacks anywhere in any of its names."""
    given_a, given_b = part(a, "first", "middle"), part(b, "first", "middle")
    return (bool(given_a) and bool(given_b) and distinct_people(a, b)
            and unmatched(given_a, all_tokens(b)) and unmatched(given_b, all_tokens(a)))


def different_surnames(a: Entity, b: Entity) -> bool:
    """Each has a surname token the other lacks anywhere in any of its names."""
    last_a, last_b = part(a, "last"), part(b, "last")
    return (bool(last_a) and bool(last_b) and distinct_people(a, b)
            and unmatched(last_a, all_tokens(b)) and unmatched(last_b, all_tokens(a)))


def company_pairs(orgs: list[Entity], rng: random.Random, count: int) -> list[tuple[Entity, Entity]]:
    """Organizations with near-identical names (token_sort_ratio >= NEAR_MISS) that are distinct."""
    keys = [fold(o.name) for o in orgs]
    starts = list(range(len(orgs)))
    rng.shuffle(starts)
    pairs, seen, per_key = [], set(), Counter()
    for i in starts:
        hits = process.extract(keys[i], keys, scorer=fuzz.token_sort_ratio, limit=25, score_cutoff=NEAR_MISS)
        for _, _, j in sorted(hits, key=lambda h: (-h[1], h[2])):
            a, b = orgs[i], orgs[j]
            ids = frozenset((a.id, b.id))
            if ids in seen or per_key[keys[j]] >= PAIRS_PER_KEY or not distinct_companies(a, b):
                continue
            pairs.append((a, b))
            seen.add(ids)
            per_key[keys[j]] += 1
            break
        if len(pairs) >= count:
            break
    return pairs


def own_negatives(lists: list[LoadedList], rng: random.Random) -> list[Record]:
    """shared_surname, shared_given_name and near_miss_company pairs over all default lists."""
    entities = [e for loaded in lists for e in loaded.entities]
    persons = [e for e in entities if e.type == EntityType.PERSON]
    orgs = [e for e in entities if e.type == EntityType.ORGANIZATION]
    refs = ", ".join(loaded.meta.ref for loaded in lists)
    source = f"bench/make_negatives.py seed {SEED} over {refs}"
    kinds = {
        "shared_surname": keyed_pairs(persons, surname, different_given_names, rng, PAIRS_PER_KIND),
        "shared_given_name": keyed_pairs(persons, given_name, different_surnames, rng, PAIRS_PER_KIND),
        "near_miss_company": company_pairs(orgs, rng, PAIRS_PER_KIND),
    }
    return [pair(query_side(a), b, False, kind, source, query_entity_id=a.id)
            for kind, found in kinds.items() for a, b in found]


# -- sanctions-screening-benchmark (ssb) ------------------------------------------------

def natural_name(entity: Entity) -> str:
    """"Given Family" from the name parts ("KARIMOV, Muhammad Yusuf" -> "Muhammad Yusuf
    KARIMOV"): ssb's perturbations and negatives take the first token as the given name."""
    parts = dict(entity.names[0].parts)
    if parts.get("first") and parts.get("last"):
        return f"{parts['first']} {parts['last']}"
    return entity.name


def ssb_snapshot(sdn: LoadedList):
    """Our parsed SDN list as an ssb ListSnapshot: ssb never downloads when handed one.

    (`ssb.sources.fetch` is its only network path; `load_fixture(path)` reads a local SDN
    CSV but insists on a sibling `synthetic_list_alt.csv`, so we build the snapshot from
    the entities our own parser produced, with our source ids.)
    """
    from ssb import sources

    entities = [
        sources.Entity(entity_id=e.source_id, primary_name=natural_name(e),
                       entity_type="individual" if e.type == EntityType.PERSON else e.type.value,
                       programs=list(e.programs), aliases=[n.full for n in e.names[1:]])
        for e in sdn.entities
    ]
    return sources.ListSnapshot(source=sdn.meta.ref, retrieved_at=str(sdn.meta.published),
                                entities=entities, endpoint=str(sdn.meta.path))


def ssb_cases(sdn: LoadedList) -> dict[str, list]:
    """ssb's cases over every SDN individual, by perturbation / negative class."""
    from ssb import benchmark

    built = benchmark.build(ssb_snapshot(sdn), limit=None, seed=SEED, max_per_class=1,
                            individuals_only=True, negatives_per_class=1)
    by_class: dict[str, list] = defaultdict(list)
    for case in built.cases:
        by_class[case.perturbation].append(case)
    return dict(sorted(by_class.items()))


def is_variant(text: str, entity: Entity) -> bool:
    """Whether every token of `text` is (fuzzily) in one name of `entity`: then it is the
    same entity with parts dropped or misspelt, not a negative."""
    query = tokens(text)
    return any(not unmatched(query, tokens(n.full)) for n in entity.names)


def real_negative(text: str, source: Entity, listed: set[str]) -> bool:
    """Not a listed name after folding (ssb checks by casefold only, so "AHMAD Hamid" passes
    for "AHMAD, Hamid"), and not a variant of the entry it was derived from."""
    return fold(text) not in listed and not is_variant(text, source)


def ssb_pairs(lists: list[LoadedList], rng: random.Random) -> list[Record]:
    """ssb positives (label true) and negative controls (label false) as pairs."""
    sdn = next(loaded for loaded in lists if loaded.meta.list_id == "ofac_sdn")
    by_id = {e.source_id: e for e in sdn.entities}
    by_name: dict[str, Entity] = {}
    for e in sdn.entities:
        by_name.setdefault(natural_name(e), e)
    listed = {fold(n.full) for loaded in lists for e in loaded.entities for n in e.names}
    source = f"sanctions-screening-benchmark 0.1.0 (ssb.benchmark.build, seed {SEED}) over {sdn.meta.ref}"
    out: list[Record] = []
    for klass, cases in ssb_cases(sdn).items():
        negative = cases[0].expected_entity_id is None
        found = [(c, by_name.get(c.source_name) if negative else by_id.get(c.expected_entity_id))
                 for c in cases]
        found = [(c, e) for c, e in found
                 if e is not None and (not negative or real_negative(c.query, e, listed))]
        limit = SSB_NEGATIVES_PER_CLASS if negative else SSB_POSITIVES_PER_CLASS
        for case, entity in rng.sample(found, min(limit, len(found))):
            out.append(pair({"name": case.query, "schema": "Person"}, entity, not negative,
                            f"ssb_{klass}", source, kind_origin="ssb", ssb_family=case.family))
    return out


def write(records: list[Record], out: Path) -> None:
    """Gzipped JSON lines, byte-identical across runs (no timestamp or file name inside)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        with io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as text:
            for record in records:
                text.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    lists = load_lists()
    rng = random.Random(SEED)
    records = own_negatives(lists, rng) + ssb_pairs(lists, rng)
    write(records, args.out)
    counts = Counter((r["kind"], r["label"]) for r in records)
    for (kind, label), n in sorted(counts.items()):
        print(f"{kind:28} {'true' if label else 'false':5} {n:5}")
    print(f"{len(records)} pairs -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
