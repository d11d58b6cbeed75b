package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/atomicfile"
	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/report"
)

func newCheckCmd(s *streams) *cobra.Command {
	var (
		f           commonFlags
		remeasure   bool
		baseQueries []string
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Replay the queries and fail if they regressed against the baseline",
		Long: `check seeds a database, replays every query with EXPLAIN ANALYZE, compares the
metrics with the baseline and prints a report. Exit status: 0 pass, 1 at least
one query regressed, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if err := checkFormat(cfg.Format); err != nil {
				return err
			}
			if err := checkOutput(cfg); err != nil {
				return err
			}
			rules, err := rulesFrom(cfg)
			if err != nil {
				return err
			}
			// An expired acceptance fails before any seeding.
			if _, err := gate.Accept(gate.Report{}, acceptances(cfg), time.Now()); err != nil {
				return err
			}
			queries, err := loadQueries(cfg)
			if err != nil {
				return err
			}
			sets := [][]query{queries}
			var base *baseline.File
			if remeasure {
				if len(baseQueries) == 0 {
					return errors.New("--remeasure-baseline needs the baseline's queries: give --baseline-queries PATH (e.g. a checkout of the base branch's query directory)")
				}
				bcfg := cfg
				bcfg.Queries = baseQueries
				old, err := loadQueries(bcfg)
				if err != nil {
					return fmt.Errorf("baseline %w", err)
				}
				sets = append(sets, old)
			} else {
				base, err = baseline.Read(cfg.Baseline)
				if errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("baseline %s: no such file: record one with `plangate baseline` and commit it", cfg.Baseline)
				}
				if err != nil {
					return err
				}
			}
			runs, err := measure(cmd.Context(), cfg, s, sets...)
			if err != nil {
				return err
			}
			run := runs[0]
			if remeasure {
				// Both sides measured now, on the same server and data.
				base = recorded(runs[1], cfg)
			}
			rules = withSpreads(rules, runs...)
			rules.Accepted = acceptances(cfg)
			rules.Positional = capture.IsPositional
			result, err := gate.Accept(gate.Compare(base.GateQueries(), currentQueries(run, cfg), rules), rules.Accepted, time.Now())
			if err != nil {
				return err
			}
			result = gate.LabelPaginationCounts(result, paginationCounts(queries))
			result = gate.LabelEstimateOnly(result, estimateOnly(queries))
			meta := report.Meta{Postgres: run.postgres, Backend: run.server, Baseline: cfg.Baseline}
			if base.Postgres != run.postgres {
				fmt.Fprintf(s.err, "plangate: warning: baseline was recorded on PostgreSQL %s, this run is on %s: plans may differ for that reason alone\n", base.Postgres, run.postgres)
			}
			if err := writeReport(cfg, s, result, meta, querySources(queries)); err != nil {
				return err
			}
			if result.Verdict == gate.VerdictFail {
				return gate.ErrRegressed
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().BoolVar(&remeasure, "remeasure-baseline", false,
		"replay the baseline's queries (--baseline-queries) in this run and compare with them instead of the baseline file")
	cmd.Flags().StringArrayVar(&baseQueries, "baseline-queries", nil, "the baseline's query sources, for --remeasure-baseline (repeatable)")
	return cmd
}

// withSpreads widens each query's absolute thresholds to twice the spread
// that repeated runs (--repeat) observed, so that a verdict needs a change
// beyond the noise measured on this very machine.
func withSpreads(rules gate.Rules, runs ...*run) gate.Rules {
	widest := map[string]map[string]float64{}
	for _, r := range runs {
		for _, m := range r.measurements {
			for metric, spread := range m.spread {
				if widest[m.name] == nil {
					widest[m.name] = map[string]float64{}
				}
				widest[m.name][metric] = max(widest[m.name][metric], spread)
			}
		}
	}
	if len(widest) == 0 {
		return rules
	}
	out := rules
	out.Queries = map[string]map[string]gate.Rule{}
	for name, metrics := range rules.Queries {
		out.Queries[name] = maps.Clone(metrics)
	}
	for name, metrics := range widest {
		for metric, spread := range metrics {
			rule, ok := rules.For(name, metric)
			if !ok || rule.Absolute >= 2*spread {
				continue
			}
			rule.Absolute, rule.Set = 2*spread, 0
			if out.Queries[name] == nil {
				out.Queries[name] = map[string]gate.Rule{}
			}
			out.Queries[name][metric] = rule
		}
	}
	return out
}

// checkFormat fails early, before any seeding, on a format no writer knows.
func checkFormat(format string) error {
	return report.Write(io.Discard, format, gate.Report{Verdict: gate.VerdictPass}, report.Meta{})
}

// writeReport renders the report to --output (atomically) or stdout.
func writeReport(cfg config.Config, s *streams, r gate.Report, meta report.Meta, sources map[string]string) error {
	meta.Baseline = relativePath(meta.Baseline)
	if cfg.Output == "" {
		return report.Write(s.out, cfg.Format, r, meta, report.WithColor(s.outTTY), report.WithSources(sources))
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, cfg.Format, r, meta, report.WithSources(sources)); err != nil {
		return err
	}
	return atomicfile.Write(cfg.Output, buf.Bytes())
}

// paginationCounts maps each ORM pagination count to its list query, when
// known.
func paginationCounts(queries []query) map[string]string {
	out := map[string]string{}
	for _, q := range queries {
		if q.id.PaginationCount {
			out[q.name] = q.countOf
		}
	}
	return out
}

// estimateOnly names the queries planned without values.
func estimateOnly(queries []query) map[string]bool {
	out := map[string]bool{}
	for _, q := range queries {
		if q.estimateOnly {
			out[q.name] = true
		}
	}
	return out
}

// querySources maps each query's name to where it came from ("path:line"),
// relative to the working directory so that code scanning can tie it to a
// file of the repository.
func querySources(queries []query) map[string]string {
	out := make(map[string]string, len(queries))
	for _, q := range queries {
		path, line, found := strings.Cut(q.st.Source, ":")
		src := relativePath(path)
		if found {
			src += ":" + line
		}
		out[q.name] = src
	}
	return out
}

// relativePath makes path relative to the working directory when it lies
// below it.
func relativePath(path string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(path) {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

func currentQueries(r *run, cfg config.Config) []gate.Query {
	out := recorded(r, cfg).GateQueries()
	// Timings are not kept in the baseline file but are reported.
	for i, m := range r.measurements {
		out[i].Metrics = m.metrics
		out[i].Explicit = m.explicit
	}
	return out
}

// rulesFrom lays the configuration's thresholds over the default rules.
func rulesFrom(cfg config.Config) (gate.Rules, error) {
	rules := gate.DefaultRules()
	var err error
	if rules.Findings, err = findingRules(rules.Findings, cfg.Findings); err != nil {
		return rules, err
	}
	for metric, t := range cfg.Thresholds {
		if !gate.KnownMetric(metric) {
			return rules, fmt.Errorf("config: thresholds: unknown metric %q: use one of %v", metric, gate.MetricNames())
		}
		rules.Metrics[metric] = rules.Metrics[metric].Override(ruleOverride(t))
	}
	for metric, t := range cfg.Totals {
		if _, ok := rules.Totals[metric]; !ok {
			return rules, fmt.Errorf("config: totals: metric %q is not summed over the workload: use one of %v", metric, gate.TotalMetrics())
		}
		rules.Totals[metric] = rules.Totals[metric].Override(ruleOverride(t))
	}
	for _, p := range cfg.Match.Pin {
		rules.Pairing.Pin = append(rules.Pairing.Pin, gate.Pair{Baseline: p.Baseline, Current: p.Current})
	}
	for _, p := range cfg.Match.Forbid {
		rules.Pairing.Forbid = append(rules.Pairing.Forbid, gate.Pair{Baseline: p.Baseline, Current: p.Current})
	}
	rules.Queries = map[string]map[string]gate.Rule{}
	for name, metrics := range cfg.Overrides {
		rules.Queries[name] = map[string]gate.Rule{}
		for metric, t := range metrics {
			if !gate.KnownMetric(metric) {
				return rules, fmt.Errorf("config: overrides: %s: unknown metric %q: use one of %v", name, metric, gate.MetricNames())
			}
			rules.Queries[name][metric] = ruleOverride(t)
		}
	}
	return rules, nil
}

func acceptances(cfg config.Config) []gate.Acceptance {
	out := make([]gate.Acceptance, len(cfg.Accept))
	for i, a := range cfg.Accept {
		out[i] = gate.Acceptance{Query: a.Query, Metric: a.Metric, Reason: a.Reason, Expires: a.Expires.Time}
	}
	return out
}

func ruleOverride(t config.Threshold) gate.Rule {
	var r gate.Rule
	if t.Relative != nil {
		r.Relative, r.Set = *t.Relative, r.Set|gate.SetRelative
	}
	if t.Absolute != nil {
		r.Absolute, r.Set = float64(*t.Absolute), r.Set|gate.SetAbsolute
	}
	if t.Budget != nil {
		r.Budget, r.Set = float64(*t.Budget), r.Set|gate.SetBudget
	}
	if t.Gate != nil {
		r.Gate, r.Set = *t.Gate, r.Set|gate.SetGate
	}
	return r
}
