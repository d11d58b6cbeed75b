// Package seed builds the database plangate replays against: the user's
// schema, then their data, then VACUUM ANALYZE with statistics that repeat
// exactly from run to run where the table sizes allow.
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Option configures Apply.
type Option func(*config)

type config struct {
	progress     io.Writer
	deferIndexes bool
}

// WithProgress writes one line per applied file and analyzed table to w.
func WithProgress(w io.Writer) Option { return func(c *config) { c.progress = w } }

// WithDeferredIndexes runs the seed files the way a restore loads its data:
// once the schema files have run, every table's indexes and the foreign
// keys between the tables are read from the catalog and dropped; after the
// seed files they are rebuilt from their own definitions (the indexes
// several at once, the foreign keys one at a time), so that the database
// ends exactly as it would have without this option, only sooner when the
// seed files load many rows. A row that breaks a unique index or a foreign
// key still fails the seeding, once every seed file has run. Seed files
// must only add rows: INSERT ... ON CONFLICT has no unique index to go by,
// and files that create or drop indexes of these tables collide with the
// rebuild. Foreign keys added NOT VALID stay in place, with the indexes
// they reference.
func WithDeferredIndexes() Option { return func(c *config) { c.deferIndexes = true } }

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
	schemaFiles, err := ExpandPaths(schema)
	if err != nil {
		return Result{}, fmt.Errorf("schema: %w", err)
	}
	dataFiles, err := ExpandPaths(data)
	if err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if err := cfg.applyFiles(ctx, conn, "schema", schemaFiles); err != nil {
		return Result{}, err
	}
	if cfg.deferIndexes && len(dataFiles) > 0 {
		err = cfg.applyDeferred(ctx, conn, connString, dataFiles)
	} else {
		err = cfg.applyFiles(ctx, conn, "seed", dataFiles)
	}
	if err != nil {
		return Result{}, err
	}
	return Analyze(ctx, conn, cfg.progress)
}

func (c config) applyFiles(ctx context.Context, conn *pgx.Conn, what string, files []string) error {
	for _, f := range files {
		if err := applyFile(ctx, conn, f); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		c.logf("applied %s", f)
	}
	return nil
}

// applyDeferred runs the seed files between dropping every table's indexes
// and foreign keys and rebuilding them (WithDeferredIndexes).
func (c config) applyDeferred(ctx context.Context, conn *pgx.Conn, connString string, files []string) error {
	tables, err := userTableInfos(ctx, conn)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	deferred, err := readDeferred(ctx, conn, tables)
	if err != nil {
		return err
	}
	deferred = deferred.withoutUnvalidated()
	var prog *progress
	if c.progress != nil {
		prog = newProgress(c.progress, false)
	}
	if err := deferred.drop(ctx, conn, prog); err != nil {
		return fmt.Errorf("%w (seed without deferred indexes instead)", err)
	}
	// From here on a failure leaves the tables without some of their
	// indexes or foreign keys: say so.
	const left = "the database is left without some of its indexes and foreign keys"
	for _, f := range files {
		if err := applyFile(ctx, conn, f); err != nil {
			var pe *pgconn.PgError
			// 42P10: ON CONFLICT names columns no unique index covers.
			if errors.As(err, &pe) && pe.Code == "42P10" && strings.Contains(pe.Message, "ON CONFLICT") {
				return fmt.Errorf("seed: %w (indexes are deferred, so ON CONFLICT finds no unique index: seed without deferred indexes; %s)", err, left)
			}
			return fmt.Errorf("seed: %w (indexes and foreign keys deferred: %s)", err, left)
		}
		c.logf("applied %s", f)
	}
	rc := rebuildConfig{connString: connString, parallel: defaultParallel(), workMem: defaultWorkMem, prog: prog}
	if err := deferred.rebuild(ctx, conn, rc); err != nil {
		return fmt.Errorf("%w (checked once every seed file had run, indexes and foreign keys being deferred; %s)", err, left)
	}
	return nil
}

// userTableInfos lists the database's tables, partitions included, outside
// the system schemas and extensions.
func userTableInfos(ctx context.Context, conn *pgx.Conn) ([]*tableInfo, error) {
	rows, err := conn.Query(ctx, `
		SELECT c.oid, n.nspname, c.relname, c.relkind::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d
		                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []*tableInfo
	for rows.Next() {
		t := &tableInfo{}
		if err := rows.Scan(&t.oid, &t.schema, &t.name, &t.relkind); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		t.qualified = pgx.Identifier{t.schema, t.name}.Sanitize()
		out = append(out, t)
	}
	return out, rows.Err()
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
