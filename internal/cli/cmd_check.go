package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/atomicfile"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/report"
	"github.com/plangate/plangate/internal/run"
)

func newCheckCmd(s *streams) *cobra.Command {
	var (
		f           commonFlags
		mf          migrationFlags
		remeasure   bool
		baseQueries []string
		shard       string
	)
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Replay the queries and fail if they regressed against the baseline",
		Long: `check seeds a database, replays every query with EXPLAIN ANALYZE, compares the
metrics with the baseline and prints a report. With migrations (--migrations,
--migrate-command or migrations: in plangate.yaml) it first runs them on the
seeded database and judges them as migrate does, then replays the queries on
the migrated schema.

With --shard K/N it replays the K-th of N shares of the queries, split
deterministically and balanced by what the baseline recorded of them, and
judges those queries only: the workload's totals and the removed queries are
judged by plangate merge, from the JSON reports of all N shards.

Exit status: 0 pass, 1 at least one query regressed or a migration is
dangerous, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if err := mf.apply(cmd, &cfg); err != nil {
				return err
			}
			if err := checkFormat(cfg.Format); err != nil {
				return err
			}
			if err := checkOutput(cfg); err != nil {
				return err
			}
			if remeasure && len(baseQueries) == 0 {
				return errors.New("--remeasure-baseline needs the baseline's queries: give --baseline-queries PATH (e.g. a checkout of the base branch's query directory)")
			}
			if !remeasure {
				baseQueries = nil
			}
			var opts []run.CheckOption
			if cmd.Flags().Changed("shard") {
				sh, err := run.ParseShard(shard)
				if err != nil {
					return err
				}
				opts = append(opts, run.WithShard(sh))
			}
			p := newProgress(s)
			checked, err := run.Check(cmd.Context(), cfg, s.env(p), baseQueries, opts...)
			p.done()
			if err != nil {
				return err
			}
			return writeChecked(cfg, s, checked)
		},
	}
	f.register(cmd.Flags())
	mf.register(cmd.Flags())
	cmd.Flags().BoolVar(&remeasure, "remeasure-baseline", false,
		"replay the baseline's queries (--baseline-queries) in this run and compare with them instead of the baseline file")
	cmd.Flags().StringArrayVar(&baseQueries, "baseline-queries", nil, "the baseline's query sources, for --remeasure-baseline (repeatable)")
	cmd.Flags().StringVar(&shard, "shard", "", "replay and judge only the K-th of N shares of the queries, e.g. 2/4; plangate merge combines the shards' JSON reports")
	return cmd
}

// writeChecked writes a check's report (see writeVerdict), with the
// record a shard hands to plangate merge when it is one.
func writeChecked(cfg config.Config, s *streams, checked *run.Checked) error {
	meta := report.Meta{Postgres: checked.Result.Postgres, Backend: checked.Result.Server, Baseline: checked.Baseline}
	if sh := checked.Shard; sh != nil {
		raw, err := json.Marshal(sh)
		if err != nil {
			return fmt.Errorf("shard: %w", err)
		}
		meta.Shard = raw
		note := fmt.Sprintf("plangate: shard %d/%d: %d of the run's %d queries; plangate merge judges the whole run, totals and removed queries included, from every shard's JSON report",
			sh.Index, sh.Count, len(sh.Queries), sh.QueryCount)
		if cfg.Format != "json" {
			note += " (this one is " + cfg.Format + ": give --format json to merge it)"
		}
		fmt.Fprintln(s.err, note)
	}
	if note := run.VersionNote(checked.BaselinePostgres, checked.Result.Postgres); note != "" {
		fmt.Fprintln(s.err, note)
	}
	return writeVerdict(cfg, s, checked.Report, meta, checked.Sources)
}

// checkFormat fails early, before any seeding, on a format no writer knows.
func checkFormat(format string) error {
	return report.Write(io.Discard, format, gate.Report{Verdict: gate.VerdictPass}, report.Meta{})
}

// writeVerdict renders the report to --output (atomically) or stdout, and
// turns a failing verdict into gate.ErrRegressed (exit 1).
func writeVerdict(cfg config.Config, s *streams, r gate.Report, meta report.Meta, sources map[string]string) error {
	meta.Baseline = run.RelativePath(meta.Baseline)
	if cfg.Output == "" {
		if err := report.Write(s.out, cfg.Format, r, meta, report.WithColor(s.color()), report.WithSources(sources)); err != nil {
			return err
		}
	} else {
		var buf bytes.Buffer
		if err := report.Write(&buf, cfg.Format, r, meta, report.WithSources(sources)); err != nil {
			return err
		}
		if err := atomicfile.Write(cfg.Output, buf.Bytes()); err != nil {
			return err
		}
	}
	if r.Verdict == gate.VerdictFail {
		return gate.ErrRegressed
	}
	return nil
}
