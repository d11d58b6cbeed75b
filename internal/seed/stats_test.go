package seed

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func seededShop(t *testing.T) string {
	t.Helper()
	dsn := newSchemaDB(t, shopSchema)
	if _, err := Generate(context.Background(), dsn, mustSpec(t, shopSpec)); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func TestExportStats(t *testing.T) {
	ctx := context.Background()
	dsn := seededShop(t)

	f, err := ExportStats(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != StatsVersion || f.ServerVersionNum < 100000 || f.Values {
		t.Errorf("header = %+v", f)
	}
	for _, s := range []string{"work_mem", "random_page_cost", "effective_cache_size", "enable_seqscan"} {
		if f.Settings[s] == "" {
			t.Errorf("setting %s not exported", s)
		}
	}
	var names []string
	for _, tb := range f.Tables {
		names = append(names, tb.Schema+"."+tb.Name)
	}
	if diff := cmp.Diff([]string{"public.customers", "public.items", "public.orders"}, names); diff != "" {
		t.Fatalf("tables (-want +got):\n%s", diff)
	}
	customers := f.Tables[0]
	if customers.RelTuples != 2000 || customers.RelPages == 0 || customers.RelAllVisible != customers.RelPages {
		t.Errorf("customers = %+v", customers)
	}
	var cols []string
	for _, c := range customers.Columns {
		cols = append(cols, c.Name)
		if c.MostCommonVals != nil || c.HistogramBounds != nil || c.MostCommonFreqs != nil {
			t.Errorf("column %s: values exported without WithStatsValues", c.Name)
		}
	}
	if diff := cmp.Diff([]string{"id", "email", "name", "country", "created_at"}, cols); diff != "" {
		t.Errorf("columns in attnum order (-want +got):\n%s", diff)
	}
	if c := customers.Columns[3]; c.NDistinct != 4 || c.Correlation == nil {
		t.Errorf("country stats = %+v", c)
	}
	if c := customers.Columns[2]; c.NullFrac < 0.05 || c.NullFrac > 0.15 {
		t.Errorf("name null_frac = %v", c.NullFrac)
	}
	var buf bytes.Buffer
	if err := f.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "most_common_vals") || strings.Contains(buf.String(), "histogram_bounds") {
		t.Error("the encoded file mentions values it should not carry")
	}

	withValues, err := ExportStats(ctx, dsn, WithStatsValues(), WithStatsTables("customers"))
	if err != nil {
		t.Fatal(err)
	}
	if len(withValues.Tables) != 1 || !withValues.Values {
		t.Fatalf("tables = %+v", withValues.Tables)
	}
	country := withValues.Tables[0].Columns[3]
	if country.MostCommonVals == nil || !strings.Contains(*country.MostCommonVals, "US") || len(country.MostCommonFreqs) != 4 {
		t.Errorf("country MCVs = %v %v", country.MostCommonVals, country.MostCommonFreqs)
	}
	if id := withValues.Tables[0].Columns[0]; id.HistogramBounds == nil {
		t.Error("no histogram for customers.id")
	}

	if _, err := ExportStats(ctx, dsn, WithStatsTables("custmers")); err == nil || !strings.Contains(err.Error(), `table "custmers": no such table`) {
		t.Errorf("unknown table: %v", err)
	}
}

func TestStatsFile_RoundTrip(t *testing.T) {
	corr := float32(0.25)
	mcv := "{a,b}"
	f := &StatsFile{Version: StatsVersion, ServerVersion: "16.4", ServerVersionNum: 160004, Values: true,
		Settings: map[string]string{"work_mem": "64MB", "random_page_cost": "1.1"},
		Tables: []TableStats{{Schema: "public", Name: "t", RelPages: 10, RelTuples: 1500, RelAllVisible: 9,
			Columns: []ColumnStats{{Name: "k", NullFrac: 0.5, AvgWidth: 4, NDistinct: -0.1, Correlation: &corr,
				MostCommonVals: &mcv, MostCommonFreqs: []float32{0.3, 0.2}}}}}}
	var buf bytes.Buffer
	if err := f.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeStats(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	var again bytes.Buffer
	got.Encode(&again)
	if again.String() != buf.String() {
		t.Error("encoding is not stable")
	}
	tests := []struct{ name, in, want string }{
		{"unknown field", `{"version": 1, "tables": [], "relpages": 3}`, `unknown field "relpages"`},
		{"other version", `{"version": 2}`, "version 2 is not supported"},
		{"not json", `version: 1`, "seed: stats file: invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeStats(strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestApplyStats_UnsupportedBefore18(t *testing.T) {
	ctx := context.Background()
	dsn := seededShop(t)
	f, err := ExportStats(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if f.ServerVersionNum >= 180000 {
		t.Skip("the server supports restoring statistics")
	}
	if statsExtensionInstalled(t, dsn) {
		t.Skip("the server has the plangate_stats extension, with which it restores statistics")
	}
	_, err = ApplyStats(ctx, dsn, f)
	var ue *UnsupportedVersionError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "unsupported before PostgreSQL 18 (this server is "+f.ServerVersion+") without the plangate_stats extension") ||
		!strings.Contains(err.Error(), "see ext/plangate_stats/README.md") {
		t.Errorf("got %v", err)
	}
}

func TestRestoreCalls(t *testing.T) {
	corr := float32(-0.5)
	mcv := "{x}"
	tb := TableStats{Schema: "app", Name: "events", RelPages: 100, RelTuples: 5000, RelAllVisible: 100}
	sql, args := restoreRelationCall(tb, 160004)
	if !strings.Contains(sql, "pg_restore_relation_stats('schemaname'::text, $1::text, 'relname'::text, $2::text") ||
		!strings.Contains(sql, "'reltuples'::text, $4::real") || len(args) != 6 {
		t.Errorf("relation call: %s %v", sql, args)
	}
	tests := []struct {
		name string
		col  ColumnStats
		want string
		args int
	}{
		{"sizes only", ColumnStats{Name: "kind", NullFrac: 0.1, AvgWidth: 5, NDistinct: 3},
			"SELECT pg_restore_attribute_stats('schemaname'::text, $1::text, 'relname'::text, $2::text, 'attname'::text, $3::text, 'inherited'::text, $4::boolean, 'version'::text, $5::integer, 'null_frac'::text, $6::real, 'avg_width'::text, $7::integer, 'n_distinct'::text, $8::real)", 8},
		{"with correlation and MCVs", ColumnStats{Name: "kind", Correlation: &corr, MostCommonVals: &mcv, MostCommonFreqs: []float32{0.9}},
			"'n_distinct'::text, $8::real, 'correlation'::text, $9::real, 'most_common_vals'::text, $10::text, 'most_common_freqs'::text, $11::real[])", 11},
		{"MCVs without frequencies are left out", ColumnStats{Name: "kind", MostCommonVals: &mcv},
			"'n_distinct'::text, $8::real)", 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := restoreAttributeCall(tb, tt.col, 160004)
			if !strings.Contains(sql, tt.want) || len(args) != tt.args {
				t.Errorf("got %s with %d args, want %q with %d", sql, len(args), tt.want, tt.args)
			}
		})
	}
}

// TestApplyStats_Traps exercises the checks ApplyStats makes around the
// restore, which work on any server version.
func TestApplyStats_Traps(t *testing.T) {
	ctx := context.Background()
	dsn := seededShop(t)
	conn := connect(t, dsn)
	f, err := ExportStats(ctx, dsn, WithStatsTables("orders", "customers"))
	if err != nil {
		t.Fatal(err)
	}
	// orders as production has it: 100 times the rows and pages here.
	f.Tables[1].RelTuples *= 100
	f.Tables[1].RelPages *= 100
	warnings, err := rescaleWarnings(ctx, conn, f.Tables, "seed the table to about production's size")
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 1 || warnings[0].Table != `"public"."orders"` ||
		!strings.Contains(warnings[0].Message, "the planner expects 10000 rows, not the restored 1000000") ||
		!strings.HasSuffix(warnings[0].Message, "; seed the table to about production's size") {
		t.Errorf("warnings = %v", warnings)
	}

	if err := disableAutovacuum(ctx, conn, `"public"."orders"`, "r"); err != nil {
		t.Fatal(err)
	}
	var opts []string
	if err := conn.QueryRow(ctx, `SELECT reloptions FROM pg_class WHERE oid = 'orders'::regclass`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"autovacuum_enabled=off"}, opts); diff != "" {
		t.Errorf("reloptions (-want +got):\n%s", diff)
	}

	var warned []Warning
	warn := func(table, column, format string, args ...any) {
		warned = append(warned, Warning{Table: table, Column: column})
	}
	if err := applySettings(ctx, conn, map[string]string{"random_page_cost": "1.1", "work_mme": "1GB"}, warn); err != nil {
		t.Fatal(err)
	}
	if len(warned) != 1 {
		t.Errorf("warnings = %v, want one for work_mme", warned)
	}
	fresh := connect(t, dsn) // database settings apply to new sessions
	if got := queryFloat(t, fresh, `SELECT current_setting('random_page_cost')::float8`); got != 1.1 {
		t.Errorf("random_page_cost = %v in a new session", got)
	}
}
