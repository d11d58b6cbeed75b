package gate_test

import (
	"testing"

	"github.com/plangate/plangate/internal/gate"
)

func TestFindings_SeqScan(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "primary key lookup becomes a scan of 200000 rows",
			base: "index_scan", current: "index_scan_lost",
			// The planner also guessed 1000 rows for id + 0 = 4242.
			want:     []string{"fail seq_scan node 1", "warn misestimate node 1"},
			message:  "node 1: Seq Scan on orders reads 200,000 rows to return 1 where the baseline used Index Scan using orders_pkey on orders",
			regresed: true,
		},
		{
			name: "the same change on a 2000-row table",
			base: "small_index_scan", current: "small_seq_scan",
		},
		{
			name: "a scan the baseline already made",
			base: "seq_scan_filter", current: "seq_scan_filter",
		},
		{
			name: "a smaller table threshold catches the small table",
			base: "small_index_scan", current: "small_seq_scan",
			rules:    func(r *gate.Rules) { r.Findings.SeqScan.MinRows = 1000 },
			want:     []string{"fail seq_scan node 1"},
			regresed: true,
		},
		{
			name: "off",
			base: "index_scan", current: "index_scan_lost",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.SeqScan.Severity = gate.SeverityOff
				r.Findings.Misestimate.Severity = gate.SeverityOff
			},
			// With seq_scan off, the filter finding speaks for the node.
			want: []string{"warn filter node 1"},
		},
	})
}
