package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/baseline"
)

func newBaselineCmd(s *streams) *cobra.Command {
	var (
		f    commonFlags
		only []string
	)
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Replay the queries and record their metrics as the baseline",
		Long: `baseline seeds a database, replays every query with EXPLAIN ANALYZE and writes
the baseline file (default plangate.baseline.json) that plangate check compares
against. Commit the file; re-recording unchanged queries gives the same bytes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			queries, err := loadQueries(cfg)
			if err != nil {
				return err
			}
			var old *baseline.File
			if len(only) > 0 {
				if old, err = baseline.Read(cfg.Baseline); err != nil {
					return fmt.Errorf("--only updates an existing baseline: %w", err)
				}
				if queries, err = selectQueries(queries, only); err != nil {
					return err
				}
			}
			runs, err := measure(cmd.Context(), cfg, s, queries)
			if err != nil {
				return err
			}
			run := runs[0]
			file := recorded(run, cfg)
			if old != nil {
				file = mergeBaseline(old, file, only)
			}
			if err := baseline.Write(cfg.Baseline, file); err != nil {
				return err
			}
			failed := 0
			for _, m := range run.measurements {
				if m.err != nil {
					failed++
					fmt.Fprintf(s.err, "plangate: warning: %s: %s: %s\n", m.name, m.err.Kind, m.err.Message)
				}
			}
			fmt.Fprintf(s.out, "recorded %d queries (%d failed) on PostgreSQL %s in %s\n",
				len(run.measurements), failed, run.postgres, cfg.Baseline)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&only, "only", nil, "re-record only this query (repeatable); the others stay as recorded")
	return cmd
}

// selectQueries keeps the queries named in only, each of which must exist.
func selectQueries(queries []query, only []string) ([]query, error) {
	want := map[string]bool{}
	for _, n := range only {
		want[n] = true
	}
	var out []query
	for _, q := range queries {
		if want[q.name] {
			out = append(out, q)
			delete(want, q.name)
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

func toBaseline(r *run) *baseline.File {
	f := &baseline.File{FormatVersion: baseline.FormatVersion, Postgres: r.postgres, Settings: r.settings}
	for _, m := range r.measurements {
		q := baseline.Query{
			Name:        m.name,
			Fingerprint: m.id.Fingerprint,
			SQL:         m.id.Normalized,
			Kind:        string(m.id.Kind),
			Metrics:     m.metrics,
			Structure:   m.id.Structure.Key(),
			Relation:    m.id.Structure.Relation,
			Role:        string(m.id.Structure.Role),
			Generic:     m.generic,
			Calls:       m.calls,
		}
		if len(m.groups) > 0 {
			q.Groups = m.groups
		}
		if m.plan != nil {
			q.Plan = m.plan.Shape()
			// Temp bytes per node assume the default 8 kB block, as
			// nearly every server has; the plan's block size is not
			// kept in the measurement.
			q.Nodes = baseline.NodesFrom(m.plan.NodeStats(r.blockSize))
		}
		for _, sp := range m.spills {
			q.Spills = append(q.Spills, sp.Description)
		}
		if m.err != nil {
			q.Error = string(m.err.Kind) + ": " + m.err.Message
		}
		f.Queries = append(f.Queries, q)
	}
	return f
}
