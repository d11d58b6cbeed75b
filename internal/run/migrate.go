package run

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/migrate"
)

// Migrate provisions the seeded database as check does (a copy of the
// seeded state: never the baseline's data), runs the configured migrations
// on it and judges each statement. The configured queries, when there are
// any, name who would wait behind each lock.
func Migrate(ctx context.Context, cfg config.Config, env Env) ([]gate.Migration, error) {
	rules, err := MigrationRules(cfg)
	if err != nil {
		return nil, err
	}
	var queries []Query
	if len(cfg.Queries) > 0 {
		if queries, err = LoadQueries(cfg); err != nil {
			return nil, err
		}
	}
	var out []gate.Migration
	err = onSeeded(ctx, cfg, env, func(sd *Seeded) (err error) {
		out, err = runMigrations(ctx, cfg, env, sd, rules, queries)
		return err
	})
	return out, err
}

// HasMigrations reports whether cfg names migrations to run.
func HasMigrations(cfg config.Config) bool {
	return cfg.Migrations.Path != "" || cfg.Migrations.Command != ""
}

// runMigrations runs the configured migrations on the seeded database and
// judges them.
func runMigrations(ctx context.Context, cfg config.Config, env Env, sd *Seeded, rules migrate.Rules, queries []Query) ([]gate.Migration, error) {
	files, cleanup, err := migrationFiles(ctx, cfg, env, sd)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	env.progress().Stage("running %d migration %s", len(files), plural(len(files), "file", "files"))
	res, err := migrate.Run(ctx, sd.Server.ConnString(sd.DB), files)
	if err != nil {
		return nil, err
	}
	relative := RelativePath
	if cfg.Migrations.Command != "" {
		relative = func(string) string { return cfg.Migrations.Command }
	}
	return migrate.Judge(res, rules, migrationQueries(queries), relative), nil
}

// migrationFiles lists the migration files to run: the configured
// directory's, in name order, or the file; or the statements the configured
// command runs, recorded (see recordCommand).
func migrationFiles(ctx context.Context, cfg config.Config, env Env, sd *Seeded) ([]string, func(), error) {
	none := func() {}
	if cfg.Migrations.Command != "" {
		return recordCommand(ctx, cfg, env, sd)
	}
	path := cfg.Migrations.Path
	info, err := os.Stat(path)
	if err != nil {
		return nil, none, fmt.Errorf("migrations: %w: check --migrations or migrations.path", err)
	}
	if !info.IsDir() {
		return []string{path}, none, nil
	}
	files, err := migrate.Files(path)
	return files, none, err
}

// migrationQueries are the captured queries as the migration gate sees
// them: the table each reads or writes.
func migrationQueries(queries []Query) []migrate.Query {
	var out []migrate.Query
	for _, q := range queries {
		out = append(out, migrate.Query{Name: q.Name, Relation: q.ID.Structure.Relation,
			Writes: q.ID.LocksRows()})
	}
	return out
}

// MigrationRules are the migration budgets and severities of cfg, over
// the defaults.
func MigrationRules(cfg config.Config) (migrate.Rules, error) {
	r := migrate.DefaultRules()
	m := cfg.Migrations
	if m.LockHeld != nil {
		r.LockHeld = time.Duration(*m.LockHeld)
	}
	for _, set := range []struct {
		from *config.Quantity
		to   *float64
	}{{m.MinRows, &r.MinRows}, {m.BackfillRows, &r.BackfillRows}, {m.WAL, &r.WALBytes}} {
		if set.from != nil {
			*set.to = float64(*set.from)
		}
	}
	kinds := migrate.FindingKinds()
	for kind := range m.Findings {
		if !slices.Contains(kinds, kind) {
			return r, fmt.Errorf("config: migrations.findings.%s: no such finding (known: %s)", kind, strings.Join(kinds, ", "))
		}
	}
	r.Severity = m.Findings
	return r, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
