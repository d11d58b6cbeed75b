package run

import (
	"context"
	"fmt"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
)

// Baseline replays the configured queries and returns the baseline file
// they make, and the measurements. Given only, it re-records just the
// queries named there and keeps the others as the existing baseline file
// recorded them.
func Baseline(ctx context.Context, cfg config.Config, env Env, only []string) (*baseline.File, *Result, error) {
	queries, err := LoadQueries(cfg)
	if err != nil {
		return nil, nil, err
	}
	var old *baseline.File
	if len(only) > 0 {
		if old, err = baseline.Read(cfg.Baseline); err != nil {
			return nil, nil, fmt.Errorf("--only updates an existing baseline: %w", err)
		}
		if queries, err = selectQueries(queries, only); err != nil {
			return nil, nil, err
		}
	}
	results, err := Measure(ctx, cfg, env, queries)
	if err != nil {
		return nil, nil, err
	}
	file := Record(results[0], cfg)
	if old != nil {
		file = mergeBaseline(old, file, only)
	}
	return file, results[0], nil
}

// selectQueries keeps the queries named in only, each of which must exist.
func selectQueries(queries []Query, only []string) ([]Query, error) {
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []Query
	for _, q := range queries {
		if want[q.Name] {
			out = append(out, q)
			delete(want, q.Name)
		}
	}
	for n := range want {
		return nil, fmt.Errorf("--only %s: no query of that name among the configured queries", n)
	}
	return out, nil
}

// mergeBaseline replaces old's entries for the queries named in only with
// updated's, keeping the rest as they were recorded. (Group totals measured
// from a few queries would be wrong, so they too stay as recorded.)
func mergeBaseline(old, updated *baseline.File, only []string) *baseline.File {
	merged := *updated
	merged.Queries = nil
	fresh := map[string]bool{}
	for _, n := range only {
		fresh[n] = true
	}
	for _, q := range updated.Queries {
		if fresh[q.Name] {
			merged.Queries = append(merged.Queries, q)
		}
	}
	for _, q := range old.Queries {
		if !fresh[q.Name] {
			merged.Queries = append(merged.Queries, q)
		}
	}
	return &merged
}
