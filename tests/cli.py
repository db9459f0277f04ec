"""Running the command line as a user does: `python -m compliance ...` in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, instance: Path, **env: str) -> subprocess.CompletedProcess:
    """Run the CLI against `instance` as its instance directory, with extra COMPLIANCE_* env."""
    environ = {**os.environ, "COMPLIANCE_INSTANCE_DIR": str(instance), **env}
    return subprocess.run([sys.executable, "-m", "compliance", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=300)
