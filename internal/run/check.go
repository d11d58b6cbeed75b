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
	// Baseline is the baseline file compared with, as reports name it.
	Baseline string
	// Sources maps each query's name to where it came from ("path:line"),
	// relative to the working directory.
	Sources map[string]string
	// Shard is what a shard of a run (WithShard) hands to Merge; nil for a
	// whole run.
	Shard *ShardRecord
}

// CheckOption configures Check.
type CheckOption func(*checkOptions)

type checkOptions struct {
	shard *Shard
}

// WithShard makes Check replay and judge only shard s's share of the
// queries (see partition) and return a ShardRecord for Merge. The workload's
// totals and the removed queries are left to Merge, which judges the whole
// run.
func WithShard(s Shard) CheckOption {
	return func(o *checkOptions) { o.shard = &s }
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

// checkRules are the rules check judges by: the configuration's thresholds
// over the defaults, its acceptances, and capture's positional groups.
func checkRules(cfg config.Config) (gate.Rules, error) {
	rules, err := Rules(cfg)
	if err != nil {
		return rules, err
	}
	rules.Accepted = Acceptances(cfg)
	rules.Positional = capture.IsPositional
	return rules, nil
}

// Check replays the configured queries and compares them with the baseline
// file, or, given baselineQueries (--remeasure-baseline), with those
// queries measured in the same run on the same server and data.
func Check(ctx context.Context, cfg config.Config, env Env, baselineQueries []string, opts ...CheckOption) (*Checked, error) {
	var o checkOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.shard != nil && baselineQueries != nil {
		return nil, errors.New("--shard: the baseline's queries cannot be remeasured in shards: drop --remeasure-baseline, or run unsharded")
	}
	rules, err := checkRules(cfg)
	if err != nil {
		return nil, err
	}
	// An expired acceptance fails before any seeding.
	if _, err := gate.Accept(gate.Report{}, rules.Accepted, time.Now()); err != nil {
		return nil, err
	}
	queries, err := LoadQueries(cfg)
	if err != nil {
		return nil, err
	}
	var base *baseline.File
	var old []Query
	if baselineQueries != nil {
		bcfg := cfg
		bcfg.Queries = baselineQueries
		if old, err = LoadQueries(bcfg); err != nil {
			return nil, fmt.Errorf("baseline %w", err)
		}
	} else {
		base, err = baseline.Read(cfg.Baseline)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("baseline %s: no such file: record one with `plangate baseline` and commit it", cfg.Baseline)
		}
		if err != nil {
			return nil, err
		}
	}
	replayed := queries
	if o.shard != nil {
		replayed = shardQueries(queries, base, *o.shard, cfg.Replay.GenericPlans)
	}
	sets := [][]Query{replayed}
	if old != nil {
		sets = append(sets, old)
	}
	// Migrations name who would wait behind their locks among all the
	// queries, whatever share this run replays.
	migrate, migrations, err := withMigrations(ctx, cfg, env, queries)
	if err != nil {
		return nil, err
	}
	results, err := measure(ctx, cfg, env, migrate, sets)
	if err != nil {
		return nil, err
	}
	if baselineQueries != nil {
		// Both sides measured now, on the same server and data.
		base = Record(results[1], cfg)
	}
	return judgeRun(cfg, rules, replayed, queries, base, results, *migrations, o.shard)
}

// judgeRun judges what a check measured: results[0] are the replayed
// queries' measurements (all of queries, or shard's share), the results
// after it a remeasured baseline's, compared with base. For a shard it
// judges the shard's queries only and records the shard for Merge.
func judgeRun(cfg config.Config, rules gate.Rules, replayed, queries []Query, base *baseline.File, results []*Result,
	migrations []gate.Migration, shard *Shard) (*Checked, error) {
	current := results[0]
	rules = WithSpreads(rules, results...)
	if acrossMajors(base.Postgres, current.Postgres) {
		rules = gate.AcrossMajors(rules)
	}
	notes := annotate(replayed)
	checked := &Checked{Result: current, BaselinePostgres: base.Postgres, Baseline: cfg.Baseline, Sources: notes.Sources}
	var err error
	if shard == nil {
		checked.Report, err = verdict(gate.Compare(base.Queries, Current(current, cfg), rules), rules, notes, migrations)
		return checked, err
	}
	rep, share := judgeShare(base.Queries, Current(current, cfg), queries, cfg, rules, *shard)
	if checked.Shard, err = newShardRecord(cfg, *shard, queries, base, share, current, notes, migrations); err != nil {
		return nil, err
	}
	checked.Report, err = verdict(rep, rules, notes, migrations)
	return checked, err
}

