"""Compile compliance/matching/_speedups.c next to it, with the compiler and flags this Python
was built with (sysconfig); no setuptools needed. `make run` and `make test` run it.

    python scripts/build_speedups.py [--check]

--check: exit 1 unless the built module imports (the engine otherwise falls back to its
Python retrieval and scoring: the same results, more CPU at first sight; see the README's
speed section).
"""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "compliance" / "matching" / "_speedups.c"
TARGET = SOURCE.with_name("_speedups" + sysconfig.get_config_var("EXT_SUFFIX"))


def command() -> list[str]:
    link = shlex.split(sysconfig.get_config_var("LDSHARED") or "cc -shared")
    shared = shlex.split(sysconfig.get_config_var("CCSHARED") or "-fPIC")
    # no -ffast-math: the results must equal the Python path's to the last bit
    return [*link, *shared, "-O2", "-Wall", "-std=c99", "-I", sysconfig.get_paths()["include"],
            str(SOURCE), "-o", str(TARGET)]


def main(argv: list[str]) -> int:
    if not TARGET.exists() or TARGET.stat().st_mtime < SOURCE.stat().st_mtime:
        cmd = command()
        print("building", TARGET.relative_to(ROOT), file=sys.stderr)
        temporary = TARGET.with_suffix(".tmp")
        cmd[-1] = str(temporary)
        try:
            failed = subprocess.run(cmd, cwd=ROOT).returncode
        except OSError as exc:  # no compiler
            print(f"build_speedups: {exc}", file=sys.stderr)
            failed = 1
        if failed:
            print(f"build_speedups: the compiler failed ({shlex.join(cmd)})", file=sys.stderr)
            return 1
        os.replace(temporary, TARGET)  # a running service keeps the file it loaded
    if "--check" in argv:
        sys.path.insert(0, str(ROOT))
        from compliance.matching import speedups
        if speedups.native is None:
            print(f"build_speedups: {TARGET.name} does not import: {speedups.reason}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
