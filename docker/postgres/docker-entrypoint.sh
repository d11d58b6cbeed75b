#!/usr/bin/env bash
# Entrypoint for plangate/postgres, compatible with the official postgres
# image's contract: POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust),
# POSTGRES_USER, POSTGRES_DB, POSTGRES_INITDB_ARGS, PGDATA, scripts in
# /docker-entrypoint-initdb.d, and `postgres -c k=v ...` as the command.
set -Eeuo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_PASSWORD:=}"
: "${POSTGRES_INITDB_ARGS:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=}"
export PGDATA

# `docker run image -c work_mem=64MB` means `postgres -c work_mem=64MB`.
if [[ "${1:-}" == -* ]]; then
	set -- postgres "$@"
fi

if [[ "${1:-}" != postgres ]]; then
	exec "$@"
fi

# As root: own the data and socket directories, then re-run as postgres.
if [[ "$(id -u)" == 0 ]]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
	# As the official image: md5 before 14, whose password_encryption
	# defaults to md5 (a scram-sha-256 rule could not check such a password).
	if [[ -z "$POSTGRES_HOST_AUTH_METHOD" ]]; then
		major=$(postgres --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')
		POSTGRES_HOST_AUTH_METHOD=scram-sha-256
		if ((major < 14)); then POSTGRES_HOST_AUTH_METHOD=md5; fi
	fi
	if [[ -z "$POSTGRES_PASSWORD" && "$POSTGRES_HOST_AUTH_METHOD" != trust ]]; then
		echo 'error: database is uninitialized and POSTGRES_PASSWORD is not set' >&2
		echo '       (set it, or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password)' >&2
		exit 1
	fi

	# shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") $POSTGRES_INITDB_ARGS
	printf '\nlisten_addresses = '"'*'"'\n' >>"$PGDATA/postgresql.conf"
	printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"

	# A temporary server on the Unix socket only, so nothing outside can
	# connect (or mistake it for the real one) while init scripts run.
	shift
	opts=""
	if (($#)); then opts="$(printf '%q ' "$@")"; fi
	pg_ctl -D "$PGDATA" -w -o "$opts -c listen_addresses=''" start

	psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --no-password)
	if [[ "$POSTGRES_DB" != postgres ]]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db";'
	fi
	psql+=(--dbname "$POSTGRES_DB")
	shopt -s nullglob
	for f in /docker-entrypoint-initdb.d/*; do
		case "$f" in
		*.sh)
			echo "running $f"
			# shellcheck disable=SC1090 # init scripts are the user's
			if [[ -x "$f" ]]; then "$f"; else . "$f"; fi
			;;
		*.sql) echo "running $f" && "${psql[@]}" -f "$f" ;;
		*.sql.gz) echo "running $f" && gunzip -c "$f" | "${psql[@]}" ;;
		*) echo "ignoring $f" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w stop
	echo 'PostgreSQL init process complete; ready for start up.'
	set -- postgres "$@"
fi

exec "$@"
