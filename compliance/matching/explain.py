"""The explanation of a comparison, for machines (a dict) and for a lawyer (a summary)."""
from __future__ import annotations

from compliance.matching.features import FeatureResult
from compliance.matching.normalize import SCHOLARLY_READING, NameForm
from compliance.matching.scoring import NameScore
from compliance.models import Verdict
from compliance.policy import Policy
from watchlists.model import Entity, Name


def explanation(entity: Entity, query: NameForm | None, name: Name | None, ns: NameScore, adjusted: float,
                fired: list[FeatureResult], identifier: str, score: float, verdict: Verdict,
                policy: Policy, engine_version: str) -> dict:
    out: dict = {
        "summary": summary(entity, query, name, ns, fired, identifier, score, verdict, policy),
        "score": round(score, 4),
        "verdict": verdict.value,
        "query_name": query.to_dict() if query else None,
        "matched_name": _name_dict(name) if name else None,
        "name_similarity": ns.to_dict(),
        "name_score": round(adjusted, 4),
        "features": [f.to_dict() for f in fired],
        "policy": policy.to_dict(),
        "engine": engine_version,
    }
    if identifier:
        out["decisive"] = identifier
    return out


def _name_dict(name: Name) -> dict:
    out = {"text": name.full, "kind": name.kind.value}
    if name.quality:
        out["quality"] = name.quality
    if name.script:
        out["script"] = name.script
    return out


def summary(entity: Entity, query: NameForm | None, name: Name | None, ns: NameScore,
            fired: list[FeatureResult], identifier: str, score: float, verdict: Verdict, policy: Policy) -> str:
    """One paragraph a legal reviewer can read."""
    parts = []
    if query is not None and name is not None:
        what = "Handle" if query.handle else "Name"
        kind = "primary name" if name.kind.value == "primary" else f"{name.kind.value} name"
        quality = f", {name.quality} quality" if name.quality else ""
        parts.append(f"{what} '{query.original}' met listed {kind} '{name.full}'{quality} of {entity.id} "
                     f"with name similarity {ns.score:.2f}.")
        if query.script:
            reading = f" in its {SCHOLARLY_READING} reading" if query.scholarly else ""
            parts.append(f"The query was transliterated from {query.script}{reading} as '{query.latin}'.")
        if query.titles:
            parts.append(f"Titles set aside: {', '.join(query.titles)}.")
        split = query.compounds_split()
        if split:
            parts.append("Read as written apart: " + ", ".join(f"{c} as '{p}'" for c, p in split.items()) + ".")
        aligned = ", ".join(f"{p.query}~{p.candidate} ({p.similarity:.2f})" for p in ns.pairs)
        if aligned:
            parts.append(f"Aligned: {aligned}.")
        if ns.unmatched_query:
            parts.append(f"Not found in the listing: {', '.join(ns.unmatched_query)}.")
        if ns.unmatched_candidate:
            parts.append(f"Listed but not in the query: {', '.join(ns.unmatched_candidate)}.")
    else:
        parts.append(f"No name of {entity.id} resembles the query.")
    for f in fired:
        parts.append(f"{f.detail[:1].upper()}{f.detail[1:]} ({f.contribution:+.2f}).")
    if identifier:
        parts.append(f"{identifier[:1].upper()}{identifier[1:]}: decisive.")
    threshold = policy.match if verdict is Verdict.MATCH else policy.review
    relation = ">=" if verdict is not Verdict.CLEAR else "<"
    parts.append(f"Score {score:.2f} {relation} {threshold:.2f}: {verdict.value}.")
    return " ".join(parts)
