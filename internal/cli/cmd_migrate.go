package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/report"
	"github.com/plangate/plangate/internal/run"
)

func newMigrateCmd(s *streams) *cobra.Command {
	var (
		f  commonFlags
		mf migrationFlags
	)
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Run the migrations on the seeded database and measure their locks, rewrites, rows and WAL",
		Long: `migrate seeds a database as check does and runs a pull request's migrations on a
copy of it, statement by statement, as the migration wrote them (its BEGIN and
COMMIT open and close transactions; other statements commit on their own). For
each statement it measures the table locks it takes and how long each is held,
whether it rewrites a table, its duration, the rows it touches and the WAL it
writes, and fails on a strong lock held too long on a large table, a rewrite of
one, a backfill or WAL past its budget. The captured queries (--queries) name
who would wait. The migrations are a directory of .sql files (--migrations) or
the project's own tool (--migrate-command), whose statements are recorded
through plangate's proxy on a throwaway copy, then run measured.
Exit status: 0 pass, 1 a migration is dangerous, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if err := mf.apply(cmd, &cfg); err != nil {
				return err
			}
			if !run.HasMigrations(cfg) {
				return errors.New("migrate: give --migrations DIR (a directory of .sql files, applied in name order) or a .sql file, or --migrate-command; or set migrations.path or migrations.command in plangate.yaml")
			}
			if err := checkFormat(cfg.Format); err != nil {
				return err
			}
			if err := checkOutput(cfg); err != nil {
				return err
			}
			p := newProgress(s)
			ms, err := run.Migrate(cmd.Context(), cfg, s.env(p))
			p.done()
			if err != nil {
				return err
			}
			r := gate.WithMigrations(gate.Report{Verdict: gate.VerdictPass}, ms)
			return writeVerdict(cfg, s, r, report.Meta{}, nil)
		},
	}
	f.register(cmd.Flags())
	mf.register(cmd.Flags())
	return cmd
}
