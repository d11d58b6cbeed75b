package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ANALYZE samples 300 x statistics_target rows. When that covers the whole
// table it reads every row and its statistics repeat exactly; sampling
// cannot be seeded otherwise (setseed does not reach it).
const (
	rowsPerTarget    = 300
	minTarget        = 100 // PostgreSQL's default_statistics_target
	maxTarget        = 10000
	exactRowsCeiling = rowsPerTarget * maxTarget
)

// TargetFor returns the statistics target that makes ANALYZE read all of a
// table of rows rows, or the maximum when no target can.
func TargetFor(rows int64) (target int, exact bool) {
	t := (rows + rowsPerTarget - 1) / rowsPerTarget
	switch {
	case t <= minTarget:
		return minTarget, true
	case t > maxTarget:
		return maxTarget, false
	}
	return int(t), true
}

// Analyze vacuums and analyzes every user table of the database conn is
// connected to, each with the statistics target TargetFor picks.
func Analyze(ctx context.Context, conn *pgx.Conn, progress io.Writer) (Result, error) {
	rows, err := conn.Query(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'm', 'p')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
		ORDER BY 1`)
	if err != nil {
		return Result{}, fmt.Errorf("analyze: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return Result{}, fmt.Errorf("analyze: %w", err)
	}
	var res Result
	for _, name := range names {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+name).Scan(&n); err != nil {
			return Result{}, fmt.Errorf("analyze: %s: %w", name, err)
		}
		target, exact := TargetFor(n)
		if _, err := conn.Exec(ctx, fmt.Sprintf("SET default_statistics_target = %d", target)); err != nil {
			return Result{}, fmt.Errorf("analyze: %w", err)
		}
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+name); err != nil {
			return Result{}, fmt.Errorf("analyze: %s: %w", name, err)
		}
		res.Tables = append(res.Tables, Table{Name: name, Rows: n, StatisticsTarget: target, Exact: exact})
		if progress != nil {
			how := "exact statistics"
			if !exact {
				how = "sampled statistics (table larger than ANALYZE can read whole)"
			}
			fmt.Fprintf(progress, "seed: analyzed %s: %d rows, %s\n", name, n, how)
		}
	}
	if _, err := conn.Exec(ctx, "RESET default_statistics_target"); err != nil {
		return Result{}, fmt.Errorf("analyze: %w", err)
	}
	return res, nil
}

// describePgError adds the line number to a server error that carries a
// character position.
func describePgError(err error, sql string) error {
	var pe *pgconn.PgError
	runes := []rune(sql)
	if !errors.As(err, &pe) || pe.Position <= 0 || int(pe.Position) > len(runes) {
		return err
	}
	line := 1 + strings.Count(string(runes[:pe.Position-1]), "\n")
	return fmt.Errorf("line %d: %w", line, err)
}
