#!/bin/sh
# Records the SQL the learnhub API's own test suite sends, once per release
# of the application, the two ways teams capture it, with nothing added to
# the SQL:
#
#   captures/release-N.log    the server's statement log (stderr format,
#                             log_min_duration_statement = 0, Debian's
#                             log_line_prefix), cut to the test run
#   captures/release-N.jsonl  plangate's recording proxy:
#                             plangate capture -- python3 manage.py test
#
#   examples/django-drf/capture.sh          # releases 1 to 4
#   examples/django-drf/capture.sh 2        # only release 2
#
# It starts a throwaway PostgreSQL cluster of its own (PG_BINDIR, default the
# newest /usr/lib/postgresql/*/bin; run as the postgres user under root) and
# runs the tests with PYTHON (default /usr/bin/python3, which needs Django,
# Django REST Framework and psycopg2: Debian's python3-django,
# python3-djangorestframework and python3-psycopg2). Then, from
# examples/django-drf:
#
#   plangate baseline                                  # from captures/release-1.log
#   plangate check --queries captures/release-2.log    # fails: the count aggregates every view
#   plangate check --queries captures/release-3.log    # passes
#   plangate check --queries captures/release-4.log    # fails: N+1 on the list
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-/usr/bin/python3}
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bindir/postgres" ] || { echo "capture.sh: no PostgreSQL server binaries (set PG_BINDIR)" >&2; exit 2; }
"$python" -c 'import django, rest_framework, psycopg2' || {
    echo "capture.sh: $python lacks Django, Django REST Framework or psycopg2" >&2; exit 2; }

work=$(mktemp -d /tmp/learnhub-capture.XXXXXX)
chmod 755 "$work"
as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
cleanup() {
    as_server "$bindir/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
if [ "$(id -u)" = 0 ]; then chown postgres: "$work"; fi

go build -o "$work/plangate" "$root/cmd/plangate"

port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_server "$bindir/initdb" -D "$work/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 --no-sync >/dev/null
# As Debian runs a cluster: stderr to a file, with its log_line_prefix.
as_server "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w -o "-p $port -k $work \
    -c listen_addresses=127.0.0.1 -c fsync=off -c lc_messages=C \
    -c log_line_prefix='%m [%p] %q%u@%d ' -c log_min_duration_statement=0" start >/dev/null
"$bindir/createdb" -h "$work" -p "$port" -U postgres learnhub

mkdir -p "$here/captures"
cd "$here"
export PYTHONDONTWRITEBYTECODE=1
for release in ${*:-1 2 3 4}; do
    echo "capture.sh: release $release: server log" >&2
    offset=$(wc -c < "$work/server.log")
    APP_RELEASE=$release PGHOST=$work PGPORT=$port PGUSER=postgres PGDATABASE=learnhub \
        "$python" manage.py test --noinput
    tail -c +"$((offset + 1))" "$work/server.log" > "captures/release-$release.log"

    echo "capture.sh: release $release: plangate capture" >&2
    APP_RELEASE=$release "$work/plangate" capture \
        --upstream "postgres://postgres@127.0.0.1:$port/learnhub?sslmode=disable" \
        --out "captures/release-$release.jsonl" \
        -- "$python" manage.py test --noinput
done
