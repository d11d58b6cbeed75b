#!/bin/sh
# Records the SQL the example's tests send, once per release of the
# application, through plangate's recording proxy:
#
#   DATABASE_URL=postgres://user:password@localhost:5432/scratch examples/orm-app/capture.sh
#
# writes examples/orm-app/captures/v1.jsonl, v2.jsonl and v3.jsonl. The tests
# create and drop a schema of their own in that database. Give release
# numbers to capture only those: capture.sh 2
#
# Then, from examples/orm-app:
#
#   plangate baseline                               # from captures/v1.jsonl
#   plangate check --queries captures/v2.jsonl      # fails: the list and its count spill
#   plangate check --queries captures/v3.jsonl      # fails: N+1 in TestListArticles
set -eu

: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database the tests may create a schema in}"

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
mkdir -p examples/orm-app/captures

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/plangate" ./cmd/plangate

for version in ${*:-1 2 3}; do
    echo "capture.sh: release $version" >&2
    # -count=1: a cached test result sends no SQL.
    ORM_APP_VERSION=$version "$bin/plangate" capture \
        --upstream "$DATABASE_URL" \
        --out "examples/orm-app/captures/v$version.jsonl" \
        -- go test -count=1 ./examples/orm-app/...
done
