package cli

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/atomicfile"
	"github.com/plangate/plangate/internal/run"
	"github.com/plangate/plangate/internal/seed"
)

func newStatsCmd(s *streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Planner statistics taken from production",
	}
	var (
		dsn    string
		out    string
		values bool
		tables []string
	)
	export := &cobra.Command{
		Use:   "export --dsn URL -o FILE",
		Short: "Read planner statistics and settings from a server into a file",
		Long: `export reads pg_class (pages, tuples) and pg_stats of every user table, and the
planner settings, from the server --dsn names (read-only), and writes them as
JSON. Set stats: FILE in plangate.yaml to apply them to the seeded database
(PostgreSQL 18 or later, or 13 to 17 with the plangate_stats server extension
from ext/plangate_stats), so that plans on small seeded data match production's.
Most-common values and histogram bounds are real production values: they are
left out unless --values is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dsn == "" || out == "" {
				return errors.New("stats export: give --dsn URL and -o FILE")
			}
			var opts []seed.StatsOption
			if values {
				opts = append(opts, seed.WithStatsValues())
			}
			if len(tables) > 0 {
				opts = append(opts, seed.WithStatsTables(tables...))
			}
			f, err := seed.ExportStats(cmd.Context(), dsn, opts...)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := f.Encode(&buf); err != nil {
				return err
			}
			if err := atomicfile.Write(out, buf.Bytes()); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "exported statistics of %d tables from PostgreSQL %s to %s\n", len(f.Tables), f.ServerVersion, out)
			return nil
		},
	}
	export.Flags().StringVar(&dsn, "dsn", "", "the server to read statistics from")
	export.Flags().StringVarP(&out, "output", "o", "", "the file to write")
	export.Flags().BoolVar(&values, "values", false, "include most-common values and histogram bounds (production data)")
	export.Flags().StringArrayVar(&tables, "table", nil, "only this table (repeatable)")
	cmd.AddCommand(export, newStatsSpecCmd(s))
	return cmd
}

func newStatsSpecCmd(s *streams) *cobra.Command {
	var (
		f         commonFlags
		statsPath string
	)
	cmd := &cobra.Command{
		Use:   "spec --stats FILE -o data.yaml",
		Short: "Write a data spec with production's shape from its statistics",
		Long: `spec writes a data spec (data: in plangate.yaml) from statistics that
plangate stats export read from production, for a team that can share
statistics but not data: each table gets production's row count times
--scale (default 1: production's size); keys stay keys, foreign keys
reference with production's skew, and columns get production's null
fraction, most-common values with their frequencies, histogram and ordering
(export with --values for the last three: without them columns follow
production's distinct counts only). The schema files are applied to a
scratch database for the columns' types and keys; nothing is seeded. Review
the spec and commit it.`,
		Example: `  plangate stats export --dsn "$PROD_URL" --values -o prod-stats.json
  plangate stats spec --stats prod-stats.json --scale 0.1 -o data.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if statsPath == "" || cfg.Output == "" {
				return errors.New("stats spec: give --stats FILE (from plangate stats export) and -o FILE")
			}
			p := newProgress(s)
			spec, err := run.StatsSpec(cmd.Context(), cfg, s.env(p), statsPath)
			p.done()
			if err != nil {
				return err
			}
			if err := atomicfile.Write(cfg.Output, spec); err != nil {
				return err
			}
			fmt.Fprintf(s.out, "wrote a data spec at %g of production's rows to %s: set data: %s in plangate.yaml\n", cfg.Scale, cfg.Output, cfg.Output)
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&statsPath, "stats", "", "the statistics file plangate stats export wrote")
	return cmd
}
