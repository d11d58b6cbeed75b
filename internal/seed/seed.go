// Package seed builds the database plangate replays against: the user's
// schema, then their data, then VACUUM ANALYZE with statistics that repeat
// exactly from run to run where the table sizes allow.
package seed

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/jackc/pgx/v5"
)

// Option configures Apply.
type Option func(*config)

type config struct {
	progress io.Writer
}

// WithProgress writes one line per applied file and analyzed table to w.
func WithProgress(w io.Writer) Option { return func(c *config) { c.progress = w } }

// Table is what seeding left in one table.
type Table struct {
	// Name is the schema-qualified table name.
	Name string
	// Rows is the table's row count after seeding.
	Rows int64
	// StatisticsTarget is the target ANALYZE ran with.
	StatisticsTarget int
	// Exact is set when ANALYZE read every row, so its statistics are the
	// same on every run.
	Exact bool
}

// Result describes the seeded database.
type Result struct {
	Tables []Table
}

// ExpandPaths turns files and directories into the list of .sql files to
// apply: a directory contributes its *.sql files in name order.
func ExpandPaths(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%s: no such file or directory", p)
		}
		if !info.IsDir() {
			out = append(out, p)
			continue
		}
		files, err := filepath.Glob(filepath.Join(p, "*.sql"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no *.sql files in this directory", p)
		}
		sort.Strings(files)
		out = append(out, files...)
	}
	return out, nil
}

// Apply runs the schema files, then the seed files, against the database at
// connString, then vacuums and analyzes every table.
func Apply(ctx context.Context, connString string, schema, data []string, opts ...Option) (Result, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	for _, group := range []struct {
		what  string
		paths []string
	}{{"schema", schema}, {"seed", data}} {
		files, err := ExpandPaths(group.paths)
		if err != nil {
			return Result{}, fmt.Errorf("%s: %w", group.what, err)
		}
		for _, f := range files {
			if err := applyFile(ctx, conn, f); err != nil {
				return Result{}, fmt.Errorf("%s: %w", group.what, err)
			}
			cfg.logf("applied %s", f)
		}
	}
	return Analyze(ctx, conn, cfg.progress)
}

func applyFile(ctx context.Context, conn *pgx.Conn, path string) error {
	sql, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Without arguments pgx uses the simple protocol, which runs a file of
	// several statements as one implicit transaction.
	if _, err := conn.Exec(ctx, string(sql)); err != nil {
		return fmt.Errorf("%s: %w", path, describePgError(err, string(sql)))
	}
	return nil
}

func (c config) logf(format string, args ...any) {
	if c.progress != nil {
		fmt.Fprintf(c.progress, "seed: "+format+"\n", args...)
	}
}
