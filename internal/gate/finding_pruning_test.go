package gate_test

import "testing"

func TestFindings_PartitionPruning(t *testing.T) {
	runFindingCases(t, []findingCase{
		{
			name: "a cast on the partition key scans every partition",
			base: "partition_literal", current: "partition_cast",
			rules: onlyNamed,
			// The cast also keeps the index on created_at from being used.
			want:     []string{"fail partition_pruning node 3", "fail seq_scan node 6"},
			message:  "node 3: Append scans 5 partitions where the baseline scanned 1 (events_2024_03): partition pruning no longer applies",
			regresed: true,
		},
		{
			name: "startup pruning lost",
			base: "partition_pruned", current: "partition_cast",
			rules: onlyNamed,
			// The cast also keeps the index on created_at from being used.
			want:     []string{"fail partition_pruning node 3", "fail seq_scan node 6"},
			message:  "(events_2024_03); 4 removed at executor startup before, 0 now",
			regresed: true,
		},
		{
			name: "pruned at planning instead of at startup",
			base: "partition_pruned", current: "partition_literal",
			rules: onlyNamed,
		},
		{
			name: "every partition, as in the baseline",
			base: "partition_unpruned", current: "partition_cast",
			rules: onlyNamed,
		},
	})
}
