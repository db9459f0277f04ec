"""Dependency direction (STYLE.md): watchlists never imports compliance, Flask or rapidfuzz;
only compliance/api and the app factory import Flask."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


WATCHLIST_MODULES = sorted((ROOT / "watchlists").glob("*.py"))
FLASK_ALLOWED = {ROOT / "compliance" / "__init__.py"}


@pytest.mark.parametrize("path", WATCHLIST_MODULES, ids=lambda p: p.name)
def test_watchlists_stays_framework_free(path):
    assert not imports(path) & {"compliance", "flask", "rapidfuzz", "marshmallow", "werkzeug"}


@pytest.mark.parametrize("path", sorted((ROOT / "compliance").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_flask_only_at_the_edge(path):
    if path in FLASK_ALLOWED or (ROOT / "compliance" / "api") in path.parents:
        return
    assert not imports(path) & {"flask", "werkzeug", "marshmallow"}


def test_nothing_reads_shared_at_run_time():
    for path in [*(ROOT / "compliance").rglob("*.py"), *(ROOT / "watchlists").rglob("*.py"), ROOT / "app.py"]:
        assert "../shared" not in path.read_text("utf-8"), path
