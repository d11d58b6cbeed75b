#!/usr/bin/env bash
# Regenerates the PostgreSQL logs under testdata/pglog/, and the
# pg_stat_statements export testdata/pgss/pgss.csv, from a real server.
#
# It starts a throwaway PostgreSQL cluster (as the postgres user when run as
# root), listening only on a Unix socket in a temporary directory, so it never
# competes for a TCP port. The cluster logs every statement
# (log_min_duration_statement = 0) to stderr, csvlog and jsonlog at once. The
# same workload then runs once per log_line_prefix variant:
#
#   psql -f workload.sql          simple protocol, multi-line SQL, utility and
#                                 failing statements, quotes and unicode
#   pgbench -M extended/prepared  extended protocol, unnamed and named
#                                 statements, parameters with quotes, commas,
#                                 newlines and unicode (from pgbench -D)
#   go run ./pgdriver             pgx: NULL, binary-format and empty values
#
# Usage: internal/capture/testdata/makelogs.sh   (PG_BINDIR overrides the
# PostgreSQL 15 binaries at /usr/lib/postgresql/15/bin.)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
out=$here/pglog

work=$(mktemp -d /tmp/plangate-makelogs.XXXXXX)
chmod 755 "$work"
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$work"; fi
cleanup() {
	as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

as_pg "$bindir/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg mkdir "$work/log"
cat >>"$work/data/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$work'
logging_collector = on
log_destination = 'stderr,csvlog,jsonlog'
log_directory = '$work/log'
log_filename = 'start.log'
log_min_duration_statement = 0
log_checkpoints = on
log_connections = on
log_disconnections = on
log_timezone = 'UTC'
lc_messages = 'C'
shared_preload_libraries = 'pg_stat_statements'
EOF
as_pg "$bindir/pg_ctl" -D "$work/data" -w -l "$work/server.out" start >/dev/null

export PGHOST=$work PGUSER=postgres PGDATABASE=postgres
psql() { as_pg "$bindir/psql" -X -q -o /dev/null "$@"; }

# Builds the pgx driver before any logging variant starts, as root, since
# the Go module cache belongs to whoever runs the script.
(cd "$here/../../.." && go build -o "$work/pgdriver" ./internal/capture/testdata/pgdriver)
cp "$here/workload.sql" "$here/pgbench.sql" "$work/"

# variant NAME PREFIX [SETTING=VALUE...] switches logging to NAME.log (and
# NAME.csv, NAME.json) with the given log_line_prefix, then runs the workload.
variant() {
	local name=$1 prefix=$2
	shift 2
	{
		# This session itself stays out of the logs.
		echo "SET log_min_duration_statement = -1;"
		echo "SET log_statement = 'none';"
		echo "ALTER SYSTEM SET log_line_prefix = '$prefix';"
		echo "ALTER SYSTEM SET log_filename = '$name.log';"
		for kv in "$@"; do echo "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}';"; done
		echo "SELECT pg_reload_conf();"
	} | psql
	sleep 1 # the logger rotates to the new file name on reload
	psql -f "$work/workload.sql" 2>/dev/null || true
	for mode in extended prepared; do
		as_pg "$bindir/pgbench" -n -M "$mode" -t 2 -f "$work/pgbench.sql" \
			-D "name=O'Brien, \"Jr\"" -D "note=$(printf 'two\nlines')" -D 'city=Zoë 東京 🐘' \
			>/dev/null
	done
	as_pg "$work/pgdriver" "host=$work user=postgres dbname=postgres application_name=billing-worker"
	sleep 1
}

variant debian '%m [%p] '
variant userdb '%m [%p] %q%u@%d '
variant pgbadger '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '
variant rds '%t:%r:%u@%d:[%p]:'
# Both settings at once: statements are logged when they arrive, and their
# durations again, without the text, when they finish.
variant custom '%m [%p] %q%u@%d/%a ' log_statement=all

# The statements pg_stat_statements saw over all the variants, exported the
# way ParsePGSS documents.
psql <<EOF
SET log_min_duration_statement = -1;
SET log_statement = 'none';
CREATE EXTENSION pg_stat_statements;
\copy (SELECT queryid, calls, query FROM pg_stat_statements ORDER BY query, queryid) TO '$work/pgss.csv' CSV HEADER
EOF

# Stop the server so that the logger flushes everything, then keep each
# variant's stderr log, and one csvlog and jsonlog (the prefix does not apply
# to them).
as_pg "$bindir/pg_ctl" -D "$work/data" -w stop >/dev/null
mkdir -p "$out"
for name in debian userdb pgbadger rds custom; do
	install -m 644 "$work/log/$name.log" "$out/$name.log"
done
install -m 644 "$work/log/debian.csv" "$work/log/debian.json" "$out/"
install -m 644 "$work/pgss.csv" "$here/pgss/pgss.csv"
echo "wrote $(ls "$out" | wc -l) logs to $out and $here/pgss/pgss.csv"
