#!/usr/bin/env bash
# Idempotent setup for a fresh Debian machine (or this one):
#   - Debian's chromium, which the browser tests drive through Playwright;
#   - Debian's postgresql (server binaries only: the Debian cluster is not used;
#     scripts/start_postgres.sh runs a throwaway one on loopback for the tests);
#   - the Python dependencies (runtime + dev).
# Never runs `playwright install`: browser downloads are not possible here and are
# not needed, because the tests use /usr/bin/chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"  # never wait for a password prompt (CI has no stdin)
else
    SUDO=""
fi

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; then
        # fonts-liberation: text fonts (a recommend of chromium, which we don't install);
        # fonts-noto-color-emoji: the app's emoji (✅ ❌ ⏱️) render in screenshots, not as boxes
        echo "setup: installing Debian chromium, fonts and postgresql (a no-op when already present)"
        APT="$SUDO env DEBIAN_FRONTEND=noninteractive apt-get"
        $APT update -qq
        # postgresql: the storage tests run on PostgreSQL too (policy-rc.d-less containers may
        # print that the Debian cluster could not be started; it is not needed)
        $APT install -y -qq --no-install-recommends \
            chromium fonts-liberation fonts-noto-color-emoji postgresql
    else
        echo "setup: not root and no sudo; skipping apt-get (chromium must already be installed)" >&2
    fi
else
    echo "setup: apt-get not found; skipping the chromium install" >&2
fi

case "${CI:-}" in
    "" | 0 | false | no) ;;
    *)
        if [ ! -x /usr/bin/chromium ]; then
            echo "setup: CI is set but /usr/bin/chromium is missing after install" >&2
            exit 1
        fi
        if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
            echo "setup: CI is set but PostgreSQL's server binaries are missing after install" >&2
            exit 1
        fi
        ;;
esac

echo "setup: installing Python dependencies"
python3 -m pip install --disable-pip-version-check -q -r requirements-dev.txt
echo "setup: done"
