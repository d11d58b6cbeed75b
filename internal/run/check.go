package run

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
)

// Checked is what a check found.
type Checked struct {
	// Report is the gate's verdict on every query and total.
	Report gate.Report
	// Result is the run's measurements.
	Result *Result
	// BaselinePostgres is the server version the baseline was recorded on.
	BaselinePostgres string
	// Sources maps each query's name to where it came from ("path:line"),
	// relative to the working directory.
	Sources map[string]string
}

// withMigrations returns, when cfg names migrations, the step that runs
// and judges them on the seeded database before the pull request's queries
// are replayed, and where it leaves what it found.
func withMigrations(ctx context.Context, cfg config.Config, env Env, queries []Query) (func(*Seeded) error, *[]gate.Migration, error) {
	found := new([]gate.Migration)
	if !HasMigrations(cfg) {
		return nil, found, nil
	}
	rules, err := MigrationRules(cfg)
	if err != nil {
		return nil, nil, err
	}
	return func(sd *Seeded) (err error) {
		*found, err = runMigrations(ctx, cfg, env, sd, rules, queries)
		return err
	}, found, nil
}

// Check replays the configured queries and compares them with the baseline
// file, or, given baselineQueries (--remeasure-baseline), with those
// queries measured in the same run on the same server and data.
func Check(ctx context.Context, cfg config.Config, env Env, baselineQueries []string) (*Checked, error) {
	rules, err := Rules(cfg)
	if err != nil {
		return nil, err
	}
	rules.Accepted = Acceptances(cfg)
	rules.Positional = capture.IsPositional
	// An expired acceptance fails before any seeding.
	if _, err := gate.Accept(gate.Report{}, rules.Accepted, time.Now()); err != nil {
		return nil, err
	}
	queries, err := LoadQueries(cfg)
	if err != nil {
		return nil, err
	}
	sets := [][]Query{queries}
	var base *baseline.File
	if baselineQueries != nil {
		bcfg := cfg
		bcfg.Queries = baselineQueries
		old, err := LoadQueries(bcfg)
		if err != nil {
			return nil, fmt.Errorf("baseline %w", err)
		}
		sets = append(sets, old)
	} else {
		base, err = baseline.Read(cfg.Baseline)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("baseline %s: no such file: record one with `plangate baseline` and commit it", cfg.Baseline)
		}
		if err != nil {
			return nil, err
		}
	}
	migrate, migrations, err := withMigrations(ctx, cfg, env, queries)
	if err != nil {
		return nil, err
	}
	results, err := measure(ctx, cfg, env, migrate, sets)
	if err != nil {
		return nil, err
	}
	current := results[0]
	if baselineQueries != nil {
		// Both sides measured now, on the same server and data.
		base = Record(results[1], cfg)
	}
	rules = WithSpreads(rules, results...)
	if acrossMajors(base.Postgres, current.Postgres) {
		rules = gate.AcrossMajors(rules)
	}
	rep, err := gate.Accept(gate.Compare(base.Queries, Current(current, cfg), rules), rules.Accepted, time.Now())
	if err != nil {
		return nil, err
	}
	rep = gate.LabelPaginationCounts(rep, paginationCounts(queries))
	rep = gate.LabelEstimateOnly(rep, estimateOnly(queries))
	rep = gate.WithMigrations(rep, *migrations)
	return &Checked{Report: rep, Result: current, BaselinePostgres: base.Postgres, Sources: querySources(queries)}, nil
}

// Current is the run's queries as the gate compares them: as Record
// records them, timings included (reports show them; baselines drop them).
func Current(r *Result, cfg config.Config) []gate.Query {
	return Record(r, cfg).Queries
}

// paginationCounts maps each ORM pagination count to its list query, when
// known.
func paginationCounts(queries []Query) map[string]string {
	out := map[string]string{}
	for _, q := range queries {
		if q.ID.PaginationCount {
			out[q.Name] = q.CountOf
		}
	}
	return out
}

// estimateOnly names the queries planned without values.
func estimateOnly(queries []Query) map[string]bool {
	out := map[string]bool{}
	for _, q := range queries {
		if q.EstimateOnly {
			out[q.Name] = true
		}
	}
	return out
}

// querySources maps each query's name to where it came from ("path:line"),
// relative to the working directory so that code scanning can tie it to a
// file of the repository.
func querySources(queries []Query) map[string]string {
	out := make(map[string]string, len(queries))
	for _, q := range queries {
		path, line, found := strings.Cut(q.Statement.Source, ":")
		src := RelativePath(path)
		if found {
			src += ":" + line
		}
		out[q.Name] = src
	}
	return out
}

// RelativePath makes path relative to the working directory when it lies
// below it.
func RelativePath(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
