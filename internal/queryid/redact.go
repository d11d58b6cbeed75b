package queryid

import (
	"regexp"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Redacted stands in for a constant removed by RedactConstants.
const Redacted = "?"

var quoted = regexp.MustCompile(`'(?:[^']|'')*'?`)

// RedactConstants replaces every constant (strings, numbers, bit strings) in
// a piece of SQL, such as a condition in an EXPLAIN plan, with "?". Plans
// made with parameter values show those values; a baseline or report that
// is committed or posted must not. Text the SQL scanner cannot read has its
// quoted strings replaced instead.
func RedactConstants(text string) string {
	scan, err := pg_query.Scan(text)
	if err != nil {
		return quoted.ReplaceAllString(text, Redacted)
	}
	var b strings.Builder
	last := int32(0)
	for _, t := range scan.Tokens {
		switch t.Token {
		case pg_query.Token_SCONST, pg_query.Token_ICONST, pg_query.Token_FCONST,
			pg_query.Token_BCONST, pg_query.Token_XCONST, pg_query.Token_USCONST:
			b.WriteString(text[last:t.Start])
			b.WriteString(Redacted)
			last = t.End
		}
	}
	b.WriteString(text[last:])
	return b.String()
}
