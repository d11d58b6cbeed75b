package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/gate"
)

var update = flag.Bool("update", false, "rewrite golden files")

const mb = 1024 * 1024

// mixedReport has one query of every status, the regressed one a spill that
// changed the plan, as gate.Compare would return them.
func mixedReport() gate.Report {
	return gate.Report{
		Verdict: gate.VerdictFail,
		Queries: []gate.Result{
			{
				Name:   "audit_log_insert",
				Status: gate.StatusNew,
				Current: &gate.Query{Name: "audit_log_insert", Kind: "insert",
					Metrics: map[string]float64{"total_cost": 0.01, "rows": 1, "wal_bytes": 412, "shared_blocks": 3, "execution_ms": 0.4},
					Plan:    []string{"Insert on audit_log", "  Result"}},
			},
			{
				Name:     "broken_report",
				Status:   gate.StatusError,
				Baseline: &gate.Query{Name: "broken_report", Metrics: map[string]float64{"total_cost": 512.5, "rows": 20}},
				Current: &gate.Query{Name: "broken_report", Metrics: map[string]float64{"total_cost": 98000},
					Error: "temporary file size exceeds temp_file_limit (1048576kB)"},
			},
			{
				Name:     "invoices_search",
				Status:   gate.StatusImproved,
				Baseline: &gate.Query{Name: "invoices_search", Metrics: map[string]float64{"total_cost": 10000, "shared_blocks": 4800, "rows": 25}},
				Current:  &gate.Query{Name: "invoices_search", Metrics: map[string]float64{"total_cost": 2500, "shared_blocks": 310, "rows": 25, "execution_ms": 3.2}},
				Findings: []gate.Finding{
					{Metric: "total_cost", Baseline: 10000, Current: 2500, Severity: "info", Message: "total_cost 10,000 -> 2,500 (-7,500, -75%)"},
					{Metric: "shared_blocks", Baseline: 4800, Current: 310, Severity: "info", Message: "shared_blocks 4,800 -> 310 (-4,490, -94%)"},
				},
			},
			{
				Name:     "legacy_export",
				Status:   gate.StatusRemoved,
				Baseline: &gate.Query{Name: "legacy_export", Metrics: map[string]float64{"total_cost": 88000, "rows": 40000}},
			},
			{
				Name:     "orders_by_user",
				Status:   gate.StatusPass,
				Baseline: &gate.Query{Name: "orders_by_user", Metrics: map[string]float64{"total_cost": 812.4, "temp_written_bytes": 0, "shared_blocks": 120, "rows": 50}},
				Current:  &gate.Query{Name: "orders_by_user", Metrics: map[string]float64{"total_cost": 812.4, "temp_written_bytes": 0, "shared_blocks": 120, "rows": 50, "execution_ms": 1.8}},
			},
			{
				Name:   "resources_count",
				Status: gate.StatusRegressed,
				Baseline: &gate.Query{Name: "resources_count", Kind: "select",
					Metrics: map[string]float64{"total_cost": 1204.5, "temp_written_bytes": 0, "temp_read_bytes": 0, "shared_blocks": 20834, "rows": 1, "max_row_misestimate": 2},
					Plan: []string{
						"Aggregate",
						"  GroupAggregate (Group Key: resources.owner_id)",
						"    Index Scan using resources_owner_id_idx on resources (Filter: created_at > $1)",
					}},
				Current: &gate.Query{Name: "resources_count", Kind: "select",
					Metrics: map[string]float64{"total_cost": 45012.34, "temp_written_bytes": 184 * mb, "temp_read_bytes": 184 * mb, "shared_blocks": 20834, "rows": 1, "max_row_misestimate": 1.5, "execution_ms": 812.44},
					Plan: []string{
						"Aggregate",
						"  HashAggregate (Group Key: resources.owner_id)",
						"    Seq Scan on resources (Filter: created_at > $1)",
					},
					Spills: []string{"HashAggregate spilled 184 MB to disk in 5 batches"}},
				Findings: []gate.Finding{
					{Metric: "total_cost", Baseline: 1204.5, Current: 45012.34, Severity: "fail",
						Message: "total_cost 1,205 -> 45,012 (+43,808, +3,637%): plan changed"},
					{Metric: "temp_written_bytes", Baseline: 0, Current: 184 * mb, Severity: "fail",
						Message: "temp_written_bytes 0 B -> 184 MB (+184 MB): HashAggregate spilled 184 MB to disk in 5 batches"},
					{Metric: "temp_read_bytes", Baseline: 0, Current: 184 * mb, Severity: "fail",
						Message: "temp_read_bytes 0 B -> 184 MB (+184 MB): HashAggregate spilled 184 MB to disk in 5 batches"},
				},
			},
			{
				Name:     "users_lookup",
				Status:   gate.StatusPass,
				Baseline: &gate.Query{Name: "users_lookup", Metrics: map[string]float64{"total_cost": 8.3, "rows": 1, "max_row_misestimate": 3}},
				Current:  &gate.Query{Name: "users_lookup", Metrics: map[string]float64{"total_cost": 8.3, "rows": 1, "max_row_misestimate": 40}},
				Findings: []gate.Finding{
					{Metric: "max_row_misestimate", Baseline: 3, Current: 40, Limit: 10, Severity: "warn",
						Message: "max_row_misestimate 3x -> 40x (+37x, +1,233%): past 10x; estimates this far off mislead join and scan choices: check statistics"},
				},
			},
		},
	}
}

