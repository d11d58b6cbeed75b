package gate_test

import "testing"

func TestFindings_NestedLoop(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "hash join becomes a nested loop of 15567 index scans",
			base: "nested_loop_hashed", current: "nested_loop_many",
			rules:   onlyNamed,
			want:    []string{"warn nested_loop node 1"},
			message: "node 1: Nested Loop runs its inner Index Scan using users_pkey on users u 15,567 times, once per outer row: the outer side returned 15,567 rows (planned 15,646)",
		},
		{
			name: "a nested loop of 40 index scans",
			base: "nested_loop_small_hashed", current: "nested_loop",
			rules: onlyNamed,
		},
		{
			name: "a loop the baseline already ran",
			base: "nested_loop_many", current: "nested_loop_many",
		},
	})
}
