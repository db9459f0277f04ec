"""List versions on disk: one directory per version, its compressed files and manifest.json.

`import_files` is the one way a version comes into being, for the bundled snapshots and
for every refresh alike: sniff, parse in full, then write the compressed copies and the
manifest into a temporary directory that is renamed into place (atomic on one filesystem).
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from watchlists.formats import FORMATS, sniff
from watchlists.lists import ListSpec
from watchlists.model import ListParseError, ParseResult, open_binary

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class FileInfo:
    role: str
    name: str  # the stored (compressed) file name
    original_name: str
    sha256: str  # of the original, uncompressed bytes
    bytes: int


@dataclass(frozen=True)
class ListVersion:
    """The manifest of one stored version of one list."""

    list_id: str
    version: str
    format: str
    published: date | None
    source: str
    sha256: str
    entities: int
    names: int
    issues: int
    files: tuple[FileInfo, ...]
    path: Path
    imported_at: str = ""
    published_note: str = ""
    issue_samples: tuple[str, ...] = field(default=())

    @property
    def ref(self) -> str:
        """The version's reference, as recorded with every screening: `list_id@version`."""
        return f"{self.list_id}@{self.version}"

    def age_days(self, today: date) -> int | None:
        return None if self.published is None else (today - self.published).days

    def is_stale(self, today: date, max_age_days: int) -> bool:
        """Stale when older than `max_age_days`, or when its age is unknown."""
        age = self.age_days(today)
        return age is None or age > max_age_days

    def file_paths(self) -> dict[str, Path]:
        return {f.role: self.path / f.name for f in self.files}


def read_manifest(directory: Path) -> ListVersion:
    data = json.loads((directory / MANIFEST).read_text("utf-8"))
    published = data.get("published")
    return ListVersion(
        list_id=data["list"],
        version=data["version"],
        format=data["format"],
        published=date.fromisoformat(published) if published else None,
        source=data["source"],
        sha256=data["sha256"],
        entities=data["entities"],
        names=data["names"],
        issues=data.get("issues", 0),
        files=tuple(FileInfo(**f) for f in data["files"]),
        path=directory,
        imported_at=data.get("imported_at", ""),
        published_note=data.get("published_note", ""),
        issue_samples=tuple(data.get("issue_samples", ())),
    )


def _manifest_json(v: ListVersion) -> str:
    data = {
        "list": v.list_id,
        "version": v.version,
        "format": v.format,
        "published": v.published.isoformat() if v.published else None,
        "published_note": v.published_note,
        "source": v.source,
        "sha256": v.sha256,
        "entities": v.entities,
        "names": v.names,
        "issues": v.issues,
        "issue_samples": list(v.issue_samples),
        "imported_at": v.imported_at,
        "files": [f.__dict__ for f in v.files],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def file_sha256(path: Path) -> tuple[str, int]:
    """sha256 and size of the file's uncompressed bytes."""
    digest, size = hashlib.sha256(), 0
    with open_binary(path) as fh:
        try:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        except (OSError, EOFError) as exc:  # a truncated or corrupt gzip file
            raise ListParseError(path.name, f"byte {size} of the uncompressed data", str(exc)) from exc
    return digest.hexdigest(), size


def combined_sha256(files: Mapping[str, str]) -> str:
    """One digest for a version: the file's own for one file, else a digest of role:sha lines."""
    if len(files) == 1:
        return next(iter(files.values()))
    lines = "".join(f"{role}:{sha}\n" for role, sha in sorted(files.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def sniff_file(path: Path) -> str:
    with open_binary(path) as fh:
        return sniff(fh.read(4096))


def parse_files(fmt: str, files: Mapping[str, Path], list_id: str, version: str) -> ParseResult:
    """Parse a version's files with the format's parser, checking the file roles."""
    spec = FORMATS[fmt]
    missing = spec.roles[0] not in files
    unknown = set(files) - set(spec.roles)
    if missing or unknown:
        raise ListParseError(
            str(files.get(spec.roles[0], "?")), "file set",
            f"format {fmt} takes roles {', '.join(spec.roles)} (first required); got {', '.join(files)}",
        )
    return spec.parse(files, list_id, version)


def import_files(
    spec: ListSpec,
    files: Mapping[str, Path],
    dest_root: Path,
    source: str,
    published: date | None = None,
    published_note: str = "",
    fmt: str | None = None,
    accept: Callable[[ParseResult], None] | None = None,
) -> tuple[ListVersion, ParseResult]:
    """Parse `files` in full and store them as a new version under `dest_root/<list>/`.

    The publish date the file states wins over `published`, which is the fallback for
    formats that state none (OFAC CSV). Raises ListParseError if any file cannot be read
    as the format; nothing is written then. `accept` may veto the parsed result by raising
    before anything is written (refresh uses it for its sanity checks).
    """
    fmt = fmt or sniff_file(files["primary"])
    if fmt not in spec.formats:
        raise ListParseError(files["primary"].name, "format", f"{fmt} is not a format of list {spec.id}")
    shas = {role: file_sha256(p) for role, p in files.items()}
    sha = combined_sha256({role: s for role, (s, _) in shas.items()})
    probe = parse_files(fmt, files, spec.id, "pending")
    if accept is not None:
        accept(probe)
    when = probe.published or published
    version = f"{when.isoformat() if when else 'undated'}-{fmt}-{sha[:8]}"
    result = _restamp(probe, version)
    meta = ListVersion(
        list_id=spec.id, version=version, format=fmt, published=when, source=source, sha256=sha,
        entities=len(result.entities), names=sum(len(e.names) for e in result.entities),
        issues=len(result.issues),
        files=tuple(
            FileInfo(role, _stored_name(p), _original_name(p), shas[role][0], shas[role][1])
            for role, p in files.items()
        ),
        path=dest_root / spec.id / version,
        imported_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        published_note=published_note if probe.published is None else "stated in the file",
        issue_samples=tuple(f"{i.position}: {i.message}" for i in result.issues[:20]),
    )
    _write_version(meta, files)
    return meta, result


def _restamp(result: ParseResult, version: str) -> ParseResult:
    result.entities = [replace(e, list_version=version) for e in result.entities]
    return result


def _original_name(path: Path) -> str:
    return path.name[:-3] if path.suffix == ".gz" else path.name


def _stored_name(path: Path) -> str:
    return _original_name(path) + ".gz"


def _write_version(meta: ListVersion, files: Mapping[str, Path]) -> None:
    parent = meta.path.parent
    parent.mkdir(parents=True, exist_ok=True)
    if meta.path.exists():  # the same bytes were imported before: nothing to do
        return
    tmp = Path(tempfile.mkdtemp(prefix=".import-", dir=parent))
    try:
        for info in meta.files:
            with open_binary(files[info.role]) as src, gzip.GzipFile(
                tmp / info.name, "wb", compresslevel=9, mtime=0
            ) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        (tmp / MANIFEST).write_text(_manifest_json(meta), "utf-8")
        os.replace(tmp, meta.path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