// passingReport is a run where nothing failed, with a new query.
func passingReport() gate.Report {
	return gate.Report{
		Verdict: gate.VerdictPass,
		Queries: []gate.Result{
			{
				Name:     "GET /orders",
				Status:   gate.StatusPass,
				Baseline: &gate.Query{Name: "GET /orders", Metrics: map[string]float64{"query_count": 4}},
				Current:  &gate.Query{Name: "GET /orders", Metrics: map[string]float64{"query_count": 4}},
			},
			{
				Name:     "orders_by_user",
				Status:   gate.StatusPass,
				Baseline: &gate.Query{Name: "orders_by_user", Metrics: map[string]float64{"total_cost": 812.4, "rows": 50}},
				Current:  &gate.Query{Name: "orders_by_user", Metrics: map[string]float64{"total_cost": 830, "rows": 50}},
			},
			{
				Name:    "orders_recent",
				Status:  gate.StatusNew,
				Current: &gate.Query{Name: "orders_recent", Metrics: map[string]float64{"total_cost": 44.1, "rows": 20, "shared_blocks": 9}},
			},
		},
	}
}

func TestWrite_Golden(t *testing.T) {
	meta := Meta{Postgres: "15.8", Backend: "local", Baseline: "plangate.baseline.json"}
	cases := []struct {
		name   string
		report gate.Report
	}{
		{name: "mixed", report: mixedReport()},
		{name: "passing", report: passingReport()},
		{name: "empty", report: gate.Report{Verdict: gate.VerdictPass}},
		{name: "workload", report: workloadReport()},
	}
	formats := []struct {
		file, format string
		opts         []Option
	}{
		{file: "report.txt", format: "text"},
		{file: "report.color.txt", format: "text", opts: []Option{WithColor(true)}},
		{file: "report.md", format: "markdown"},
		{file: "report.json", format: "json"},
		{file: "report.junit.xml", format: "junit", opts: []Option{WithSources(testSources)}},
		{file: "report.sarif.json", format: "sarif", opts: []Option{WithSources(testSources)}},
	}
	for _, c := range cases {
		for _, f := range formats {
			t.Run(c.name+"/"+f.file, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Write(&buf, f.format, c.report, meta, f.opts...); err != nil {
					t.Fatal(err)
				}
				golden := filepath.Join("testdata", c.name, f.file)
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if diff := cmp.Diff(string(want), buf.String()); diff != "" {
					t.Errorf("%s (-want +got):\n%s", golden, diff)
				}
			})
		}
	}
}

// TestWrite_JSONContract checks the keys DESIGN.md promises to scripts,
// independently of the golden files.
func TestWrite_JSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "json", mixedReport(), Meta{}); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Verdict string         `json:"verdict"`
		Summary map[string]int `json:"summary"`
		Queries []struct {
			Name            string             `json:"name"`
			Status          string             `json:"status"`
			Metrics         map[string]float64 `json:"metrics"`
			BaselineMetrics map[string]float64 `json:"baseline_metrics"`
			Findings        []map[string]any   `json:"findings"`
			Error           string             `json:"error"`
			Match           map[string]any     `json:"match"`
		} `json:"queries"`
		Totals []struct {
			Scope           string             `json:"scope"`
			Group           string             `json:"group"`
			Status          string             `json:"status"`
			Metrics         map[string]float64 `json:"metrics"`
			BaselineMetrics map[string]float64 `json:"baseline_metrics"`
			Findings        []map[string]any   `json:"findings"`
		} `json:"totals"`
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got.Verdict != "fail" {
		t.Errorf("verdict = %q, want fail", got.Verdict)
	}
	wantSummary := map[string]int{"total": 7, "pass": 2, "regressed": 1, "improved": 1, "new": 1, "removed": 1, "error": 1}
	if diff := cmp.Diff(wantSummary, got.Summary); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, q := range got.Queries {
		if q.Metrics == nil || q.Findings == nil {
			t.Errorf("%s: metrics or findings missing; scripts iterate them", q.Name)
		}
		for _, f := range q.Findings {
			for _, key := range []string{"metric", "baseline", "current", "message", "severity"} {
				if _, ok := f[key]; !ok {
					t.Errorf("%s: finding without %q: %v", q.Name, key, f)
				}
			}
		}
		switch q.Status {
		case "error":
			if q.Error == "" {
				t.Errorf("%s: error status without error", q.Name)
			}
		case "new":
			if q.BaselineMetrics != nil {
				t.Errorf("%s: new query with baseline_metrics", q.Name)
			}
		case "regressed":
			if q.BaselineMetrics["temp_written_bytes"] != 0 || q.Metrics["temp_written_bytes"] != 184*mb {
				t.Errorf("%s: metrics %v, baseline %v", q.Name, q.Metrics, q.BaselineMetrics)
			}
		}
	}
}