// verdict is the gate's report once acceptances are applied, pagination
// counts and estimate-only queries labelled, and migrations added.
func verdict(rep gate.Report, rules gate.Rules, notes annotations, migrations []gate.Migration) (gate.Report, error) {
	rep, err := gate.Accept(rep, rules.Accepted, time.Now())
	if err != nil {
		return rep, err
	}
	rep = gate.LabelPaginationCounts(rep, notes.PaginationCounts)
	rep = gate.LabelEstimateOnly(rep, notes.EstimateOnly)
	return gate.WithMigrations(rep, migrations), nil
}

// judgeShare judges shard s's measured queries, mine, as the whole run
// would: the other shards' queries take part in the pairing of renamed
// queries with what is known of them before they are measured, and only
// the shard's own queries are kept, without totals. It also returns the
// shard's share of the baseline: the baseline queries its queries are
// compared with and, for shard 1, the removed ones, those no query of the
// run is compared with; every baseline query is in one shard's share.
func judgeShare(base, mine []gate.Query, queries []Query, cfg config.Config, rules gate.Rules, s Shard) (gate.Report, []gate.Query) {
	measured := map[string]bool{}
	all := append([]gate.Query(nil), mine...)
	for _, q := range mine {
		measured[q.Name] = true
	}
	for _, q := range withGenericVariants(queries, cfg.Replay.GenericPlans) {
		if !measured[q.Name] {
			all = append(all, identity(q))
		}
	}
	rep := gate.Report{Verdict: gate.VerdictPass}
	shared := map[string]bool{}
	for _, res := range gate.CompareQueries(base, all, rules).Queries {
		switch {
		case res.Current == nil:
			shared[res.Baseline.Name] = s.Index == 1
		case measured[res.Current.Name]:
			if res.Baseline != nil {
				shared[res.Baseline.Name] = true
			}
			rep.Queries = append(rep.Queries, res)
			if res.Status == gate.StatusRegressed || res.Status == gate.StatusError {
				rep.Verdict = gate.VerdictFail
			}
		}
	}
	var share []gate.Query
	for _, q := range base {
		if shared[q.Name] {
			share = append(share, q)
		}
	}
	return rep, share
}

// Current is the run's queries as the gate compares them: as Record
// records them, timings included (reports show them; baselines drop them).
func Current(r *Result, cfg config.Config) []gate.Query {
	return Record(r, cfg).Queries
}

// annotations are what reports say of queries besides their
// measurements.
type annotations struct {
	// PaginationCounts maps each ORM pagination count to its list query,
	// when known.
	PaginationCounts map[string]string `json:"pagination_counts,omitempty"`
	// EstimateOnly names the queries planned without values.
	EstimateOnly map[string]bool `json:"estimate_only,omitempty"`
	// Sources maps each query's name to where it came from ("path:line"),
	// relative to the working directory so that code scanning can tie it
	// to a file of the repository.
	Sources map[string]string `json:"sources,omitempty"`
}

// annotate collects the annotations of queries.
func annotate(queries []Query) annotations {
	out := annotations{PaginationCounts: map[string]string{}, EstimateOnly: map[string]bool{}, Sources: make(map[string]string, len(queries))}
	for _, q := range queries {
		if q.ID.PaginationCount {
			out.PaginationCounts[q.Name] = q.CountOf
		}
		if q.EstimateOnly {
			out.EstimateOnly[q.Name] = true
		}
		path, line, found := strings.Cut(q.Statement.Source, ":")
		src := RelativePath(path)
		if found {
			src += ":" + line
		}
		out.Sources[q.Name] = src
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
