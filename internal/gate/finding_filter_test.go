package gate_test

import "testing"

func TestFindings_Filter(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "999 rows discarded per row returned",
			base: "seq_scan_filter", current: "seq_scan_filter_selective",
			rules:   onlyNamed,
			want:    []string{"warn filter node 1"},
			message: "node 1: Seq Scan on orders discards 199,802 rows by its filter to return 198 (1,009 for each row returned)",
		},
		{
			name:    "99 rows discarded per row returned",
			current: "seq_scan_filter",
			rules:   onlyNamed,
		},
		{
			name: "the same filter as the baseline",
			base: "seq_scan_filter_selective", current: "seq_scan_filter_selective",
			rules: onlyNamed,
		},
	})
}
