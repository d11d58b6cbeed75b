package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/run"
)

func newMigrateCmd(s *streams) *cobra.Command {
	var (
		f          commonFlags
		migrations string
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
who would wait. Exit status: 0 pass, 1 a migration is dangerous, 2 error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd)
			if err != nil {
				return err
			}
			if migrations == "" {
				return errors.New("migrate: give --migrations DIR (a directory of .sql files, applied in name order) or a .sql file")
			}
			p := newProgress(s)
			m, err := run.Migrate(cmd.Context(), cfg, s.env(p), migrations)
			p.done()
			if err != nil {
				return err
			}
			if writeMigrations(s.out, m) {
				return gate.ErrRegressed
			}
			return nil
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringVar(&migrations, "migrations", "", "the migrations: a directory of .sql files applied in name order, or one .sql file")
	return cmd
}

// writeMigrations prints each statement, what it did and its findings, and
// reports whether one fails.
func writeMigrations(w io.Writer, m *run.Migrated) (failed bool) {
	fails, warns := 0, 0
	for i, st := range m.Result.Statements {
		fmt.Fprintf(w, "%s #%d: %s\n", run.RelativePath(st.File), st.Index, oneLine(statementLine(st.SQL)))
		fmt.Fprintf(w, "    %.2f s, %d rows, %s WAL", st.Duration.Seconds(), st.Rows, gate.FormatValue(gate.MetricWALBytes, float64(st.WALBytes)))
		if len(st.Rewrites) > 0 {
			fmt.Fprintf(w, ", rewrote %s", strings.Join(st.Rewrites, ", "))
		}
		fmt.Fprintln(w)
		for _, l := range st.Locks {
			fmt.Fprintf(w, "    lock %s on %s held %.2f s\n", l.Mode, l.Relation, l.Held.Seconds())
		}
		for _, f := range m.Findings[i] {
			mark := "!"
			if f.Fail {
				mark, failed = "✗", true
				fails++
			} else {
				warns++
			}
			fmt.Fprintf(w, "  %s [%s] %s\n", mark, f.Kind, f.Message)
		}
	}
	verdict := "PASS"
	if failed {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "plangate migrate: %s (%d statements, %d failing, %d warnings)\n", verdict, len(m.Result.Statements), fails, warns)
	return failed
}

func statementLine(sql string) string {
	for _, line := range strings.Split(sql, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			return t
		}
	}
	return sql
}
