package gate

import (
	"strings"
	"testing"
)

func called(name string, cost float64, calls int, groups map[string]int) Query {
	return Query{Name: name, Kind: "select", Fingerprint: name, Calls: calls, Groups: groups,
		Metrics: map[string]float64{MetricTotalCost: cost}}
}

func TestCompare_Totals(t *testing.T) {
	tests := []struct {
		name    string
		base    []Query
		cur     []Query
		verdict Verdict
		want    map[string]Status // "" is the overall total
		message string            // in a failing total's findings
	}{
		{
			name:    "unchanged",
			base:    []Query{called("list", 100, 2, map[string]int{"TestList": 2})},
			cur:     []Query{called("list", 100, 2, map[string]int{"TestList": 2})},
			verdict: VerdictPass,
			want:    map[string]Status{"": StatusPass, "TestList": StatusPass},
		},
		{
			name: "N+1 in a group",
			base: []Query{called("list", 100, 2, map[string]int{"TestList": 2})},
			cur: []Query{
				called("list", 100, 2, map[string]int{"TestList": 2}),
				called("authors select where id", 8, 40, map[string]int{"TestList": 40}),
			},
			verdict: VerdictFail,
			want:    map[string]Status{"": StatusRegressed, "TestList": StatusRegressed},
			message: "group TestList: statements executed 2 -> 42 (+40, +2,000%): most from authors select where id +40",
		},
		{
			name:    "N+1 without groups",
			base:    []Query{called("list", 100, 2, nil), called("detail", 8, 3, nil)},
			cur:     []Query{called("list", 100, 2, nil), called("detail", 8, 3, nil), called("authors", 8, 20, nil)},
			verdict: VerdictFail,
			want:    map[string]Status{"": StatusRegressed},
			message: "workload: statements executed 5 -> 25",
		},
		{
			name: "a new test is not a change of the workload",
			base: []Query{called("list", 100, 2, map[string]int{"TestList": 2})},
			cur: []Query{
				called("list", 100, 2, map[string]int{"TestList": 2}),
				called("detail", 8, 40, map[string]int{"TestDetail": 40}),
			},
			verdict: VerdictPass,
			want:    map[string]Status{"": StatusPass, "TestList": StatusPass, "TestDetail": StatusNew},
		},
		{
			name:    "calls grew on a statement that kept its name",
			base:    []Query{called("list", 1000, 2, nil)},
			cur:     []Query{called("list", 1000, 10, nil)},
			verdict: VerdictFail,
			want:    map[string]Status{"": StatusRegressed},
			message: "most from list +8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := Compare(tt.base, tt.cur, DefaultRules())
			if rep.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s", rep.Verdict, tt.verdict)
			}
			got := map[string]Status{}
			var messages []string
			for _, tr := range rep.Totals {
				got[tr.Group] = tr.Status
				for _, f := range tr.Findings {
					messages = append(messages, f.Message)
				}
			}
			for g, want := range tt.want {
				if got[g] != want {
					t.Errorf("total %q: %s, want %s (all: %v)", g, got[g], want, got)
				}
			}
			if tt.message != "" && !strings.Contains(strings.Join(messages, "\n"), tt.message) {
				t.Errorf("no finding says %q:\n%s", tt.message, strings.Join(messages, "\n"))
			}
		})
	}
}

func TestCompare_NewStatementOutweighsItsGroup(t *testing.T) {
	base := []Query{called("list", 100, 1, map[string]int{"GET /a": 1})}
	cur := []Query{called("list", 100, 1, map[string]int{"GET /a": 1}), called("report", 50000, 1, map[string]int{"GET /a": 1})}
	rep := Compare(base, cur, DefaultRules())
	for _, res := range rep.Queries {
		if res.Name != "report" {
			continue
		}
		if res.Status != StatusNew || len(res.Findings) == 0 || res.Findings[0].Kind != FindingNewShare || res.Findings[0].Severity != SeverityWarn {
			t.Fatalf("report: %s %+v, want a new_share warning", res.Status, res.Findings)
		}
		return
	}
	t.Fatal("no report query")
}

// TestCompare_AcceptedGrowthLeavesTotals: a regression accepted on its query
// does not fail the workload's totals through the back door.
func TestCompare_AcceptedGrowthLeavesTotals(t *testing.T) {
	base := []Query{called("export", 10, 1, nil), called("list", 100, 1, nil)}
	cur := []Query{called("export", 30000, 1, nil), called("list", 100, 1, nil)}
	for _, tt := range []struct {
		name     string
		accepted []Acceptance
		want     Status
	}{
		{"not accepted", nil, StatusRegressed},
		{"accepted", []Acceptance{{Query: "export", Metric: "*", Reason: "r"}}, StatusPass},
		{"another metric accepted", []Acceptance{{Query: "export", Metric: MetricRows, Reason: "r"}}, StatusRegressed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules()
			rules.Accepted = tt.accepted
			rep := Compare(base, cur, rules)
			if got := rep.Totals[0].Status; got != tt.want {
				t.Errorf("workload %s, want %s: %+v", got, tt.want, rep.Totals[0].Findings)
			}
		})
	}
}

// TestCompare_PositionalGroupsWarn: a group named by its place in the
// capture warns where a named group would fail; the workload still fails.
func TestCompare_PositionalGroupsWarn(t *testing.T) {
	base := []Query{called("list", 100, 2, map[string]int{"transaction 4": 2})}
	cur := []Query{called("list", 100, 2, map[string]int{"transaction 4": 2}), called("author", 8, 40, map[string]int{"transaction 4": 40})}
	rules := DefaultRules()
	rules.Positional = func(g string) bool { return strings.HasPrefix(g, "transaction ") }
	rep := Compare(base, cur, rules)
	if rep.Totals[0].Status != StatusRegressed || rep.Verdict != VerdictFail {
		t.Errorf("workload %s, verdict %s: want regressed, fail", rep.Totals[0].Status, rep.Verdict)
	}
	g := rep.Totals[1]
	if g.Group != "transaction 4" || g.Status != StatusPass || len(g.Findings) == 0 || g.Findings[0].Severity != SeverityWarn {
		t.Errorf("group %q: %s %+v, want a pass with a warning", g.Group, g.Status, g.Findings)
	}
}

// TestCompare_OverallAcrossCaptureSources: a baseline captured without
// groups (a server log) against a run the proxy grouped by transaction
// still compares the whole workload.
func TestCompare_OverallAcrossCaptureSources(t *testing.T) {
	base := []Query{called("list", 100, 2, nil)}
	cur := []Query{called("list", 100, 2, map[string]int{"transaction 1": 1, "transaction 2": 1}),
		called("author", 8, 40, map[string]int{"transaction 1": 20, "transaction 2": 20})}
	rules := DefaultRules()
	rules.Positional = func(g string) bool { return strings.HasPrefix(g, "transaction ") }
	rep := Compare(base, cur, rules)
	if got := rep.Totals[0].Current[MetricQueryCount]; got != 42 || rep.Totals[0].Status != StatusRegressed {
		t.Errorf("workload: %v statements, %s; want 42, regressed", got, rep.Totals[0].Status)
	}
}
