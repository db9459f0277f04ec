"""Batch fixtures: a BatchService over the `store` fixture (SQLite and PostgreSQL) and the session's
engine, and small builders for input files."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from compliance.audit import Actor, AuditLog
from compliance.batch.inputs import Format
from compliance.batch.service import BatchService
from compliance.config import Settings
from compliance.service import Caller, Screener

CALLER = Caller(Actor(key_id="k1", name="test-screener", role="screener"), "req-1", "127.0.0.1")


def csv_bytes(header: Sequence[str], *rows: Sequence[Any], encoding: str = "utf-8") -> bytes:
    """A CSV file (CRLF line ends, as csv.writer makes them) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def reader(data: bytes):  # noqa: ANN201 - a read(n) callable
    return io.BytesIO(data).read


@pytest.fixture
def batch_settings(tmp_path: Path) -> Settings:
    return Settings.from_env({}, instance_dir=tmp_path, batch_chunk_rows=3, batch_lease_seconds=60)


@pytest.fixture
def batches(store, audit_log: AuditLog, batch_settings: Settings, default_engine, default_watchlists
            ) -> Iterator[BatchService]:
    """Batch jobs in the `store` fixture's database, screening with the session's engine."""
    screener = Screener(default_engine, default_watchlists, audit_log, batch_settings)
    yield BatchService(store, audit_log, batch_settings, screener)


def submit(service: BatchService, data: bytes, fmt: Format = Format.CSV, **kwargs: Any) -> dict[str, Any]:
    return service.submit(reader(data), fmt, CALLER, **kwargs)
