#!/usr/bin/env bash
# The test command (README and .ci/run): set up, start a throwaway PostgreSQL on
# loopback, then run the whole suite, browser tests included. Extra arguments go to
# pytest (e.g. `bash scripts/test.sh -m "not browser"`).
#
# With CI set (true/1/yes) nothing may skip: a PostgreSQL that cannot be started stops
# the run here, and the tests fail rather than skip without TEST_POSTGRES_URL.
# Without CI, a machine that cannot run PostgreSQL still runs everything else.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

case "${CI:-}" in "" | 0 | false | no) in_ci="" ;; *) in_ci=1 ;; esac
if [ -z "${TEST_POSTGRES_URL:-}" ]; then
    if url="$(bash scripts/start_postgres.sh)"; then
        export TEST_POSTGRES_URL="$url"
    elif [ -n "$in_ci" ]; then
        echo "test: CI is set and PostgreSQL could not be started" >&2
        exit 1
    else
        echo "test: PostgreSQL could not be started; its test cases will be skipped" >&2
    fi
fi
echo "test: TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-<unset>}" >&2

# Two workers (pytest-xdist): the browser tests are two xdist groups (tests/browser/conftest.py),
# one per worker, each one test at a time with its own chromium; the other tests fill in around them.
python3 -m pytest -q -n "${TEST_WORKERS:-2}" --dist loadgroup --durations=15 "$@"
