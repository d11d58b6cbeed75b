package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// fixtureDir holds real PostgreSQL 15 EXPLAIN output, captured by
// fixtures/explain/capture.sh.
const fixtureDir = "../../fixtures/explain"

// fixtureQuery measures a fixture as plangate does, as query name.
func fixtureQuery(t testing.TB, fixture, name, kind string) gate.Query {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, fixture+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", fixture, err)
	}
	return gate.Measured(gate.Query{Name: name, Kind: kind}, p, 0)
}

// findingsReport is gate.Compare's report on real plans: a baseline file of
// one set of fixtures against another, with a regression of each kind the
// incidents in DESIGN.md show, a warning, a pass and a new query.
func findingsReport(t testing.TB) gate.Report {
	t.Helper()
	type pair struct{ name, kind, base, current string }
	pairs := []pair{
		{"account_lookup", "select", "index_scan", "index_scan_lost"},
		{"orders_export", "select", "sort_memory", "sort_spill"},
		{"archive_orders", "update", "update", "update_bulk"},
		{"events_window", "select", "partition_literal", "partition_cast"},
		{"user_orders", "select", "nested_loop_hashed", "nested_loop_many"},
		{"orders_by_user", "select", "nested_loop", "nested_loop"},
		{"products_by_id", "select", "", "small_index_scan"},
	}
	var base, cur baseline.File
	for _, p := range pairs {
		if p.base != "" {
			base.Queries = append(base.Queries, fixtureQuery(t, p.base, p.name, p.kind))
		}
		cur.Queries = append(cur.Queries, fixtureQuery(t, p.current, p.name, p.kind))
	}
	data, err := baseline.Marshal(&base)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := baseline.Parse("plangate.baseline.json", data)
	if err != nil {
		t.Fatal(err)
	}
	return gate.Compare(stored.Queries, cur.Queries, gate.DefaultRules())
}

// TestWrite_FindingsGolden renders the report on real plans in the formats
// that show plan changes, against testdata/findings.
func TestWrite_FindingsGolden(t *testing.T) {
	meta := Meta{Postgres: "15.8", Backend: "local", Baseline: "plangate.baseline.json"}
	for _, f := range []struct{ file, format string }{
		{"report.txt", "text"},
		{"report.md", "markdown"},
		{"report.html", "html"},
	} {
		t.Run(f.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, f.format, findingsReport(t), meta); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "findings", f.file), buf.Bytes())
		})
	}
}

// TestWrite_HTMLGolden renders the shared test reports as HTML.
func TestWrite_HTMLGolden(t *testing.T) {
	meta := Meta{Postgres: "15.8", Backend: "local", Baseline: "plangate.baseline.json"}
	for _, c := range []struct {
		name   string
		report gate.Report
	}{
		{"mixed", mixedReport()},
		{"passing", passingReport()},
		{"empty", gate.Report{Verdict: gate.VerdictPass}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, "html", c.report, meta); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", c.name, "report.html"), buf.Bytes())
		})
	}
}

func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(string(got), "\n")); diff != "" {
		t.Errorf("%s (-want +got):\n%s", golden, diff)
	}
}

// TestWrite_HTMLSelfContained checks that the HTML report loads nothing:
// no scripts, styles, images or fonts from elsewhere.
func TestWrite_HTMLSelfContained(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "html", findingsReport(t), Meta{}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, bad := range []string{"http://", "https://", "<link", " src=", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the HTML report contains %q: it must be self-contained", bad)
		}
	}
}

// TestWrite_HTMLEscapes checks that names, messages and plans cannot inject
// markup.
func TestWrite_HTMLEscapes(t *testing.T) {
	evil := `<script>alert(1)</script>`
	r := gate.Report{Verdict: gate.VerdictFail, Queries: []gate.Result{{
		Name: evil, Status: gate.StatusRegressed,
		Baseline: &gate.Query{Name: evil, Metrics: map[string]float64{"total_cost": 1}, Plan: []string{"Seq Scan on t"}},
		Current: &gate.Query{Name: evil, Metrics: map[string]float64{"total_cost": 1e6},
			Plan: []string{"Seq Scan on t [Filter: (x = '" + evil + "')]"}},
		Findings: []gate.Finding{{Metric: "total_cost", Severity: gate.SeverityFail, Message: evil}},
	}}}
	var buf bytes.Buffer
	if err := Write(&buf, "html", r, Meta{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "<script>"); n != 1 {
		t.Errorf("%d <script> tags, want only the report's own", n)
	}
}
