// Command pgdriver sends a fixed set of statements over the extended query
// protocol with pgx, so that makelogs.sh can record how PostgreSQL logs bound
// parameters: NULLs, quotes, commas, newlines, unicode and binary-encoded
// values, through both named (cached) and unnamed prepared statements.
//
// It reads the connection string from its first argument.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pgdriver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: pgdriver CONNSTRING")
	}
	conn, err := pgx.Connect(ctx, args[0])
	if err != nil {
		return err
	}
	defer conn.Close(ctx)

	steps := []struct {
		mode pgx.QueryExecMode
		sql  string
		args []any
	}{
		// A named statement, prepared once and executed twice.
		{pgx.QueryExecModeCacheStatement,
			"SELECT id, name FROM customers WHERE name = $1 OR note = $2",
			[]any{"O'Brien, \"Jr\"", nil}},
		{pgx.QueryExecModeCacheStatement,
			"SELECT id, name FROM customers WHERE name = $1 OR note = $2",
			[]any{"Zoë 東京 🐘", "two\nlines"}},
		// The unnamed statement, with an integer sent in binary format.
		{pgx.QueryExecModeExec,
			"UPDATE customers\n   SET note = $2\n WHERE id = $1",
			[]any{int64(7), "tab\there, quote ' and $1 = 'x'"}},
		// A value that is empty, and one that ends in a backslash.
		{pgx.QueryExecModeExec,
			"INSERT INTO notes (customer_id, body, city) VALUES ($1, $2, $3)",
			[]any{int64(7), "", `C:\temp\`}},
		// Client-side interpolation: PostgreSQL sees the simple protocol.
		{pgx.QueryExecModeSimpleProtocol,
			"SELECT count(*) FROM notes WHERE city = $1",
			[]any{"Zoë"}},
	}
	for i, s := range steps {
		rows, err := conn.Query(ctx, s.sql, append([]any{s.mode}, s.args...)...)
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}
