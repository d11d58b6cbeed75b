package seed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/plangate/plangate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApply_SchemaSeedAnalyze(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	schemaDir := filepath.Join(dir, "schema")
	os.Mkdir(schemaDir, 0o755)
	// Applied in name order: 02 needs the table from 01.
	write(t, schemaDir, "02_index.sql", "CREATE INDEX ON items (kind);")
	write(t, schemaDir, "01_table.sql", "CREATE TABLE items (id int PRIMARY KEY, kind int);")
	data := write(t, dir, "seed.sql", "INSERT INTO items SELECT g, g % 7 FROM generate_series(1, 50000) g;")

	res, err := Apply(ctx, dsn, []string{schemaDir}, []string{data})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 || res.Tables[0].Rows != 50000 || !res.Tables[0].Exact || res.Tables[0].StatisticsTarget != 167 {
		t.Fatalf("tables = %+v", res.Tables)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var analyzed bool
	var nDistinct float64
	if err := conn.QueryRow(ctx, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'items'").Scan(&analyzed); err != nil || !analyzed {
		t.Errorf("items not analyzed (%v)", err)
	}
	// With every row read, n_distinct of kind is exactly 7.
	if err := conn.QueryRow(ctx, "SELECT n_distinct FROM pg_stats WHERE tablename = 'items' AND attname = 'kind'").Scan(&nDistinct); err != nil || nDistinct != 7 {
		t.Errorf("n_distinct = %v (%v), want 7", nDistinct, err)
	}
}

func TestApply_ErrorNamesFileAndLine(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	bad := write(t, t.TempDir(), "schema.sql", "CREATE TABLE a (id int);\n\nCREATE TABLE b (id nosuchtype);\n")
	_, err := Apply(context.Background(), dsn, []string{bad}, nil)
	if err == nil || !strings.Contains(err.Error(), "schema.sql: line 3") || !strings.Contains(err.Error(), "nosuchtype") {
		t.Errorf("got %v", err)
	}
	_, err = Apply(context.Background(), dsn, []string{filepath.Join(t.TempDir(), "nope.sql")}, nil)
	if err == nil || !strings.Contains(err.Error(), "nope.sql") {
		t.Errorf("got %v", err)
	}
}

func TestTargetFor(t *testing.T) {
	tests := []struct {
		rows   int64
		target int
		exact  bool
	}{{0, 100, true}, {30000, 100, true}, {30001, 101, true}, {3000000, 10000, true}, {3000001, 10000, false}}
	for _, tt := range tests {
		if got, exact := TargetFor(tt.rows); got != tt.target || exact != tt.exact {
			t.Errorf("TargetFor(%d) = %d, %v; want %d, %v", tt.rows, got, exact, tt.target, tt.exact)
		}
	}
}
