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
			runs, err := measure(cmd.Context(), cfg, s, []query{{name: st.Name, st: st, id: id, calls: 1}})
			if err != nil {
				return err
			}
			m := runs[0].measurements[0]
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

func writeExplainText(s *streams, m measurement, keepParams bool) {
	if m.err != nil {
		fmt.Fprintf(s.out, "%s: %s\n\n", m.err.Kind, m.err.Message)
	}
	tw := tabwriter.NewWriter(s.out, 0, 0, 2, ' ', 0)
	names := make([]string, 0, len(m.metrics))
	for k := range m.metrics {
		names = append(names, k)
	}
	gate.SortMetrics(names)
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%s\n", k, gate.FormatValue(k, m.metrics[k]))
	}
	tw.Flush()
	if len(m.spills) > 0 {
		fmt.Fprintln(s.out, "\nspilled to disk:")
		for _, sp := range m.spills {
			fmt.Fprintln(s.out, "  "+sp.Description)
		}
	}
	if m.plan != nil {
		fmt.Fprintln(s.out, "\nplan:")
		fmt.Fprintln(s.out, "  "+strings.Join(planLines(m.plan, keepParams), "\n  "))
	}
}

func writeExplainJSON(s *streams, m measurement, keepParams bool) error {
	out := struct {
		Metrics map[string]float64 `json:"metrics"`
		Spills  []string           `json:"spills"`
		Plan    []string           `json:"plan"`
		Error   string             `json:"error,omitempty"`
	}{Metrics: m.metrics, Spills: []string{}}
	for _, sp := range m.spills {
		out.Spills = append(out.Spills, sp.Description)
	}
	if m.plan != nil {
		out.Plan = planLines(m.plan, keepParams)
	}
	if m.err != nil {
		out.Error = string(m.err.Kind) + ": " + m.err.Message
	}
	enc := json.NewEncoder(s.out)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
