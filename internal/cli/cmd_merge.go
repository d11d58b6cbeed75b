package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/report"
	"github.com/plangate/plangate/internal/run"
)

func newMergeCmd(s *streams) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "merge REPORT...",
		Short: "Combine the JSON reports of a sharded check into one report and verdict",
		Long: `merge takes the JSON reports of every shard of a check run with --shard K/N
(plangate check --shard K/N --format json --output FILE, one per shard) and
judges the whole run from the measurements they carry: the queries, the
workload's totals and the removed queries, as one unsharded check of the same
measurements would, in the same report, byte for byte. It needs no server,
configuration or baseline file: the shards' reports carry what it needs.

It refuses reports that are not a shard's, shards of different runs (another
baseline, configuration, query set or PostgreSQL version), a shard given
twice or missing, and a query in two shards.

Exit status: 0 pass, 1 at least one query regressed or a migration is
dangerous, 2 error.`,
		Example: `  plangate check --shard 1/4 --format json --output shard-1.json   # one per job
  plangate merge shard-*.json --format json --output report.json
  plangate comment --json report.json`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			files := make([]run.ShardFile, 0, len(paths))
			for _, path := range paths {
				_, meta, err := report.ReadJSON(path)
				if err != nil {
					return fmt.Errorf("merge: %w", err)
				}
				files = append(files, run.ShardFile{Path: path, Record: meta.Shard})
			}
			checked, err := run.Merge(files)
			if err != nil {
				return err
			}
			return writeChecked(config.Config{Format: format, Output: output}, s, checked)
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "report format: text, markdown, json, junit, sarif, html or github (workflow commands)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the report to this file instead of stdout")
	return cmd
}
