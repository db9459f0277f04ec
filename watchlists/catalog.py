"""Which list versions exist (bundled and refreshed), which one is in force, and loading them.

Bundled snapshots live read-only in `watchlists/data/<list>/<version>/`; refreshed ones in
the store directory, where a `CURRENT` file (replaced atomically) names the version in
force. A configured selection beats both. Parsed lists are cached as pickles keyed by the
version's sha256 and a digest of the parser source, so a parser change invalidates them.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from watchlists.lists import LISTS
from watchlists.manifest import MANIFEST, ListVersion, file_sha256, parse_files, read_manifest
from watchlists.model import Entity, ListParseError, RecordIssue

BUNDLE_DIR = Path(__file__).parent / "data"
CURRENT = "CURRENT"

# The bundled version in force per list when nothing else is configured or refreshed: the
# freshest snapshot of each. For the OFAC consolidated list the XML (Publish_Date 2025-06-30)
# is chosen over the later CSV set because only the XML states its publish date.
DEFAULT_BUNDLE: dict[str, str] = {
    "ofac_sdn": "2024-05-03-ofac_csv",
    "ofac_cons": "2025-06-30-ofac_xml",
    "un_sc": "2026-02-27-un_xml",
    "eu_fsf": "2021-03-02-eu_xml",
    "uk_ofsi": "2025-04-14-uk_xlsx",
}


class CatalogError(LookupError):
    """An unknown list, an unknown or ambiguous version, or no version at all."""


@dataclass
class LoadedList:
    meta: ListVersion
    entities: list[Entity]
    issues: list[RecordIssue] = field(default_factory=list)


class Catalog:
    """Finds stored versions and loads the ones in force.

    Args:
        store_dir: where refreshed versions and their CURRENT pointers live.
        cache_dir: where parsed lists are cached; None disables the cache.
        selections: list id -> version prefix, overriding CURRENT and the bundled default.
        enabled: the list ids in use (default: all known lists).
        bundle_dir: the bundled snapshots.
    """

    def __init__(
        self,
        store_dir: Path,
        cache_dir: Path | None = None,
        selections: Mapping[str, str] | None = None,
        enabled: Iterable[str] | None = None,
        bundle_dir: Path = BUNDLE_DIR,
    ) -> None:
        self.store_dir = store_dir
        self.cache_dir = cache_dir
        self.selections = dict(selections or {})
        self.enabled = tuple(enabled) if enabled is not None else tuple(LISTS)
        self.bundle_dir = bundle_dir
        for list_id in (*self.enabled, *self.selections):
            if list_id not in LISTS:
                raise CatalogError(f"unknown list {list_id!r}; known: {', '.join(LISTS)}")

    def versions(self, list_id: str) -> list[ListVersion]:
        """Every stored version of a list, oldest publish date first."""
        found = []
        for root in (self.bundle_dir, self.store_dir):
            base = root / list_id
            if base.is_dir():
                found += [read_manifest(d) for d in sorted(base.iterdir()) if (d / MANIFEST).is_file()]
        return sorted(found, key=lambda v: (v.published is not None, v.published, v.imported_at))

    def find(self, list_id: str, prefix: str) -> ListVersion:
        """The one version of `list_id` whose version string starts with `prefix`."""
        hits = [v for v in self.versions(list_id) if v.version.startswith(prefix)]
        exact = [v for v in hits if v.version == prefix]
        if len(exact) == 1 or len(hits) == 1:
            return (exact or hits)[0]
        known = ", ".join(v.version for v in self.versions(list_id)) or "none"
        problem = "matches several versions" if hits else "matches no version"
        raise CatalogError(f"{list_id}@{prefix} {problem}; stored: {known}")

    def resolve(self, ref: str) -> ListVersion:
        """A version from `list_id@prefix`, or the version in force for a bare `list_id`."""
        list_id, _, prefix = ref.partition("@")
        if list_id not in LISTS:
            raise CatalogError(f"unknown list {list_id!r}; known: {', '.join(LISTS)}")
        return self.find(list_id, prefix) if prefix else self.active(list_id)

    def active(self, list_id: str) -> ListVersion:
        """The version in force: configured selection, else the refreshed CURRENT, else bundled."""
        if list_id in self.selections:
            return self.find(list_id, self.selections[list_id])
        pointer = self.store_dir / list_id / CURRENT
        if pointer.is_file():
            return read_manifest(self.store_dir / list_id / pointer.read_text("utf-8").strip())
        default = DEFAULT_BUNDLE.get(list_id)
        candidates = [v for v in self.versions(list_id) if v.path.parent.parent == self.bundle_dir]
        chosen = [v for v in candidates if default and v.version.startswith(default)] or candidates[-1:]
        if not chosen:
            raise CatalogError(f"no version of {list_id} is stored")
        return chosen[0]

    def set_current(self, version: ListVersion) -> None:
        """Put a stored (refreshed) version in force, atomically."""
        if version.path.parent != self.store_dir / version.list_id:
            raise CatalogError(f"{version.ref} is not in the store directory")
        _atomic_write(self.store_dir / version.list_id / CURRENT, version.version + "\n")

    def load(self, version: ListVersion) -> LoadedList:
        """Parse a version (or read it from the cache). Raises ListParseError on bad files."""
        cached = self._cache_path(version)
        if cached is not None and cached.is_file():
            with open(cached, "rb") as fh:
                entities, issues = pickle.load(fh)
            return LoadedList(version, entities, issues)
        _verify_files(version)
        result = parse_files(version.format, version.file_paths(), version.list_id, version.version)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(cached, pickle.dumps((result.entities, result.issues), protocol=5))
        return LoadedList(version, result.entities, result.issues)

    def load_active(self) -> list[LoadedList]:
        return [self.load(self.active(list_id)) for list_id in self.enabled]

    def _cache_path(self, version: ListVersion) -> Path | None:
        if self.cache_dir is None:
            return None
        key = f"{version.list_id}@{version.version}-{version.sha256[:12]}-{parser_digest()[:12]}"
        return self.cache_dir / f"{key}.pickle"


@cache
def parser_digest() -> str:
    """A digest of the parser source code: cached parses are only valid for the same parsers."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _verify_files(version: ListVersion) -> None:
    for info in version.files:
        sha, _ = file_sha256(version.path / info.name)
        if sha != info.sha256:
            raise ListParseError(info.name, "whole file", "content does not match the manifest's sha256")


def _atomic_write(path: Path, data: str | bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)
