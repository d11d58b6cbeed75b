package seed

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
)

// statsExtensionInstalled reports whether the test server has the
// plangate_stats extension installed for its major version.
func statsExtensionInstalled(t *testing.T, dsn string) bool {
	t.Helper()
	ok, err := statsExtensionAvailable(context.Background(), connect(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// needStatsExtension skips the test on a server without the extension, or
// fails it where PLANGATE_REQUIRE_STATS_EXTENSION=1 (as CI, which builds
// it, sets).
func needStatsExtension(t *testing.T, dsn string) {
	t.Helper()
	if !statsExtensionInstalled(t, dsn) {
		unavailable := t.Skipf
		if os.Getenv("PLANGATE_REQUIRE_STATS_EXTENSION") == "1" {
			unavailable = t.Fatalf
		}
		var version string
		if err := connect(t, dsn).QueryRow(context.Background(), "SHOW server_version").Scan(&version); err != nil {
			t.Fatal(err)
		}
		unavailable("the %s extension is not installed for this server (PostgreSQL %s): make -C ext/plangate_stats install PG_CONFIG=<its pg_config>", StatsExtension, version)
	}
}

// planRows is the planner's row estimate for query's top node, planned in
// conn's session.
func planRows(t *testing.T, conn *pgx.Conn, query string) float64 {
	t.Helper()
	var plans []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := conn.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+query).Scan(&plans); err != nil || len(plans) == 0 {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	return plans[0].Plan.Rows
}

// TestApplyStats_Extension restores a "production" table's statistics into
// a CI copy a hundredth of its size through the plangate_stats extension,
// on whatever version the test server runs, and checks that new sessions
// plan with production's row count and selectivity: the extension's hook
// takes reltuples as it is instead of rescaling it to the CI table's pages.
func TestApplyStats_Extension(t *testing.T) {
	ctx := context.Background()
	const schema = `CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, customer_id int NOT NULL, ref int);
		CREATE INDEX orders_pending ON orders (customer_id) WHERE status = 'pending'`
	prod := newSchemaDB(t, schema)
	needStatsExtension(t, prod)
	ci := newSchemaDB(t, schema)
	for dsn, rows := range map[string]string{
		// 200,000 orders, 5% of them pending.
		prod: "INSERT INTO orders SELECT g, CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'done' END, g % 5000, g FROM generate_series(1, 200000) g",
		// 2,000 orders, half of them pending.
		ci: "INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'done' END, g % 50, g % 10 FROM generate_series(1, 2000) g",
	} {
		if _, err := connect(t, dsn).Exec(ctx, rows+"; ANALYZE orders"); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := ExportStats(ctx, prod, WithStatsValues())
	if err != nil {
		t.Fatal(err)
	}
	warnings, err := ApplyStats(ctx, ci, stats)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Logf("warning: %s", w)
		if strings.Contains(w.Message, "scales reltuples") || strings.Contains(w.Message, "not restored") {
			t.Errorf("unexpected warning: %s", w)
		}
	}

	conn := connect(t, ci) // a new session, which preloads the extension's library
	var preload string
	if err := conn.QueryRow(ctx, "SHOW session_preload_libraries").Scan(&preload); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(preload, StatsExtension) {
		t.Errorf("session_preload_libraries = %q in a new session, want it to name %s", preload, StatsExtension)
	}
	all := planRows(t, conn, "SELECT * FROM orders")
	pending := planRows(t, conn, "SELECT * FROM orders WHERE status = 'pending'")
	rangeRows := planRows(t, conn, "SELECT * FROM orders WHERE id <= 50000")
	t.Logf("with catalog sizes: %.0f orders, %.0f pending, %.0f with id <= 50000", all, pending, rangeRows)
	if all < 199000 || all > 201000 {
		t.Errorf("the table is estimated at %.0f rows, want production's 200000", all)
	}
	if pending < 9000 || pending > 11000 {
		t.Errorf("status = 'pending' is estimated at %.0f rows, want production's 5%% (10000)", pending)
	}
	// Production's histogram of id: a quarter of the table.
	if rangeRows < 45000 || rangeRows > 55000 {
		t.Errorf("id <= 50000 is estimated at %.0f rows, want about 50000", rangeRows)
	}
	// Production's refs are unique, so it has no most-common ref; the CI
	// data has ten refs, each a tenth of the orders: the CI's most-common
	// values must not be left beside production's histogram.
	if ref := planRows(t, conn, "SELECT * FROM orders WHERE ref = 3"); ref > 10 {
		t.Errorf("ref = 3 is estimated at %.0f rows, want production's 1", ref)
	}

	if _, err := conn.Exec(ctx, "SET plangate_stats.use_catalog_sizes = off"); err != nil {
		t.Fatal(err)
	}
	onDisk := planRows(t, conn, "SELECT * FROM orders")
	pendingOnDisk := planRows(t, conn, "SELECT * FROM orders WHERE status = 'pending'")
	t.Logf("with sizes on disk: %.0f orders, %.0f pending", onDisk, pendingOnDisk)
	if onDisk < 1000 || onDisk > 4000 {
		t.Errorf("with plangate_stats.use_catalog_sizes off, the table is estimated at %.0f rows, want about the CI table's 2000", onDisk)
	}
	if share := pendingOnDisk / onDisk; share < 0.04 || share > 0.06 {
		t.Errorf("with plangate_stats.use_catalog_sizes off, %.1f%% of the orders are estimated pending, want production's 5%%", 100*share)
	}
}

// TestStatsExtension_SetAttributeStats writes a column's statistics with
// the extension's function and reads them back from pg_stats, and checks
// what the function refuses.
func TestStatsExtension_SetAttributeStats(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, `CREATE TABLE t (id int, kind text, at timestamptz, spot point);
		INSERT INTO t SELECT g, 'k' || g % 3, now(), point(g, g) FROM generate_series(1, 100) g;
		ANALYZE t;
		CREATE VIEW v AS SELECT * FROM t`)
	needStatsExtension(t, dsn)
	conn := connect(t, dsn)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS "+StatsExtension); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	}
	if err := exec(`SELECT plangate_stats.set_relation_stats('t', 1000, 150000, 900)`); err != nil {
		t.Fatal(err)
	}
	if err := exec(`SELECT plangate_stats.set_attribute_stats('t', 'kind', false, 0.25, 3, 2,
		'{a,b}', '{0.6,0.15}', NULL, -0.5)`); err != nil {
		t.Fatal(err)
	}
	// Only the histogram is given: what the first call set stays.
	if err := exec(`SELECT plangate_stats.set_attribute_stats('t', 'kind', false, histogram_bounds => '{c,m,z}')`); err != nil {
		t.Fatal(err)
	}

	var pages, allVisible int32
	var tuples float32
	if err := conn.QueryRow(ctx, "SELECT relpages, reltuples, relallvisible FROM pg_class WHERE oid = 't'::regclass").Scan(&pages, &tuples, &allVisible); err != nil {
		t.Fatal(err)
	}
	if pages != 1000 || tuples != 150000 || allVisible != 900 {
		t.Errorf("pg_class: relpages %d, reltuples %v, relallvisible %d", pages, tuples, allVisible)
	}
	type row struct {
		NullFrac, NDistinct float32
		AvgWidth            int32
		MCV, Histogram      *string
		Freqs               []float32
		Correlation         *float32
	}
	var got row
	if err := conn.QueryRow(ctx, `SELECT null_frac, n_distinct, avg_width, most_common_vals::text, histogram_bounds::text, most_common_freqs, correlation
		FROM pg_stats WHERE tablename = 't' AND attname = 'kind'`).Scan(&got.NullFrac, &got.NDistinct, &got.AvgWidth, &got.MCV, &got.Histogram, &got.Freqs, &got.Correlation); err != nil {
		t.Fatal(err)
	}
	mcv, hist, corr := "{a,b}", "{c,m,z}", float32(-0.5)
	want := row{NullFrac: 0.25, NDistinct: 2, AvgWidth: 3, MCV: &mcv, Histogram: &hist, Freqs: []float32{0.6, 0.15}, Correlation: &corr}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pg_stats (-want +got):\n%s", diff)
	}
	// The planner reads them: 60% of 150,000 rows are 'a'.
	if _, err := conn.Exec(ctx, "LOAD '"+StatsExtension+"'"); err != nil {
		t.Fatal(err)
	}
	if rows := planRows(t, conn, "SELECT * FROM t WHERE kind = 'a'"); rows != 90000 {
		t.Errorf("kind = 'a' is estimated at %.0f rows, want 90000", rows)
	}

	if err := exec(`SELECT plangate_stats.clear_attribute_stats('t', 'kind', false)`); err != nil {
		t.Fatal(err)
	}
	if n := queryFloat(t, conn, "SELECT count(*) FROM pg_stats WHERE tablename = 't' AND attname = 'kind'"); n != 0 {
		t.Errorf("clear_attribute_stats left %v rows in pg_stats", n)
	}

	tests := []struct {
		name, sql, want string
	}{
		{"no such column", `SELECT plangate_stats.set_attribute_stats('t', 'nope', false)`, `column "nope" of relation "t" does not exist`},
		{"system column", `SELECT plangate_stats.set_attribute_stats('t', 'ctid', false)`, `cannot set statistics of system column "ctid"`},
		{"values without frequencies", `SELECT plangate_stats.set_attribute_stats('t', 'kind', false, most_common_vals => '{a}')`, "must be given together"},
		{"frequencies of another length", `SELECT plangate_stats.set_attribute_stats('t', 'kind', false, most_common_vals => '{a}', most_common_freqs => '{0.1,0.2}')`, "as many elements"},
		{"value the type rejects", `SELECT plangate_stats.set_attribute_stats('t', 'id', false, histogram_bounds => '{1,x}')`, `invalid input syntax for type integer: "x"`},
		{"null in values", `SELECT plangate_stats.set_attribute_stats('t', 'id', false, histogram_bounds => '{1,NULL}')`, "must not contain nulls"},
		{"type without less-than", `SELECT plangate_stats.set_attribute_stats('t', 'spot', false, correlation => 0.5)`, "type point has no default less-than operator"},
		{"type without equality", `SELECT plangate_stats.set_attribute_stats('t', 'spot', false, most_common_vals => '{"(1,1)"}', most_common_freqs => '{0.5}')`, "type point has no default equality operator"},
		{"fraction out of range", `SELECT plangate_stats.set_attribute_stats('t', 'id', false, null_frac => 1.5)`, "null_frac must be between 0 and 1"},
		{"not a table", `SELECT plangate_stats.set_attribute_stats('v', 'id', false)`, `cannot set statistics of "v"`},
		{"reltuples below -1", `SELECT plangate_stats.set_relation_stats('t', reltuples => -2)`, "reltuples must be a finite value of at least -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := exec(tt.sql); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}

	t.Run("not the owner", func(t *testing.T) {
		role := "plangate_stats_stranger"
		for _, sql := range []string{
			"DROP ROLE IF EXISTS " + role, "CREATE ROLE " + role,
			"GRANT USAGE ON SCHEMA plangate_stats TO " + role,
			"GRANT EXECUTE ON FUNCTION plangate_stats.set_relation_stats TO " + role,
		} {
			if err := exec(sql); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			exec("RESET ROLE")
			exec("DROP OWNED BY " + role)
			exec("DROP ROLE " + role)
		})
		if err := exec("SET ROLE " + role); err != nil {
			t.Fatal(err)
		}
		if err := exec(`SELECT plangate_stats.set_relation_stats('t', 1, 1, 1)`); err == nil || !strings.Contains(err.Error(), "must be owner of table t") {
			t.Errorf("got %v, want an ownership error", err)
		}
		if err := exec(`SELECT plangate_stats.set_attribute_stats('t', 'id', false)`); err == nil || !strings.Contains(err.Error(), "permission denied for function set_attribute_stats") {
			t.Errorf("got %v, want EXECUTE to be revoked from PUBLIC", err)
		}
	})
}

func TestApplyStats_UnsupportedMessage(t *testing.T) {
	msg := (&UnsupportedVersionError{Version: "15.8"}).Error()
	for _, want := range []string{"unsupported before PostgreSQL 18 (this server is 15.8) without the plangate_stats extension", "see ext/plangate_stats/README.md"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
}

func TestStatsExtension_SetAttributeCall(t *testing.T) {
	mcv, elems := "{a}", "{x}"
	tb := TableStats{Schema: "app", Name: "Events"}
	sql, args, skipped := setAttributeCall(tb, ColumnStats{Name: "kind", MostCommonVals: &mcv, MostCommonFreqs: []float32{0.5},
		MostCommonElems: &elems, MostCommonElemFreqs: []float32{0.1}})
	if !strings.HasPrefix(sql, "SELECT plangate_stats.set_attribute_stats($1::regclass, $2::name") || len(args) != 10 {
		t.Errorf("call: %s %v", sql, args)
	}
	if args[0] != `"app"."Events"` || args[6] != &mcv {
		t.Errorf("args = %v", args)
	}
	if diff := cmp.Diff([]string{"most_common_elems"}, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
	_, args, _ = setAttributeCall(tb, ColumnStats{Name: "kind", MostCommonVals: &mcv})
	if freqs, _ := args[7].([]float32); args[6] != (*string)(nil) || freqs != nil {
		t.Errorf("values without frequencies were passed: %v", args)
	}
}

func TestStatsExtension_PreloadLibraries(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"auto_explain", []string{"auto_explain"}},
		{`auto_explain, "$libdir/plangate_stats"`, []string{"auto_explain", "$libdir/plangate_stats"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, preloadLibraries(tt.in)); diff != "" {
			t.Errorf("preloadLibraries(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}
