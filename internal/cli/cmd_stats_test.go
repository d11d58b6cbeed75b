package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
	"github.com/plangate/plangate/internal/seed"
)

// TestStatsSpec: statistics exported from a "production" database become a
// data spec at half its size (plangate stats spec), and the project records
// a baseline on data generated from that spec alone, with no seed files.
func TestStatsSpec(t *testing.T) {
	ctx := context.Background()
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	srv, err := pgserver.StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	if err := pgserver.CreateDatabase(ctx, srv, "production", ""); err != nil {
		t.Fatal(err)
	}
	prod := srv.ConnString("production")
	if _, err := seed.Apply(ctx, prod, []string{filepath.Join(work, "schema.sql")}, []string{filepath.Join(work, "seed.sql")}); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := Main(ctx, args, strings.NewReader(""), &stdout, &stderr); code != ExitPass {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	stats := filepath.Join(work, "prod-stats.json")
	run("stats", "export", "--dsn", prod, "--values", "-o", stats)
	data := filepath.Join(work, "data.yaml")
	out := run("stats", "spec", "--config", filepath.Join(work, "plangate.yaml"), "--stats", stats, "--scale", "0.5", "-o", data)
	if !strings.Contains(out, "wrote a data spec at 0.5 of production's rows to "+data) {
		t.Errorf("stats spec said %q", out)
	}
	written, err := os.ReadFile(data)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := seed.ParseSpec(data, written)
	if err != nil {
		t.Fatalf("the written spec does not parse: %v\n%s", err, written)
	}
	conn, err := pgx.Connect(ctx, prod)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, ts := range spec.Tables {
		var rows int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{ts.Name}.Sanitize()).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if want := rows / 2; ts.Rows < want-1 || ts.Rows > want+1 {
			t.Errorf("%s: %d rows in the spec, want half of production's %d", ts.Name, ts.Rows, rows)
		}
	}
	config := filepath.Join(work, "plangate.yaml")
	cfg, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.Replace(cfg, []byte("seed: [seed.sql]"), []byte("data: data.yaml"), 1)
	if err := os.WriteFile(config, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run("baseline", "--config", config); !strings.Contains(out, "recorded 6 queries (0 failed)") {
		t.Errorf("baseline on the statistics-driven data: %q", out)
	}
}
