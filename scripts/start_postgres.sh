#!/usr/bin/env bash
# Start (or reuse) a throwaway PostgreSQL server on loopback for the tests and the
# load script, and print its URL on stdout (everything else goes to stderr):
#
#     export TEST_POSTGRES_URL="$(bash scripts/start_postgres.sh)"
#
# - Debian's PostgreSQL binaries (/usr/lib/postgresql/<version>/bin; scripts/setup.sh
#   installs the package). Nothing touches the system cluster or its config.
# - The data lives in $PG_TEST_DIR (default /tmp/mains-test-pg) and listens only on
#   127.0.0.1:$PG_TEST_PORT (default 5433) and a Unix socket in that folder.
# - PostgreSQL refuses to run as root, so as root the cluster belongs to the
#   unprivileged user `postgres` (created by the Debian package).
# - Role `mains` (password `mains`, scram-sha-256 on loopback) may create databases:
#   the tests make one fresh database per test.
# - Idempotent: a server already answering on that port is reused; a stopped cluster
#   in $PG_TEST_DIR is started again; otherwise a new one is initialised.
# - Durability settings are the defaults (fsync on), so the load figures measured
#   against it are not flattered.
set -euo pipefail

PORT="${PG_TEST_PORT:-5433}"
DIR="${PG_TEST_DIR:-/tmp/mains-test-pg}"
ROLE=mains
PASSWORD=mains
URL="postgresql://${ROLE}:${PASSWORD}@127.0.0.1:${PORT}/postgres"

log() { echo "start_postgres: $*" >&2; }

BIN=""
for candidate in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/initdb" ] && [ -x "$candidate/pg_ctl" ]; then BIN="$candidate"; break; fi
done
if [ -z "$BIN" ]; then
    log "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)"
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    OWNER=postgres
    if ! id "$OWNER" >/dev/null 2>&1; then
        log "running as root but there is no user '$OWNER' to own the cluster"
        exit 1
    fi
    as_owner() { runuser -u "$OWNER" -- "$@"; }
else
    OWNER="$(id -un)"
    as_owner() { "$@"; }
fi

can_login() {
    PGPASSWORD="$PASSWORD" "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$ROLE" -d postgres -Atqc "select 1" \
        >/dev/null 2>&1
}

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if can_login; then
        log "reusing the server already running on 127.0.0.1:$PORT"
        echo "$URL"
        exit 0
    fi
    if [ ! -f "$DIR/PG_VERSION" ]; then
        log "port $PORT is taken by a server that is not ours; set PG_TEST_PORT to another port"
        exit 1
    fi
fi

if [ ! -f "$DIR/PG_VERSION" ]; then
    log "initialising a cluster in $DIR (owner $OWNER)"
    rm -rf "$DIR"
    mkdir -p "$DIR"
    chown "$OWNER" "$DIR"
    chmod 700 "$DIR"
    pwfile="$(mktemp)"
    echo "$PASSWORD" >"$pwfile"
    chown "$OWNER" "$pwfile"
    # superuser `postgres`/owner is reachable only through the socket in $DIR (peer/trust
    # for the owner); the test role logs in over TCP with a password.
    as_owner "$BIN/initdb" -D "$DIR" -U "$OWNER" --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$DIR/postgresql.conf" <<EOF

# mains test server (scripts/start_postgres.sh)
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
shared_buffers = 128MB
logging_collector = off
EOF
fi

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    log "starting PostgreSQL ($("$BIN/postgres" --version)) on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w -t 60 start >/dev/null || {
        log "could not start; the end of $DIR/server.log:"
        tail -n 20 "$DIR/server.log" >&2 || true
        exit 1
    }
fi

if ! can_login; then
    log "creating role $ROLE"
    as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U "$OWNER" -d postgres -v ON_ERROR_STOP=1 -Atqc \
        "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >/dev/null
fi
can_login || { log "role $ROLE still cannot log in"; exit 1; }
log "ready: $URL"
echo "$URL"
