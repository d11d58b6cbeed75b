// Package queryid identifies SQL statements: fingerprint, normalized text and
// statement kind. It is the only package that imports pg_query_go.
package queryid

import pg_query "github.com/pganalyze/pg_query_go/v6"

var _ = pg_query.Fingerprint
