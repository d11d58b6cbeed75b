package queryid

import (
	"fmt"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Split cuts a script of SQL statements (a migration file) into its
// statements, as PostgreSQL's own parser reads them: semicolons inside
// strings, dollar quotes and comments do not cut.
func Split(script string) ([]string, error) {
	parts, err := pg_query.SplitWithParser(script, true)
	if err != nil {
		return nil, fmt.Errorf("split: %w", err)
	}
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return out, nil
}
