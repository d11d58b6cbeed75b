package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/queryid"
	"github.com/plangate/plangate/internal/run"
)

func newExplainCmd(s *streams) *cobra.Command {
	var (
		f      commonFlags
		params []string
	)
	cmd := &cobra.Command{
		Use:   "explain SQL",
		Short: "Replay one statement on the seeded database and show its plan metrics",
		Long: `explain seeds a database as check does, replays one statement with EXPLAIN
ANALYZE (rolled back) and prints its metrics, the nodes that spilled to disk and
the plan's shape. --format json prints the metrics and the raw plan.`,
		Example: `  plangate explain --config examples/drf-pagination/plangate.yaml \
    'SELECT count(*) FROM orders WHERE status = $1' --param pending`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			id, err := queryid.Identify(args[0])
			if err != nil {
				return fmt.Errorf("explain: %w", err)
			}
			st := capture.Statement{Name: "explain", SQL: args[0], Source: "command line"}
			for _, p := range params {
				v, err := capture.ParseParamValue(p)
				if err != nil {
					return fmt.Errorf("explain: --param %s: %w", p, err)
				}
				st.Params = append(st.Params, v)
			}
			cfg.Replay.GenericPlans = false
			p := newProgress(s)
			results, err := run.Measure(cmd.Context(), cfg, s.env(p), []run.Query{{Name: st.Name, Statement: st, ID: id, Calls: 1}})
			p.done()
			if err != nil {
				return err
			}
			m := results[0].Measurements[0]
			if cfg.Format == "json" {
				return writeExplainJSON(s, m, cfg.KeepParams)
			}
			if cfg.Format != "text" {
				return fmt.Errorf("explain: --format %s: explain prints text or json", cfg.Format)
			}
			writeExplainText(s, m, cfg.KeepParams)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&params, "param", nil, "value for $1, $2, ... in order (repeatable; NULL for null)")
	return cmd
}

func writeExplainText(s *streams, m run.Measurement, keepParams bool) {
	if m.Err != nil {
		fmt.Fprintf(s.out, "%s: %s\n\n", m.Err.Kind, m.Err.Message)
	}
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	names := make([]string, 0, len(m.Metrics))
	for k := range m.Metrics {
		names = append(names, k)
	}
	gate.SortMetrics(names)
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%s\n", k, gate.FormatValue(k, m.Metrics[k]))
	}
	tw.Flush()
	if len(m.Spills) > 0 {
		fmt.Fprintln(s.out, "\nspilled to disk:")
		for _, sp := range m.Spills {
			fmt.Fprintln(s.out, "  "+sp.Description)
		}
	}
	if m.Plan != nil {
		fmt.Fprintln(s.out, "\nplan:")
		fmt.Fprintln(s.out, "  "+strings.Join(run.PlanLines(m.Plan, keepParams), "\n  "))
	}
}

func writeExplainJSON(s *streams, m run.Measurement, keepParams bool) error {
	out := struct {
		Metrics map[string]float64 `json:"metrics"`
		Spills  []string           `json:"spills"`
		Plan    []string           `json:"plan"`
		Error   string             `json:"error,omitempty"`
	}{Metrics: m.Metrics, Spills: []string{}}
	for _, sp := range m.Spills {
		out.Spills = append(out.Spills, sp.Description)
	}
	if m.Plan != nil {
		out.Plan = run.PlanLines(m.Plan, keepParams)
	}
	if m.Err != nil {
		out.Error = string(m.Err.Kind) + ": " + m.Err.Message
	}
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
