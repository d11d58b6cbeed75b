package report_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/report"
)

func TestAnnotation_String(t *testing.T) {
	tests := []struct {
		name string
		in   report.Annotation
		want string
	}{
		{
			name: "title and lines",
			in:   report.Annotation{Level: "error", Title: "plangate: q regressed", Message: "total_cost 1 -> 2\nrows 1 -> 5"},
			want: "::error title=plangate%3A q regressed::total_cost 1 -> 2%0Arows 1 -> 5",
		},
		{
			name: "file, line and escapes",
			in:   report.Annotation{Level: "warning", File: "queries/a,b.sql", Line: 3, Title: "50% worse", Message: "100% more\r\n::error::not a command"},
			want: "::warning file=queries/a%2Cb.sql,line=3,title=50%25 worse::100%25 more%0D%0A::error::not a command",
		},
		{name: "bare", in: report.Annotation{Level: "notice", Message: "m"}, want: "::notice::m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.in.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestAnnotations_WorstFirstAndCapped(t *testing.T) {
	r := bigReport(25) // query_0024 regressed most; zz_broken could not run
	for i := range 15 {
		name := fmt.Sprintf("warned_%02d", i)
		r.Queries = append(r.Queries, gate.Result{Name: name, Status: gate.StatusPass,
			Findings: []gate.Finding{{Metric: "max_row_misestimate", Severity: gate.SeverityWarn, Message: "max_row_misestimate 3x -> 40x"}}})
	}
	got := report.Annotations(r, report.MaxAnnotations)
	var levels, titles []string
	for _, a := range got {
		levels = append(levels, a.Level)
		titles = append(titles, a.Title)
		if strings.Contains(a.String(), "\n") {
			t.Errorf("annotation spans lines: %q", a.String())
		}
	}
	wantLevels := append(strings.Split(strings.Repeat("error ", 10), " ")[:10], strings.Split(strings.Repeat("warning ", 10), " ")[:10]...)
	if diff := cmp.Diff(wantLevels, levels); diff != "" {
		t.Fatalf("levels (-want +got):\n%s", diff)
	}
	wantErrors := []string{
		"plangate: zz_broken failed to run",
		"plangate: query_0024 regressed",
		"plangate: query_0023 regressed",
		"plangate: query_0022 regressed",
		"plangate: query_0021 regressed",
		"plangate: query_0020 regressed",
		"plangate: query_0019 regressed",
		"plangate: query_0018 regressed",
		"plangate: query_0017 regressed",
		"plangate: 17 more queries failing",
	}
	if diff := cmp.Diff(wantErrors, titles[:10]); diff != "" {
		t.Errorf("error titles (-want +got):\n%s", diff)
	}
	if titles[19] != "plangate: 6 more queries with warnings" {
		t.Errorf("last warning %q", titles[19])
	}
	if got[1].Message != "total_cost 1,000 -> 26,000: plan changed" {
		t.Errorf("message %q", got[1].Message)
	}
}

func TestAnnotations_UnderTheCap(t *testing.T) {
	r := bigReport(2)
	got := report.Annotations(r, 0)
	if len(got) != 3 {
		t.Fatalf("%d annotations, want 3: %+v", len(got), got)
	}
	for _, a := range got {
		if strings.Contains(a.Title, "more") {
			t.Errorf("%q: nothing was left out", a.Title)
		}
	}
}

func TestFailing_Order(t *testing.T) {
	f := func(metric string, base, cur, limit float64) gate.Finding {
		return gate.Finding{Metric: metric, Baseline: base, Current: cur, Limit: limit, Severity: gate.SeverityFail}
	}
	r := gate.Report{Queries: []gate.Result{
		{Name: "a_doubled", Status: gate.StatusRegressed, Findings: []gate.Finding{f("total_cost", 100, 200, 0)}},
		{Name: "b_passes", Status: gate.StatusPass},
		{Name: "c_spills", Status: gate.StatusRegressed, Findings: []gate.Finding{f("temp_written_bytes", 0, 1<<20, 0)}},
		{Name: "d_broken", Status: gate.StatusError},
		{Name: "e_new_over_budget", Status: gate.StatusRegressed, Findings: []gate.Finding{f("rows", 0, 50000, 10000)}},
		{Name: "f_doubled_twice", Status: gate.StatusRegressed, Findings: []gate.Finding{f("total_cost", 100, 200, 0), f("shared_blocks", 10, 20, 0)}},
		{Name: "g_warned", Status: gate.StatusRegressed, Findings: []gate.Finding{{Metric: "rows", Baseline: 1, Current: 1000, Severity: gate.SeverityWarn}, f("total_cost", 100, 110, 0)}},
	}}
	var got []string
	for _, res := range report.Failing(r) {
		got = append(got, res.Name)
	}
	want := []string{"d_broken", "c_spills", "e_new_over_budget", "f_doubled_twice", "a_doubled", "g_warned"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Failing order (-want +got):\n%s", diff)
	}
}

// TestAnnotations_WorkloadTotals: a regressed total (an N+1 no single query
// shows) is an error annotation and a section of the comment's digest.
func TestAnnotations_WorkloadTotals(t *testing.T) {
	r := gate.Report{Verdict: gate.VerdictFail, Totals: []gate.TotalResult{
		{Group: "", Status: gate.StatusPass},
		{Group: "TestList", Status: gate.StatusRegressed, Findings: []gate.Finding{{Metric: "query_count", Severity: gate.SeverityFail,
			Message: "group TestList: statements executed 2 -> 42 (+40, +2,000%): most from authors select where id +40"}}},
	}}
	as := report.Annotations(r, 0)
	if len(as) != 1 || as[0].Level != report.LevelError || as[0].Title != "plangate: group TestList regressed" || !strings.Contains(as[0].Message, "2 -> 42") {
		t.Fatalf("annotations = %+v", as)
	}
	digest := report.Fit(strings.Repeat("x", 70000), report.Budget{Max: 65536, Length: func(s string) int { return len(s) }}, &r, "The full report is in the job summary.")
	if !strings.Contains(digest, "group TestList regressed") || !strings.Contains(digest, "2 -> 42") {
		t.Errorf("digest = %q", digest)
	}
}

// bigReport has n regressed queries, each with a long plan that changed,
// and one that could not run; query i's cost grew i+2 times, so the last
// query is the worst regression.
func bigReport(n int) gate.Report {
	r := gate.Report{Verdict: gate.VerdictFail}
	for i := range n {
		name := fmt.Sprintf("query_%04d", i)
		var before, after []string
		for j := range 30 {
			before = append(before, fmt.Sprintf("%sIndex Scan using idx_%d_%d on table_%d (Filter: created_at > $1)", strings.Repeat("  ", j), i, j, j))
			after = append(after, fmt.Sprintf("%sSeq Scan on table_%d (Filter: created_at > $1 AND owner_id = ANY ($2))", strings.Repeat("  ", j), j))
		}
		base, cur := 1000.0, 1000.0*float64(i+2)
		r.Queries = append(r.Queries, gate.Result{
			Name:     name,
			Status:   gate.StatusRegressed,
			Baseline: &gate.Query{Name: name, Metrics: map[string]float64{"total_cost": base, "shared_blocks": 10}, Plan: before},
			Current:  &gate.Query{Name: name, Metrics: map[string]float64{"total_cost": cur, "shared_blocks": 10}, Plan: after},
			Findings: []gate.Finding{{Metric: "total_cost", Baseline: base, Current: cur, Severity: gate.SeverityFail,
				Message: fmt.Sprintf("total_cost %s -> %s: plan changed", gate.FormatValue("total_cost", base), gate.FormatValue("total_cost", cur))}},
		})
	}
	r.Queries = append(r.Queries, gate.Result{
		Name: "zz_broken", Status: gate.StatusError,
		Current: &gate.Query{Name: "zz_broken", Error: "canceling statement due to statement timeout"},
	})
	return r
}

// TestWrite_GitHub checks that --format github prints the annotations as
// workflow commands, one a line, and nothing for a passing report.
func TestWrite_GitHub(t *testing.T) {
	var buf bytes.Buffer
	r := bigReport(2)
	if err := report.Write(&buf, "github", r, report.Meta{}); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, a := range report.Annotations(r, 0) {
		want = append(want, a.String())
	}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")); diff != "" {
		t.Errorf("--format github (-want +got):\n%s", diff)
	}
	if out := buf.String(); !strings.HasPrefix(out, "::error title=plangate%3A ") || strings.Index(out, "query_0001 regressed") > strings.Index(out, "query_0000 regressed") {
		t.Errorf("not errors first, worst regression first:\n%s", out)
	}
	buf.Reset()
	if err := report.Write(&buf, "github", gate.Report{Verdict: gate.VerdictPass}, report.Meta{}); err != nil || buf.Len() != 0 {
		t.Errorf("a passing report printed %q (err %v)", buf.String(), err)
	}
}
