package github_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/github"
	"github.com/plangate/plangate/internal/github/githubtest"
	"github.com/plangate/plangate/internal/report"
)

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

func markdownOf(t *testing.T, r gate.Report) string {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, "markdown", r, report.Meta{Postgres: "15.8"}); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestFit(t *testing.T) {
	const note = "The full report is in the job summary."
	small, big, huge := bigReport(3), bigReport(60), bigReport(1500)
	tests := []struct {
		name       string
		report     gate.Report
		budget     report.Budget
		withReport bool
		// wantFull: the markdown fits as it is.
		wantFull bool
		// wantFirst is the first query section of a digest.
		wantFirst string
		wantMore  bool
	}{
		{name: "comment fits", report: small, budget: github.CommentBudget(), withReport: true, wantFull: true},
		{name: "comment digest", report: big, budget: github.CommentBudget(), withReport: true, wantFirst: "### 💥 `zz_broken` failed to run"},
		{name: "comment digest of many", report: huge, budget: github.CommentBudget(), withReport: true, wantFirst: "### 💥 `zz_broken` failed to run", wantMore: true},
		{name: "comment cut without the json report", report: big, budget: github.CommentBudget(), wantFirst: "### ❌ `query_0000` regressed", wantMore: true},
		{name: "summary fits", report: big, budget: github.StepSummaryBudget(0), withReport: true, wantFull: true},
		{name: "summary digest", report: huge, budget: github.StepSummaryBudget(0), withReport: true, wantFirst: "### 💥 `zz_broken` failed to run"},
		{name: "summary cut without the json report", report: huge, budget: github.StepSummaryBudget(0), wantFirst: "### ❌ `query_0000` regressed", wantMore: true},
		{name: "summary with little room left", report: huge, budget: github.StepSummaryBudget(github.MaxStepSummaryBytes - 3000), withReport: true, wantFirst: "### 💥 `zz_broken` failed to run", wantMore: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := markdownOf(t, tt.report)
			var r *gate.Report
			if tt.withReport {
				r = &tt.report
			}
			got := report.Fit(md, tt.budget, r, note)
			if n := tt.budget.Length(got); n > tt.budget.Max {
				t.Fatalf("Fit returned %d, over the budget of %d", n, tt.budget.Max)
			}
			if tt.wantFull {
				if got != md {
					t.Errorf("a report that fits was changed")
				}
				return
			}
			if got == md {
				t.Fatalf("the full report (%d) was returned over the budget of %d", tt.budget.Length(md), tt.budget.Max)
			}
			if !strings.HasPrefix(got, report.Marker+"\n") {
				t.Errorf("digest does not start with the marker: %.80q", got)
			}
			for _, want := range []string{"❌ plangate: ", note} {
				if !strings.Contains(got, want) {
					t.Errorf("digest lacks %q", want)
				}
			}
			if i := strings.Index(got, "\n### "); i < 0 || !strings.HasPrefix(got[i+1:], tt.wantFirst) {
				t.Errorf("digest's first section is not %q:\n%.500s", tt.wantFirst, got)
			}
			if strings.Contains(got, "more failing quer") || strings.Contains(got, "more section") {
				if !tt.wantMore {
					t.Errorf("digest says it left queries out")
				}
			} else if tt.wantMore {
				t.Errorf("digest does not say it left queries out")
			}
			if tt.withReport {
				// Worst first: query_NNNN with the highest N regressed most.
				worst := fmt.Sprintf("`query_%04d`", len(tt.report.Queries)-2)
				if a, b := strings.Index(got, worst), strings.Index(got, "`query_0000`"); a < 0 || (b >= 0 && b < a) {
					t.Errorf("worst regression %s not listed before the mildest", worst)
				}
				if strings.Count(got, "```")%2 != 0 {
					t.Errorf("digest leaves a code fence open")
				}
			}
		})
	}
}

// TestFit_GitHubAcceptsTheDigest posts a digest of a report far over the
// limit to a server that enforces GitHub's.
func TestFit_GitHubAcceptsTheDigest(t *testing.T) {
	r := bigReport(400)
	md := markdownOf(t, r)
	if github.CommentLength(md) <= github.MaxCommentLength {
		t.Fatalf("the report is only %d long: make it bigger", github.CommentLength(md))
	}
	srv := githubtest.NewServer(t, githubtest.Config{Token: token})
	body := report.Fit(md, github.CommentBudget(), &r, "The full report is in the job summary.")
	if _, _, err := newClient(t, srv).UpsertComment(context.Background(), repo, 1, report.Marker, body); err != nil {
		t.Fatal(err)
	}
}

func TestFit_TrimsLongFindings(t *testing.T) {
	r := bigReport(1)
	r.Queries[0].Findings[0].Message = strings.Repeat("spilled ", 20000)
	md := markdownOf(t, r)
	got := report.Fit(md, github.CommentBudget(), &r, "note")
	if github.CommentLength(got) > github.MaxCommentLength || !strings.Contains(got, "spilled spilled") || !strings.Contains(got, "…") {
		t.Errorf("a finding too long for a comment is not trimmed (%d characters)", github.CommentLength(got))
	}
}

func TestCommentLength(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{in: "", want: 0},
		{in: "abc", want: 3},
		{in: "é", want: 1},
		{in: "❌", want: 1},
		{in: "⚠️", want: 2},
		{in: "🐘", want: 2},
	}
	for _, tt := range tests {
		if got := github.CommentLength(tt.in); got != tt.want {
			t.Errorf("CommentLength(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
