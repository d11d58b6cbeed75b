package gate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// brief is the part of a Result the table checks: status and, per finding,
// "severity metric".
type brief struct {
	Status   Status
	Findings []string
}

func summarize(rep Report) map[string]brief {
	out := make(map[string]brief, len(rep.Queries))
	for _, r := range rep.Queries {
		b := brief{Status: r.Status}
		for _, f := range r.Findings {
			b.Findings = append(b.Findings, f.Severity+" "+f.Metric)
		}
		out[r.Name] = b
	}
	return out
}

func q(name string, metrics map[string]float64) Query {
	return Query{Name: name, Metrics: metrics}
}

func TestCompare(t *testing.T) {
	const mb = 1024 * 1024
	tests := []struct {
		name     string
		baseline []Query
		current  []Query
		rules    *Rules
		want     map[string]brief
		verdict  Verdict
	}{
		{
			name:     "unchanged passes",
			baseline: []Query{q("a", map[string]float64{"total_cost": 5000, "rows": 10})},
			current:  []Query{q("a", map[string]float64{"total_cost": 5000, "rows": 10})},
			want:     map[string]brief{"a": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "new spill regresses",
			baseline: []Query{q("count", map[string]float64{"temp_written_bytes": 0})},
			current:  []Query{q("count", map[string]float64{"temp_written_bytes": 184 * mb})},
			want:     map[string]brief{"count": {Status: StatusRegressed, Findings: []string{"fail temp_written_bytes"}}},
			verdict:  VerdictFail,
		},
		{
			name:     "small new spill only warns",
			baseline: []Query{q("a", map[string]float64{"temp_written_bytes": 0})},
			current:  []Query{q("a", map[string]float64{"temp_written_bytes": 1 * mb})},
			want:     map[string]brief{"a": {Status: StatusPass, Findings: []string{"warn temp_written_bytes"}}},
			verdict:  VerdictPass,
		},
		{
			name:     "relative growth under the absolute floor passes",
			baseline: []Query{q("tiny", map[string]float64{"total_cost": 100})},
			current:  []Query{q("tiny", map[string]float64{"total_cost": 400})},
			want:     map[string]brief{"tiny": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "absolute growth under the relative margin passes",
			baseline: []Query{q("big", map[string]float64{"total_cost": 100000})},
			current:  []Query{q("big", map[string]float64{"total_cost": 120000})},
			want:     map[string]brief{"big": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "growth past both thresholds regresses",
			baseline: []Query{q("big", map[string]float64{"total_cost": 100000})},
			current:  []Query{q("big", map[string]float64{"total_cost": 160000})},
			want:     map[string]brief{"big": {Status: StatusRegressed, Findings: []string{"fail total_cost"}}},
			verdict:  VerdictFail,
		},
		{
			name:     "drop past both thresholds improves",
			baseline: []Query{q("a", map[string]float64{"total_cost": 10000, "shared_blocks": 5000})},
			current:  []Query{q("a", map[string]float64{"total_cost": 2000, "shared_blocks": 5000})},
			want:     map[string]brief{"a": {Status: StatusImproved, Findings: []string{"info total_cost"}}},
			verdict:  VerdictPass,
		},
		{
			name:     "doubling rule improves when halved",
			baseline: []Query{q("a", map[string]float64{"shared_blocks": 9000})},
			current:  []Query{q("a", map[string]float64{"shared_blocks": 4000})},
			want:     map[string]brief{"a": {Status: StatusImproved, Findings: []string{"info shared_blocks"}}},
			verdict:  VerdictPass,
		},
		{
			name:     "regression wins over improvement",
			baseline: []Query{q("a", map[string]float64{"total_cost": 10000, "wal_bytes": 0})},
			current:  []Query{q("a", map[string]float64{"total_cost": 2000, "wal_bytes": 80 * mb})},
			want:     map[string]brief{"a": {Status: StatusRegressed, Findings: []string{"fail wal_bytes", "info total_cost"}}},
			verdict:  VerdictFail,
		},
		{
			name:    "new query within budgets",
			current: []Query{q("fresh", map[string]float64{"rows": 100, "wal_bytes": 8192})},
			want:    map[string]brief{"fresh": {Status: StatusNew}},
			verdict: VerdictPass,
		},
		{
			name:    "new query over budget regresses",
			current: []Query{{Name: "sync", Kind: "update", Metrics: map[string]float64{"rows": 80000, "wal_bytes": 96 * mb}}},
			want:    map[string]brief{"sync": {Status: StatusRegressed, Findings: []string{"fail wal_bytes", "fail rows"}}},
			verdict: VerdictFail,
		},
		{
			name:    "new query past a level warns",
			current: []Query{q("fresh", map[string]float64{"max_row_misestimate": 500})},
			want:    map[string]brief{"fresh": {Status: StatusNew, Findings: []string{"warn max_row_misestimate"}}},
			verdict: VerdictPass,
		},
		{
			name:     "removed query never fails",
			baseline: []Query{q("gone", map[string]float64{"total_cost": 1})},
			want:     map[string]brief{"gone": {Status: StatusRemoved}},
			verdict:  VerdictPass,
		},
		{
			name:     "error fails",
			baseline: []Query{q("broken", map[string]float64{"total_cost": 1})},
			current:  []Query{{Name: "broken", Error: "temporary file size exceeds temp_file_limit (1048576kB)"}},
			want:     map[string]brief{"broken": {Status: StatusError}},
			verdict:  VerdictFail,
		},
		{
			name:    "error without baseline fails",
			current: []Query{{Name: "broken", Error: "canceling statement due to statement timeout"}},
			want:    map[string]brief{"broken": {Status: StatusError}},
			verdict: VerdictFail,
		},
		{
			name:     "baseline error fixed improves",
			baseline: []Query{{Name: "fixed", Error: "canceling statement due to statement timeout"}},
			current:  []Query{q("fixed", map[string]float64{"total_cost": 50})},
			want:     map[string]brief{"fixed": {Status: StatusImproved}},
			verdict:  VerdictPass,
		},
		{
			name:     "timing never fails",
			baseline: []Query{q("slow", map[string]float64{"execution_ms": 10, "planning_ms": 1})},
			current:  []Query{q("slow", map[string]float64{"execution_ms": 90000, "planning_ms": 5000})},
			want:     map[string]brief{"slow": {Status: StatusPass, Findings: []string{"info execution_ms", "info planning_ms"}}},
			verdict:  VerdictPass,
		},
		{
			name:     "timing drop is not an improvement",
			baseline: []Query{q("fast", map[string]float64{"execution_ms": 90000})},
			current:  []Query{q("fast", map[string]float64{"execution_ms": 10})},
			want:     map[string]brief{"fast": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "timing missing from baseline is not judged",
			baseline: []Query{q("a", map[string]float64{"total_cost": 10})},
			current:  []Query{q("a", map[string]float64{"total_cost": 10, "execution_ms": 90000})},
			want:     map[string]brief{"a": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "misestimate crossing 100x fails",
			baseline: []Query{q("a", map[string]float64{"max_row_misestimate": 3})},
			current:  []Query{q("a", map[string]float64{"max_row_misestimate": 150})},
			want:     map[string]brief{"a": {Status: StatusRegressed, Findings: []string{"fail max_row_misestimate"}}},
			verdict:  VerdictFail,
		},
		{
			name:     "misestimate crossing 10x warns",
			baseline: []Query{q("a", map[string]float64{"max_row_misestimate": 3})},
			current:  []Query{q("a", map[string]float64{"max_row_misestimate": 40})},
			want:     map[string]brief{"a": {Status: StatusPass, Findings: []string{"warn max_row_misestimate"}}},
			verdict:  VerdictPass,
		},
		{
			name:     "misestimate already past 100x drifting passes",
			baseline: []Query{q("a", map[string]float64{"max_row_misestimate": 150})},
			current:  []Query{q("a", map[string]float64{"max_row_misestimate": 180})},
			want:     map[string]brief{"a": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "misestimate past 100x doubling again fails",
			baseline: []Query{q("a", map[string]float64{"max_row_misestimate": 150})},
			current:  []Query{q("a", map[string]float64{"max_row_misestimate": 400})},
			want:     map[string]brief{"a": {Status: StatusRegressed, Findings: []string{"fail max_row_misestimate"}}},
			verdict:  VerdictFail,
		},
		{
			name:     "query count N+1 regresses",
			baseline: []Query{q("GET /orders", map[string]float64{"query_count": 4})},
			current:  []Query{q("GET /orders", map[string]float64{"query_count": 24})},
			want:     map[string]brief{"GET /orders": {Status: StatusRegressed, Findings: []string{"fail query_count"}}},
			verdict:  VerdictFail,
		},
		{
			name:     "per-query override raises a threshold",
			baseline: []Query{q("nightly_sync", map[string]float64{"rows": 1000}), q("other", map[string]float64{"rows": 1000})},
			current:  []Query{q("nightly_sync", map[string]float64{"rows": 80000}), q("other", map[string]float64{"rows": 80000})},
			rules: func() *Rules {
				r := DefaultRules()
				r.Queries = map[string]map[string]Rule{"nightly_sync": {"rows": {Absolute: 1e6, Set: SetAbsolute}}}
				return &r
			}(),
			want: map[string]brief{
				"nightly_sync": {Status: StatusPass},
				"other":        {Status: StatusRegressed, Findings: []string{"fail rows"}},
			},
			verdict: VerdictFail,
		},
		{
			name:     "per-query override turns gating off",
			baseline: []Query{q("report", map[string]float64{"total_cost": 1000})},
			current:  []Query{q("report", map[string]float64{"total_cost": 90000})},
			rules: func() *Rules {
				r := DefaultRules()
				r.Queries = map[string]map[string]Rule{"report": {"total_cost": {Gate: false, Set: SetGate}}}
				return &r
			}(),
			want:    map[string]brief{"report": {Status: StatusPass, Findings: []string{"info total_cost"}}},
			verdict: VerdictPass,
		},
		{
			name:    "per-query override sets a budget",
			current: []Query{q("export", map[string]float64{"shared_blocks": 90000})},
			rules: func() *Rules {
				r := DefaultRules()
				r.Queries = map[string]map[string]Rule{"export": {"shared_blocks": {Budget: 10000, Set: SetBudget}}}
				return &r
			}(),
			want:    map[string]brief{"export": {Status: StatusRegressed, Findings: []string{"fail shared_blocks"}}},
			verdict: VerdictFail,
		},
		{
			name:     "metric without a rule is not judged",
			baseline: []Query{q("a", map[string]float64{"custom": 1})},
			current:  []Query{q("a", map[string]float64{"custom": 1e9})},
			want:     map[string]brief{"a": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
		{
			name:     "duplicate name keeps the first",
			baseline: []Query{q("a", map[string]float64{"rows": 10})},
			current:  []Query{q("a", map[string]float64{"rows": 10}), q("a", map[string]float64{"rows": 1e6})},
			want:     map[string]brief{"a": {Status: StatusPass}},
			verdict:  VerdictPass,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules()
			if tt.rules != nil {
				rules = *tt.rules
			}
			rep := Compare(tt.baseline, tt.current, rules)
			if diff := cmp.Diff(tt.want, summarize(rep)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if rep.Verdict != tt.verdict {
				t.Errorf("verdict = %q, want %q", rep.Verdict, tt.verdict)
			}
		})
	}
}

func TestCompare_Messages(t *testing.T) {
	const mb = 1024 * 1024
	tests := []struct {
		name     string
		baseline []Query
		current  []Query
		rules    *Rules
		want     []Finding
	}{
		{
			name:     "spill says why",
			baseline: []Query{q("count", map[string]float64{"temp_written_bytes": 0})},
			current: []Query{{Name: "count", Metrics: map[string]float64{"temp_written_bytes": 184 * mb},
				Spills: []string{"HashAggregate spilled 184 MB to disk in 5 batches"}}},
			want: []Finding{{Metric: "temp_written_bytes", Baseline: 0, Current: 184 * mb, Severity: SeverityFail,
				Message: "temp_written_bytes 0 B -> 184 MB (+184 MB): HashAggregate spilled 184 MB to disk in 5 batches"}},
		},
		{
			name:     "cost with plan change",
			baseline: []Query{{Name: "list", Metrics: map[string]float64{"total_cost": 1200}, Plan: []string{"Index Scan on orders"}}},
			current:  []Query{{Name: "list", Metrics: map[string]float64{"total_cost": 9800}, Plan: []string{"Seq Scan on orders"}}},
			want: []Finding{{Metric: "total_cost", Baseline: 1200, Current: 9800, Severity: SeverityFail,
				Message: "total_cost 1,200 -> 9,800 (+8,600, +717%): plan changed at node 1: Index Scan on orders -> Seq Scan on orders"}},
		},
		{
			name:    "new bulk update over budget",
			current: []Query{{Name: "sync", Kind: "update", Metrics: map[string]float64{"rows": 80000}}},
			want: []Finding{{Metric: "rows", Current: 80000, Limit: 50000, Severity: SeverityFail,
				Message: "rows 80,000 (over the 50,000 budget for new queries): one UPDATE touches 80,000 rows: batch it",
				Kind:    FindingBulkWrite}},
		},
		{
			name:     "misestimate past the level",
			baseline: []Query{q("a", map[string]float64{"max_row_misestimate": 3})},
			current:  []Query{q("a", map[string]float64{"max_row_misestimate": 150})},
			want: []Finding{{Metric: "max_row_misestimate", Baseline: 3, Current: 150, Limit: 100, Severity: SeverityFail,
				Message: "max_row_misestimate 3x -> 150x (+147x, +4,900%): past 100x; estimates this far off mislead join and scan choices: check statistics"}},
		},
		{
			name:     "timing is information",
			baseline: []Query{q("a", map[string]float64{"execution_ms": 12})},
			current:  []Query{q("a", map[string]float64{"execution_ms": 480})},
			want: []Finding{{Metric: "execution_ms", Baseline: 12, Current: 480, Severity: SeverityInfo,
				Message: "execution_ms 12 ms -> 480 ms (+468 ms, +3,900%): timings vary between runs: reported, not gated"}},
		},
		{
			name:     "ungated metric says so",
			baseline: []Query{q("report", map[string]float64{"total_cost": 1000})},
			current:  []Query{q("report", map[string]float64{"total_cost": 90000})},
			rules: func() *Rules {
				r := DefaultRules()
				r.Queries = map[string]map[string]Rule{"report": {"total_cost": {Gate: false, Set: SetGate}}}
				return &r
			}(),
			want: []Finding{{Metric: "total_cost", Baseline: 1000, Current: 90000, Severity: SeverityInfo,
				Message: "total_cost 1,000 -> 90,000 (+89,000, +8,900%): reported, not gated"}},
		},
		{
			name:     "improvement",
			baseline: []Query{q("a", map[string]float64{"total_cost": 10000})},
			current:  []Query{q("a", map[string]float64{"total_cost": 2500})},
			want: []Finding{{Metric: "total_cost", Baseline: 10000, Current: 2500, Severity: SeverityInfo,
				Message: "total_cost 10,000 -> 2,500 (-7,500, -75%)"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules()
			if tt.rules != nil {
				rules = *tt.rules
			}
			rep := Compare(tt.baseline, tt.current, rules)
			if len(rep.Queries) != 1 {
				t.Fatalf("got %d results, want 1", len(rep.Queries))
			}
			if diff := cmp.Diff(tt.want, rep.Queries[0].Findings); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompare_SortedAndDeterministic(t *testing.T) {
	base := []Query{q("c", map[string]float64{"rows": 1}), q("a", map[string]float64{"rows": 1})}
	cur := []Query{
		q("b", map[string]float64{"rows": 1e6, "wal_bytes": 1e9, "temp_written_bytes": 1e9, "total_cost": 1}),
		q("a", map[string]float64{"rows": 1}),
	}
	first := Compare(base, cur, DefaultRules())
	var names []string
	for _, r := range first.Queries {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, names); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	for range 20 {
		if diff := cmp.Diff(first, Compare(base, cur, DefaultRules())); diff != "" {
			t.Fatalf("Compare is not deterministic (-first +again):\n%s", diff)
		}
	}
	var metrics []string
	for _, f := range first.Queries[1].Findings {
		metrics = append(metrics, f.Metric)
	}
	if diff := cmp.Diff([]string{"temp_written_bytes", "wal_bytes", "rows"}, metrics); diff != "" {
		t.Errorf("finding order (-want +got):\n%s", diff)
	}
}

func TestReport_Counts(t *testing.T) {
	rep := Report{Queries: []Result{{Status: StatusPass}, {Status: StatusPass}, {Status: StatusError}}}
	want := map[Status]int{StatusPass: 2, StatusError: 1, StatusRegressed: 0, StatusImproved: 0, StatusNew: 0, StatusRemoved: 0}
	if diff := cmp.Diff(want, rep.Counts()); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
}
