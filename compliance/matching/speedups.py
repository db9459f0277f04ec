"""The compiled retrieval and alignment (`_speedups.c`, built by scripts/build_speedups.py), or None.

Without it the engine runs its Python retrieval and alignment, which give the same results more slowly
(tests/compliance/matching/test_speedups.py holds the two equal).
"""
from __future__ import annotations

from types import ModuleType

native: ModuleType | None
reason: str | None  # why `native` is None
try:
    from compliance.matching import _speedups as native
    reason = None
except ImportError as exc:
    native, reason = None, str(exc)


def wanted(requested: bool | None) -> bool:
    """Whether a structure built with `native=requested` (None: the default) uses the compiled
    code: where it is built, unless `requested` is False."""
    return native is not None and requested is not False
