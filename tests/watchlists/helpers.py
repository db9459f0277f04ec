"""Small helpers shared by the parser tests."""
from __future__ import annotations

from pathlib import Path

from watchlists.model import NameKind, ParseResult

FIXTURES = Path(__file__).parents[1] / "fixtures" / "watchlists"


def by_id(result: ParseResult) -> dict:
    return {e.source_id: e for e in result.entities}


def names(entity, kind: NameKind) -> list[tuple[str, str | None]]:
    return [(n.full, n.quality) for n in entity.names if n.kind is kind]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path
