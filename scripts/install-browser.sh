#!/usr/bin/env bash
# Installs Debian's Chromium and ChromeDriver for the browser tests (tests/e2e/test_docs_browser.py).
# Idempotent: does nothing when both binaries are already there. Uses sudo only when not root.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
if [[ -x "$CHROMIUM" && -x "$CHROMEDRIVER" ]]; then
    exit 0
fi
if [[ "$(id -u)" -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null; then
    as_root=(sudo)
else
    echo "install-browser.sh: chromium and chromium-driver are missing, and installing them needs root or sudo" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends chromium chromium-driver
"$CHROMIUM" --version
"$CHROMEDRIVER" --version
