package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
)

// TestMigrationsExample runs each migration of examples/migrations on the
// seeded database (2M orders, 200k customers, a default partition holding
// a month of events): every dangerous one must fail with its finding, every
// safe way of making the same change must pass.
func TestMigrationsExample(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2.8M rows")
	}
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	dir := filepath.Join("..", "..", "examples", "migrations")
	cases := []struct {
		file string
		code int
		want []string // finding kinds that must be reported as failures
	}{
		{"dangerous/01_column_volatile_default.sql", ExitRegressed, []string{"✗ [migration_rewrite] rewrote customers"}},
		{"dangerous/02_index.sql", ExitRegressed, []string{"✗ [migration_scan] read all of orders (2,000,000 rows) under SHARE,"}},
		{"dangerous/03_foreign_key.sql", ExitRegressed, []string{"✗ [migration_scan] read all of orders (2,000,000 rows) under SHARE ROW EXCLUSIVE"}},
		{"dangerous/04_set_not_null.sql", ExitRegressed, []string{"✗ [migration_scan] read all of orders (2,000,000 rows) under ACCESS EXCLUSIVE"}},
		{"dangerous/05_type_change.sql", ExitRegressed, []string{"✗ [migration_rewrite] rewrote orders", "✗ [migration_wal]"}},
		{"dangerous/06_attach_with_default_rows.sql", ExitRegressed, []string{"✗ [migration_scan] read all of events_default"}},
		{"dangerous/07_one_big_update.sql", ExitRegressed, []string{"✗ [migration_backfill] touched 1,051,199 rows", "✗ [migration_wal]"}},
		{"safe/01_column_then_backfill.sql", ExitPass, nil},
		{"safe/02_index_concurrently.sql", ExitPass, nil},
		{"safe/03_foreign_key_not_valid.sql", ExitPass, nil},
		{"safe/04_check_then_not_null.sql", ExitPass, nil},
		{"safe/05_type_change_binary_compatible.sql", ExitPass, nil},
		{"safe/06_attach_with_empty_default.sql", ExitPass, nil},
		{"safe/07_batched_update.sql", ExitPass, nil},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"migrate", "--config", filepath.Join(dir, "plangate.yaml"),
				"--backend", "local", "--migrations", filepath.Join(dir, c.file)}, strings.NewReader(""), &stdout, &stderr)
			out := stdout.String()
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s\n%s", code, c.code, out, stderr.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("the report lacks %q:\n%s", w, out)
				}
			}
			if c.code == ExitPass && strings.Contains(out, "✗") {
				t.Errorf("a safe migration has a failing finding:\n%s", out)
			}
		})
	}
}

// TestMigrations_CheckReplaysOnMigratedSchema records a baseline of
// examples/migrations, then checks it with a migration that drops the
// primary key of orders: the migration itself is quick and passes, but the
// query that found an order by its key now reads the whole table, and check
// fails on it, with the migration in its own section of the report.
func TestMigrations_CheckReplaysOnMigratedSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2.8M rows")
	}
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	dir := filepath.Join("..", "..", "examples", "migrations")
	tmp := t.TempDir()
	base := filepath.Join(tmp, "plangate.baseline.json")
	drop := filepath.Join(tmp, "0001_drop_orders_pkey.sql")
	if err := os.WriteFile(drop, []byte("ALTER TABLE orders DROP CONSTRAINT orders_pkey;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--config", filepath.Join(dir, "plangate.yaml"), "--backend", "local", "--baseline", base}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), append([]string{"baseline"}, common...), strings.NewReader(""), &stdout, &stderr); code != ExitPass {
		t.Fatalf("baseline: exit %d:\n%s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	code := Main(context.Background(), append([]string{"check", "--format", "markdown", "--migrations", drop}, common...),
		strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	if code != ExitRegressed {
		t.Fatalf("check: exit %d, want %d:\n%s\n%s", code, ExitRegressed, out, stderr.String())
	}
	for _, want := range []string{"### 🧱 Migrations: 1 migration statement", "0001_drop_orders_pkey.sql #1", "mark_shipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "❌ plangate: 1 query regressed") {
		t.Errorf("the verdict should name the regressed query, not the migration:\n%s", out)
	}
}

// TestMigrations_Command runs a project's own migration tool, here psql
// reading a migration file through DATABASE_URL, instead of a directory:
// its statements are recorded through plangate's proxy and measured as the
// files are.
func TestMigrations_Command(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 2.8M rows")
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql is not installed")
	}
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "migrations"))
	if err != nil {
		t.Fatal(err)
	}
	command := psql + ` "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -f ` + filepath.Join(dir, "dangerous", "02_index.sql")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"migrate", "--config", filepath.Join(dir, "plangate.yaml"), "--backend", "local",
		"--migrate-command", command}, strings.NewReader(""), &stdout, &stderr)
	out := stdout.String()
	if code != ExitRegressed {
		t.Fatalf("exit %d, want %d:\n%s\n%s", code, ExitRegressed, out, stderr.String())
	}
	if want := "✗ [migration_scan] read all of orders (2,000,000 rows) under SHARE,"; !strings.Contains(out, want) {
		t.Errorf("the report lacks %q:\n%s", want, out)
	}
}

// TestMigrations_Partman runs pg_partman's maintenance as a migration on
// PostgreSQL 17 (the docker image carries Debian's postgresql-17-partman):
// raising premake makes run_maintenance attach two more months, and each
// attach scans the default partition, a million rows of history, under an
// ACCESS EXCLUSIVE lock; with the history moved out first, the same
// maintenance passes.
func TestMigrations_Partman(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 1.1M rows")
	}
	requireDockerImage(t, pgserver.LocalImageRepo+":17")
	ctx := context.Background()
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "partman"))
	if err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "plangate.yaml")
	t.Cleanup(func() {
		if _, err := pgserver.PruneSnapshots(context.Background(), config, 0); err != nil {
			t.Errorf("remove the example's snapshots: %v", err)
		}
	})
	cases := []struct {
		dir  string
		code int
		want string
	}{
		{"dangerous", ExitRegressed, "✗ [migration_scan] read all of events_default (1,000,000 rows) under ACCESS EXCLUSIVE"},
		{"safe", ExitPass, "SELECT partman.run_maintenance('public.events')"},
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(ctx, []string{"migrate", "--config", config, "--migrations", filepath.Join(dir, c.dir)},
				strings.NewReader(""), &stdout, &stderr)
			out := stdout.String()
			if code != c.code {
				t.Fatalf("exit %d, want %d:\n%s\n%s", code, c.code, out, stderr.String())
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("the report lacks %q:\n%s", c.want, out)
			}
			if c.code == ExitRegressed && !strings.Contains(out, "2 captured queries would wait, including account_events_today, account_history") {
				t.Errorf("the queries of the partitioned table should wait behind its default partition's lock:\n%s", out)
			}
		})
	}
}
