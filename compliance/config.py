"""Every setting with its default, read from `COMPLIANCE_*` environment variables.

The service and the CLI read the same settings through `Settings.from_env()`; tests pass
overrides explicitly. Nothing here is read at import time.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from watchlists.fetch import FetchPolicy
from watchlists.lists import LISTS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "COMPLIANCE_"


class ConfigError(ValueError):
    """A setting has a value we cannot use."""


@dataclass(frozen=True)
class Settings:
    # where the service keeps its state: refreshed lists, parse cache, later the database
    instance_dir: Path = PROJECT_ROOT / "instance"
    # list ids in use, comma-separated in the environment (default: all five)
    lists: tuple[str, ...] = tuple(LISTS)
    # list id -> version prefix to pin, e.g. "ofac_sdn=2021-03-10" (beats refresh and default)
    list_versions: Mapping[str, str] = field(default_factory=dict)
    # a list whose publish date is older than this many days is reported as stale
    stale_after_days: int = 30
    # cache parsed lists under instance/cache (off: always parse the files)
    list_cache: bool = True
    # running processes check this often (seconds) whether a refresh put new list versions in
    # force, and reload them without a restart (compliance/reloading.py); 0: never
    lists_check_seconds: float = 30.0
    # official download address per list id (COMPLIANCE_REFRESH_URL_OFAC_SDN=...)
    refresh_urls: Mapping[str, str] = field(default_factory=lambda: {k: s.url for k, s in LISTS.items()})
    # download timeouts, retries, size cap and sanity checks for `lists refresh`
    fetch: FetchPolicy = FetchPolicy()
    # SQLAlchemy URL of the store (audit log, keys, jobs); None: SQLite file under instance_dir
    database_url: str | None = None
    # audit records are kept at least this long (OFAC recordkeeping: 10 years since March 2025)
    audit_retention_years: int = 10
    # largest request body in bytes (413 beyond)
    max_request_bytes: int = 1024 * 1024
    # most accounts in one POST /v1/screen/batch
    max_batch_items: int = 1000
    # batch worker processes the service runs itself ("auto": one per core; 0: none, run
    # `python -m compliance worker` instead)
    batch_workers: int = 0
    # rows per chunk of a batch job: the unit of work that is leased, screened and committed at once
    batch_chunk_rows: int = 500
    # a chunk whose worker stopped renewing its lease (killed, hung) is retried after this long
    batch_lease_seconds: int = 120
    # largest batch file in bytes (POST /v1/batches streams it to disk; not max_request_bytes)
    batch_max_bytes: int = 4 * 1024**3
    # monitoring alerts are POSTed here as JSON (unset: no webhook)
    webhook_url: str | None = None
    # HMAC-SHA256 key of the X-Signature-SHA256 header on every webhook POST
    webhook_secret: str | None = None
    # webhook delivery: seconds per attempt, retries after the first, seconds before the first retry (doubled after)
    webhook_timeout: float = 10.0
    webhook_retries: int = 4
    webhook_backoff: float = 1.0

    @property
    def store_url(self) -> str:
        """The database URL in use: COMPLIANCE_DATABASE_URL or SQLite under the instance dir."""
        return self.database_url or f"sqlite:///{self.instance_dir / 'compliance.sqlite3'}"

    @property
    def list_store_dir(self) -> Path:
        return self.instance_dir / "watchlists"

    @property
    def cache_dir(self) -> Path | None:
        return self.instance_dir / "cache" if self.list_cache else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from the environment, then explicit overrides (for tests)."""
        env = os.environ if environ is None else environ
        get = lambda name: env.get(PREFIX + name)  # noqa: E731
        values: dict[str, Any] = {}
        if get("INSTANCE_DIR"):
            values["instance_dir"] = Path(get("INSTANCE_DIR")).resolve()
        if get("LISTS"):
            values["lists"] = tuple(x.strip() for x in get("LISTS").split(",") if x.strip())
        if get("LIST_VERSIONS"):
            values["list_versions"] = _pairs(get("LIST_VERSIONS"), "LIST_VERSIONS")
        if get("STALE_AFTER_DAYS"):
            values["stale_after_days"] = _number(int, get("STALE_AFTER_DAYS"), "STALE_AFTER_DAYS")
        if get("LIST_CACHE"):
            values["list_cache"] = get("LIST_CACHE").lower() not in ("0", "false", "no", "off")
        if get("LISTS_CHECK_SECONDS"):
            values["lists_check_seconds"] = _number(float, get("LISTS_CHECK_SECONDS"), "LISTS_CHECK_SECONDS")
        if get("DATABASE_URL"):
            values["database_url"] = get("DATABASE_URL")
        for name in ("AUDIT_RETENTION_YEARS", "MAX_REQUEST_BYTES", "MAX_BATCH_ITEMS", "BATCH_CHUNK_ROWS",
                     "BATCH_LEASE_SECONDS", "BATCH_MAX_BYTES"):
            if get(name):
                values[name.lower()] = _number(int, get(name), name)
        if get("BATCH_WORKERS"):
            raw = get("BATCH_WORKERS").strip().lower()
            values["batch_workers"] = (os.cpu_count() or 1) if raw == "auto" else _number(int, raw, "BATCH_WORKERS")
        values["refresh_urls"] = {k: get(f"REFRESH_URL_{k.upper()}") or s.url for k, s in LISTS.items()}
        values["fetch"] = _fetch_policy(get)
        values.update(_webhook(get))
        settings = replace(cls(), **values)
        return replace(settings, **overrides) if overrides else settings


def _webhook(get) -> dict[str, Any]:
    found: dict[str, Any] = {k: get(f"WEBHOOK_{k.upper()}") for k in ("url", "secret") if get(f"WEBHOOK_{k.upper()}")}
    for name, kind in (("timeout", float), ("retries", int), ("backoff", float)):
        if get(f"WEBHOOK_{name.upper()}"):
            found[name] = _number(kind, get(f"WEBHOOK_{name.upper()}"), f"WEBHOOK_{name.upper()}")
    return {f"webhook_{k}": v for k, v in found.items()}


def _fetch_policy(get) -> FetchPolicy:
    changes = {}
    for f in fields(FetchPolicy):
        raw = get(f"FETCH_{f.name.upper()}")
        if raw:
            changes[f.name] = _number(type(getattr(FetchPolicy, f.name)), raw, f"FETCH_{f.name.upper()}")
    return replace(FetchPolicy(), **changes)


def _pairs(raw: str, name: str) -> dict[str, str]:
    pairs = {}
    for item in filter(None, (x.strip() for x in raw.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{PREFIX}{name}: expected list=version pairs, got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


def _number(kind: type, raw: str, name: str):
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{PREFIX}{name}: {raw!r} is not a valid {kind.__name__}") from None
