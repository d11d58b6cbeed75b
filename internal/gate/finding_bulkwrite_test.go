package gate_test

import (
	"testing"

	"github.com/plangate/plangate/internal/gate"
)

func TestFindings_BulkWrite(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "an UPDATE of 101121 rows",
			base: "update", current: "update_bulk", kind: "update",
			rules:    onlyNamed,
			want:     []string{"fail bulk_write"},
			message:  "rows 101,121, over the 50,000 budget for one statement: one UPDATE touches 101,121 rows: batch it",
			regresed: true,
		},
		{
			name: "an UPDATE of every row writes 101 MB of WAL",
			base: "update", current: "update_all", kind: "update",
			rules:    onlyNamed,
			want:     []string{"fail bulk_write", "fail bulk_write"},
			regresed: true,
		},
		{
			// The rows and wal_bytes rules fail too; the finding is theirs,
			// named bulk_write.
			name: "with the metric rules, one finding per metric",
			base: "update", current: "update_all", kind: "update",
			want:     []string{"fail bulk_write", "fail bulk_write"},
			regresed: true,
		},
		{
			name: "64 MB of WAL is within the 64 MiB budget",
			base: "update", current: "update_bulk", kind: "update",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.BulkWrite.Rows = 0
			},
		},
		{
			name:    "an UPDATE of 15567 rows",
			current: "update", kind: "update",
			rules: onlyNamed,
		},
		{
			name:    "a SELECT of 200000 rows is no write",
			current: "sort_spill",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.Spill.Severity = gate.SeverityOff
			},
		},
	})
}

func TestFindings_NPlusOne(t *testing.T) {
	group := func(n float64) []gate.Query {
		return []gate.Query{{Name: "GET /orders", Metrics: map[string]float64{gate.MetricQueryCount: n}}}
	}
	tests := []struct {
		name     string
		base     float64
		current  float64
		want     string
		severity string
	}{
		{name: "4 statements become 41", base: 4, current: 41, severity: gate.SeverityFail,
			want: "query_count 4 -> 41 (+37, +925%): N+1: 37 more statements for the same work"},
		{name: "4 statements become 6", base: 4, current: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := gate.Compare(group(tt.base), group(tt.current), gate.DefaultRules()).Queries[0]
			if tt.want == "" {
				if len(res.Findings) > 0 {
					t.Errorf("findings %+v, want none", res.Findings)
				}
				return
			}
			if len(res.Findings) != 1 {
				t.Fatalf("findings %+v, want one", res.Findings)
			}
			f := res.Findings[0]
			if f.Kind != gate.FindingNPlusOne || f.Severity != tt.severity || len(f.Message) < len(tt.want) || f.Message[:len(tt.want)] != tt.want {
				t.Errorf("finding %+v, want kind n_plus_one, severity %s, message starting %q", f, tt.severity, tt.want)
			}
		})
	}
}
