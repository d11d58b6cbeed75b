package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/run"
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
			p := newProgress(s)
			file, result, err := run.Baseline(cmd.Context(), cfg, s.env(p), only)
			p.done()
			if err != nil {
				return err
			}
			if err := baseline.Write(cfg.Baseline, file); err != nil {
				return err
			}
			failed := 0
			for _, m := range result.Measurements {
				if m.Err != nil {
					failed++
					fmt.Fprintf(s.err, "plangate: warning: %s: %s: %s\n", m.Name, m.Err.Kind, m.Err.Message)
				}
			}
			fmt.Fprintf(s.out, "recorded %d queries (%d failed) on PostgreSQL %s in %s\n",
				len(result.Measurements), failed, result.Postgres, cfg.Baseline)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&only, "only", nil, "re-record only this query (repeatable); the others stay as recorded")
	return cmd
}