func TestWrite_UnknownFormat(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "xml", mixedReport(), Meta{})
	want := `report: unknown format "xml" (known: github, html, json, junit, markdown, sarif, text)`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %q for an unknown format", buf.String())
	}
}

func TestWrite_ColorOnlyWhenAsked(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		if err := Write(&buf, "text", mixedReport(), Meta{}, WithColor(color)); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "\x1b["); got != color {
			t.Errorf("WithColor(%v): escape codes present = %v", color, got)
		}
	}
}

func TestPlanDiff(t *testing.T) {
	tests := []struct {
		name              string
		baseline, current []string
		want              []string
	}{
		{
			name:     "node replaced",
			baseline: []string{"Aggregate", "  GroupAggregate", "    Index Scan on t"},
			current:  []string{"Aggregate", "  HashAggregate", "    Seq Scan on t"},
			want:     []string{" Aggregate", "-  GroupAggregate", "-    Index Scan on t", "+  HashAggregate", "+    Seq Scan on t"},
		},
		{
			name:     "same",
			baseline: []string{"Seq Scan on t"},
			current:  []string{"Seq Scan on t"},
			want:     []string{" Seq Scan on t"},
		},
		{
			name:     "node added at the end",
			baseline: []string{"Sort", "  Seq Scan on t"},
			current:  []string{"Sort", "  Seq Scan on t", "  Materialize"},
			want:     []string{" Sort", "   Seq Scan on t", "+  Materialize"},
		},
		{
			name:    "from nothing",
			current: []string{"Result"},
			want:    []string{"+Result"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, PlanDiff(tt.baseline, tt.current)); diff != "" {
				t.Errorf("PlanDiff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "orders", want: "`orders`"},
		{in: "a`b", want: "`` a`b ``"},
		{in: "`x", want: "`` `x ``"},
	}
	for _, tt := range tests {
		if got := code(tt.in); got != tt.want {
			t.Errorf("code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// workloadReport is what gate.Compare makes of a release that renamed a
// list query (paired by structure) and added an N+1 to one group.
func workloadReport() gate.Report {
	list := func(name, sql string, cost float64) gate.Query {
		return gate.Query{Name: name, Kind: "select", SQL: sql, Relation: "articles", Role: "list", Structure: "select|articles|list|id||0",
			Fingerprint: name, Calls: 2, Groups: map[string]int{"TestListArticles": 2},
			Metrics: map[string]float64{"total_cost": cost, "shared_blocks": 60, "rows": 20}}
	}
	base := []gate.Query{
		list("articles list by id [aaaa1111]", "SELECT a.id, a.title FROM articles a WHERE a.status = $1 ORDER BY a.id LIMIT $2", 7),
		{Name: "articles select where id", Kind: "select", Relation: "articles", Role: "select", Fingerprint: "f2", Calls: 3,
			Groups: map[string]int{"TestGetArticle": 3}, Metrics: map[string]float64{"total_cost": 17, "shared_blocks": 10, "rows": 1}},
	}
	cur := []gate.Query{
		list("articles list by id [bbbb2222]", "SELECT a.id, a.title, LENGTH(a.title) AS n FROM articles a WHERE a.status = $1 ORDER BY a.id LIMIT $2", 7.4),
		base[1],
		{Name: "authors select where id", Kind: "select", Relation: "authors", Role: "select", Fingerprint: "f3", Calls: 40,
			Groups: map[string]int{"TestListArticles": 40}, Metrics: map[string]float64{"total_cost": 8.3, "shared_blocks": 3, "rows": 1}},
	}
	return gate.Compare(base, cur, gate.DefaultRules())
}

// TestReadJSON_RoundTrip reads JSON reports back and writes them again:
// every key the writer writes, totals and pairings included, is read.
func TestReadJSON_RoundTrip(t *testing.T) {
	for name, r := range map[string]gate.Report{"mixed": mixedReport(), "workload": workloadReport()} {
		t.Run(name, func(t *testing.T) {
			meta := Meta{Postgres: "15.8", Backend: "local", Baseline: "plangate.baseline.json", Version: "v1.2.3"}
			var first bytes.Buffer
			if err := Write(&first, "json", r, meta); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "report.json")
			if err := os.WriteFile(path, first.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			back, backMeta, err := ReadJSON(path)
			if err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if err := Write(&again, "json", back, backMeta); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(first.String(), again.String()); diff != "" {
				t.Errorf("read back and written again (-want +got):\n%s", diff)
			}
		})
	}
}
