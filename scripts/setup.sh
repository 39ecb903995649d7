#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine (or this one):
#   - Debian's chromium, which the browser tests drive through Playwright;
#   - the Python dependencies (runtime + dev).
# Never runs `playwright install`: browser downloads are not possible here and are
# not needed, because the tests use /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO=""
fi

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
        # fonts-noto-color-emoji: the app's emoji (✅ ❌ ⏱️) render in screenshots instead of boxes
        echo "setup: installing Debian chromium and an emoji font (a no-op when already present)"
        export DEBIAN_FRONTEND=noninteractive
        $SUDO apt-get update -qq
        $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-color-emoji
    else
        echo "setup: not root and no sudo; skipping apt-get (chromium must already be installed)" >&2
    fi
else
    echo "setup: apt-get not found; skipping the chromium install" >&2
fi

if [ -n "${CI:-}" ] && [ ! -x /usr/bin/chromium ]; then
    echo "setup: CI is set but /usr/bin/chromium is missing after install" >&2
    exit 1
fi

echo "setup: installing Python dependencies"
python3 -m pip install --disable-pip-version-check -q -r requirements-dev.txt
echo "setup: done"
