// Package pgsql writes SQL text for statements that take no parameters
// (utility commands such as SET, COMMENT ON, CREATE ROLE), and reads rows
// of names with the comments plangate marks its own objects with.
package pgsql

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Literal quotes s as a string literal, for a server with
// standard_conforming_strings on (the default since PostgreSQL 9.1).
func Literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// Named is a server object's name and its comment.
type Named struct {
	Name, Comment string
}

// CollectNamed runs query, whose rows are a name and a comment.
func CollectNamed(ctx context.Context, conn *pgx.Conn, query string) ([]Named, error) {
	rows, err := conn.Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[Named])
}
