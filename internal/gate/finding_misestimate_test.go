package gate_test

import (
	"testing"

	"github.com/plangate/plangate/internal/gate"
)

func TestFindings_Misestimate(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "a third correlated condition: planned 1, got 1000",
			base: "readings_single", current: "misestimate_correlated",
			rules:   onlyNamed,
			want:    []string{"warn misestimate node 1"},
			message: "node 1: Seq Scan on readings returned 1,000 rows where the planner expected 1 row (1,000x too few)",
		},
		{
			name: "exactly 100x is not over 100x",
			base: "readings_single", current: "misestimate",
			rules: onlyNamed,
		},
		{
			name: "fails when configured to",
			base: "readings_single", current: "misestimate_correlated",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.Misestimate.Severity = gate.SeverityFail
			},
			want:     []string{"fail misestimate node 1"},
			regresed: true,
		},
		{
			name: "too few rows to matter",
			base: "readings_single", current: "misestimate_correlated",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.Misestimate.MinRows = 5000
			},
		},
		{
			// The Append under-estimates too, but the scan below it is
			// where the estimate went wrong.
			name: "only the lowest misestimated node",
			base: "partition_literal", current: "partition_cast",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.PartitionPruning.Severity = gate.SeverityOff
				r.Findings.SeqScan.Severity = gate.SeverityOff
				r.Findings.Filter.Severity = gate.SeverityOff
				r.Findings.Misestimate.Factor = 15
			},
			want: []string{"warn misestimate node 6"},
		},
	})
}
