package gate_test

import (
	"testing"

	"github.com/plangate/plangate/internal/gate"
)

func TestFindings_Spill(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "sort goes to disk",
			base: "sort_memory", current: "sort_spill",
			want:     []string{"fail spill node 1"},
			message:  "node 1: Sort (external merge) spilled 65 MB to disk (the baseline did not spill): its data outgrew work_mem",
			regresed: true,
		},
		{
			name: "hash aggregate goes to disk",
			base: "hashagg_memory", current: "hashagg_spill",
			want:     []string{"fail spill node 1"},
			message:  "node 1: HashAggregate spilled 13 MB to disk in 17 batches (the baseline did not spill)",
			regresed: true,
		},
		{
			name: "a small new spill warns",
			base: "sort_memory", current: "sort_small_spill",
			want:    []string{"warn spill node 1"},
			message: "Sort (external merge) spilled 744 kB to disk",
		},
		{
			name: "a spill the baseline already had",
			base: "sort_spill", current: "sort_spill",
		},
		{
			name: "a spill that shrank",
			base: "sort_spill", current: "sort_small_spill",
		},
		{
			name:    "a new query's spill only warns",
			current: "sort_spill",
			rules:   onlyNamed,
			want:    []string{"warn spill node 1"},
		},
	})
}

func TestFindings_HashBatches(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "hash join splits into 8 batches",
			base: "hash_join_memory", current: "hash_join_batches",
			rules: onlyNamed,
			// 6.5 MB is under the 8 MiB that fails.
			want:    []string{"warn hash_batches node 1"},
			message: "node 1: Hash Join split its hash table into 8 batches and spilled 6.5 MB to disk (the baseline hashed in one batch): its inner side (10,000 rows) outgrew work_mem",
		},
		{
			name: "past a lower size threshold it fails",
			base: "hash_join_memory", current: "hash_join_batches",
			rules: func(r *gate.Rules) {
				onlyNamed(r)
				r.Findings.HashBatches.MinBytes = 4 << 20
			},
			want:     []string{"fail hash_batches node 1"},
			regresed: true,
		},
		{
			name: "one batch, as in the baseline",
			base: "hash_join_memory", current: "hash_join_memory",
		},
		{
			name: "batches the baseline already had",
			base: "hash_join_batches", current: "hash_join_batches",
		},
	})
}
