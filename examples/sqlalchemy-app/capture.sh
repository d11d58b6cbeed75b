#!/bin/sh
# Records the SQL the shop's test suite sends, once per release, two ways at
# once: the server's statement log (csvlog, log_min_duration_statement = 0)
# and plangate's recording proxy, which the tests reach through DATABASE_URL.
# Nothing is added to the SQL: no names, no application_name.
#
#   examples/sqlalchemy-app/capture.sh        # releases 1 to 4
#   examples/sqlalchemy-app/capture.sh 2 4    # only those
#
# writes captures/vN.csv (the server log) and captures/vN.jsonl (the proxy)
# for each release N, and schema.sql from the models. It runs a throwaway
# PostgreSQL cluster of its own (initdb in a temporary directory, a free
# port), as the postgres user when run as root, and removes it on exit.
#
# Needs: Go, the PostgreSQL server binaries (PG_BINDIR, else the newest
# /usr/lib/postgresql/*/bin), and a Python 3 with SQLAlchemy 1.4 and psycopg2
# (PYTHON, default /usr/bin/python3: Debian's python3-sqlalchemy and
# python3-psycopg2).
#
# Then, from examples/sqlalchemy-app:
#
#   plangate baseline                              # from captures/v1.csv
#   plangate check --queries captures/v2.csv       # fails: the count aggregates every review
#   plangate check --queries captures/v3.csv       # passes
#   plangate check --queries captures/v4.csv       # fails: N+1, 22 statements a page
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}

tmp=$(mktemp -d)
cleanup() {
    if [ -f "$tmp/data/postmaster.pid" ]; then
        as_server "$bindir/pg_ctl" -D "$tmp/data" -m fast stop >/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# The server refuses to run as root: under root it runs as postgres.
if [ "$(id -u)" = 0 ]; then
    as_server() { runuser -u postgres -- "$@"; }
    chmod 755 "$tmp"
    mkdir "$tmp/data" "$tmp/log"
    chown postgres "$tmp/data" "$tmp/log"
else
    as_server() { "$@"; }
    mkdir "$tmp/data" "$tmp/log"
fi

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }

echo "capture.sh: building plangate" >&2
(cd "$root" && go build -o "$tmp/plangate" ./cmd/plangate)

echo "capture.sh: starting PostgreSQL ($bindir) on port $port" >&2
as_server "$bindir/initdb" -D "$tmp/data" -U postgres --auth=trust >/dev/null
start() {
    as_server "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/log/server.out" -w \
        -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$tmp/log $*" start >/dev/null
}
stop() {
    as_server "$bindir/pg_ctl" -D "$tmp/data" -m fast -w stop >/dev/null
}
start
psql -d postgres -c "CREATE DATABASE shop" -c "CREATE DATABASE shop_schema"

echo "capture.sh: schema.sql from the models" >&2
(cd "$here" && DATABASE_URL="postgresql://postgres@127.0.0.1:$port/shop_schema" "$python" -c '
from shop.db import make_engine
from shop.models import Base
Base.metadata.create_all(make_engine())')
{
    printf '%s\n' "-- The shop's tables as SQLAlchemy creates them (Base.metadata.create_all)," \
        "-- dumped with pg_dump --schema-only by capture.sh: regenerate, do not edit." ""
    # Only the DDL: no psql meta-commands, session settings or dump comments.
    "$bindir/pg_dump" -h 127.0.0.1 -p "$port" -U postgres --schema-only --no-owner --no-privileges shop_schema |
        sed -e '/^\\/d' -e '/^SET /d' -e '/^SELECT pg_catalog.set_config/d' -e '/^--/d' |
        cat -s | sed -e '1{/^$/d;}' -e '${/^$/d;}'
} >"$here/schema.sql"
stop

mkdir -p "$here/captures"
for release in ${*:-1 2 3 4}; do
    echo "capture.sh: release $release" >&2
    start -c logging_collector=on -c log_destination=csvlog -c "log_directory=$tmp/log" \
        -c "log_filename=v$release.log" -c log_min_duration_statement=0
    (cd "$here" && APP_RELEASE=$release "$tmp/plangate" capture \
        --upstream "postgres://postgres@127.0.0.1:$port/shop?sslmode=disable" \
        --out "captures/v$release.jsonl" \
        -- "$python" -m unittest)
    stop
    cat "$tmp/log/v$release.csv" >"$here/captures/v$release.csv"
done
