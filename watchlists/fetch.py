"""Refresh a list from its official source: download, sniff, parse, check, swap.

The version in force changes only after the download is complete, the format is one the
list comes in, the whole file parses, and the sanity checks pass; then the CURRENT pointer
is replaced atomically. The previous version stays on disk. Every outcome, success or
failure, is appended to `refresh-log.jsonl` in the store directory.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests

from watchlists.catalog import Catalog, CatalogError
from watchlists.formats import SniffError, sniff
from watchlists.lists import ListSpec
from watchlists.manifest import ListVersion, import_files
from watchlists.model import ListParseError, ParseResult

_EXTENSIONS = {"ofac_xml": "xml", "un_xml": "xml", "eu_xml": "xml", "ofac_csv": "csv", "uk_csv": "csv", "uk_xlsx": "xlsx"}
_RETRY_STATUS = {429, 500, 502, 503, 504}
REFRESH_LOG = "refresh-log.jsonl"


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 10.0  # seconds to establish the connection
    read_timeout: float = 60.0  # seconds of silence allowed while reading
    retries: int = 3  # attempts after the first, for timeouts, resets and 5xx/429
    backoff: float = 2.0  # seconds before the first retry, doubled for each further one
    max_bytes: int = 256 * 1024 * 1024  # refuse bodies larger than this
    min_count_ratio: float = 0.8  # a new version needs this share of the current entity count
    max_issue_ratio: float = 0.01  # and at most this share of malformed records


class RefreshError(Exception):
    """A refresh failed; the version in force is unchanged."""


@dataclass
class RefreshOutcome:
    list_id: str
    url: str
    status: str  # "updated", "unchanged" or "failed"
    at: str
    version: str | None = None
    previous: str | None = None
    sha256: str | None = None
    entities: int | None = None
    names: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class Download:
    path: Path
    sha256: str
    size: int
    last_modified: date | None


def download(url: str, dest: Path, policy: FetchPolicy, session: requests.Session | None = None) -> Download:
    """Stream `url` into `dest`, retrying transient failures with backoff.

    Raises:
        RefreshError: on a client error, too many failures, a body over the size cap, or
            a body shorter than its Content-Length.
    """
    session = session or requests.Session()
    last_error = "no attempt made"
    for attempt in range(policy.retries + 1):
        if attempt:
            time.sleep(policy.backoff * 2 ** (attempt - 1))
        try:
            return _download_once(url, dest, policy, session)
        except _Transient as exc:
            last_error = str(exc)
    raise RefreshError(f"download failed after {policy.retries + 1} attempts: {last_error}")


class _Transient(Exception):
    pass


def _download_once(url: str, dest: Path, policy: FetchPolicy, session: requests.Session) -> Download:
    timeout = (policy.connect_timeout, policy.read_timeout)
    try:
        with session.get(url, stream=True, timeout=timeout) as resp:
            if resp.status_code in _RETRY_STATUS:
                raise _Transient(f"HTTP {resp.status_code} {resp.reason} from {url}")
            if resp.status_code != 200:
                raise RefreshError(f"HTTP {resp.status_code} {resp.reason} from {url}")
            expected = int(resp.headers.get("Content-Length") or 0) or None
            if expected and expected > policy.max_bytes:
                raise RefreshError(f"body of {expected} bytes exceeds the cap of {policy.max_bytes}")
            sha, size = _stream_to(resp, dest, policy.max_bytes)
            if expected is not None and size != expected:
                raise _Transient(f"body truncated: got {size} of {expected} bytes")
            return Download(dest, sha, size, _last_modified(resp.headers.get("Last-Modified")))
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise _Transient(f"{type(exc).__name__}: {exc}") from exc
    except requests.exceptions.ChunkedEncodingError as exc:
        raise _Transient(f"body truncated: {exc}") from exc
    except requests.RequestException as exc:
        raise RefreshError(f"request failed: {exc}") from exc


def _stream_to(resp: requests.Response, dest: Path, max_bytes: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(dest, "wb") as fh:
        for chunk in resp.iter_content(1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise RefreshError(f"body exceeds the cap of {max_bytes} bytes")
            digest.update(chunk)
            fh.write(chunk)
    return digest.hexdigest(), size


def _last_modified(header: str | None) -> date | None:
    try:
        return parsedate_to_datetime(header).date() if header else None
    except (TypeError, ValueError):
        return None


def refresh(
    catalog: Catalog, spec: ListSpec, url: str, policy: FetchPolicy, session: requests.Session | None = None
) -> RefreshOutcome:
    """Refresh one list; never raises for a failed refresh, the outcome says what happened."""
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    outcome = RefreshOutcome(spec.id, url, "failed", now)
    current = _current_or_none(catalog, spec.id)
    outcome.previous = current.ref if current else None
    work = catalog.store_dir / spec.id
    work.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".download-", dir=work))
    try:
        new = _fetch_and_import(catalog, spec, url, policy, session, current, tmp)
        if new is None:
            outcome.status, outcome.version = "unchanged", current.version if current else None
            outcome.sha256 = current.sha256 if current else None
        else:
            catalog.set_current(new)
            outcome.status, outcome.version, outcome.sha256 = "updated", new.version, new.sha256
            outcome.entities, outcome.names = new.entities, new.names
    except (RefreshError, SniffError, ListParseError, CatalogError, OSError) as exc:
        outcome.error = str(exc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _log(catalog.store_dir, outcome)
    return outcome


def _fetch_and_import(
    catalog: Catalog, spec: ListSpec, url: str, policy: FetchPolicy,
    session: requests.Session | None, current: ListVersion | None, tmp: Path,
) -> ListVersion | None:
    raw = download(url, tmp / "download", policy, session)
    with open(raw.path, "rb") as fh:
        fmt = sniff(fh.read(4096))
    if fmt not in spec.formats:
        raise RefreshError(f"downloaded a {fmt} file, but {spec.id} comes as {', '.join(spec.formats)}")
    if current is not None and current.sha256 == raw.sha256:
        return None
    path = raw.path.rename(tmp / f"{spec.id}.{_EXTENSIONS[fmt]}")
    fallback = raw.last_modified or datetime.now(timezone.utc).date()
    note = "HTTP Last-Modified" if raw.last_modified else "date of download (the file states none)"
    meta, _ = import_files(
        spec, {"primary": path}, catalog.store_dir, source=url, published=fallback,
        published_note=note, fmt=fmt, accept=lambda result: _sanity(result, current, policy),
    )
    return meta


def _sanity(result: ParseResult, current: ListVersion | None, policy: FetchPolicy) -> None:
    count = len(result.entities)
    if count == 0:
        raise RefreshError("the new file holds no entities")
    if current is not None and count < policy.min_count_ratio * current.entities:
        raise RefreshError(
            f"entity count collapsed: {count} against {current.entities} in force "
            f"(minimum {policy.min_count_ratio:.0%})"
        )
    if len(result.issues) > policy.max_issue_ratio * count:
        first = result.issues[0]
        raise RefreshError(f"{len(result.issues)} malformed records (first: {first.position}: {first.message})")


def _current_or_none(catalog: Catalog, list_id: str) -> ListVersion | None:
    try:
        return catalog.active(list_id)
    except CatalogError:
        return None


def _log(store_dir: Path, outcome: RefreshOutcome) -> None:
    store_dir.mkdir(parents=True, exist_ok=True)
    with open(store_dir / REFRESH_LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
