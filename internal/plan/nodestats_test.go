package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The expected values are read off the fixtures.
func TestNodeStats(t *testing.T) {
	const bs = 8192
	tests := []struct {
		fixture string
		want    []NodeStat
	}{
		{
			// The join wrote 786 blocks of its own and its Hash 49: 8 batches.
			fixture: "hash_join_batches",
			want: []NodeStat{
				{Name: "Hash Join", Type: "Hash Join", Cost: 8046.22, PlanRows: 200000, ActualRows: 200000, Loops: 1,
					SharedBlocks: 3199, TempWrittenBytes: 786 * bs,
					Spill: "Hash Join spilled 6.5 MB to disk in 8 batches", SpillBytes: 835 * bs},
				{Name: "Seq Scan on orders o", Type: "Seq Scan", Relation: "orders", Depth: 1, Relationship: "Outer",
					Cost: 5125, PlanRows: 200000, ActualRows: 200000, Loops: 1, SharedBlocks: 3125},
				{Name: "Hash", Type: "Hash", Depth: 1, Relationship: "Inner", Cost: 199, PlanRows: 10000, ActualRows: 10000, Loops: 1,
					SharedBlocks: 74, TempWrittenBytes: 49 * bs, HashBatches: 8},
				{Name: "Seq Scan on users u", Type: "Seq Scan", Relation: "users", Depth: 2, Relationship: "Outer",
					Cost: 199, PlanRows: 10000, ActualRows: 10000, Loops: 1, SharedBlocks: 74},
			},
		},
		{
			// The Sort under the Limit may stop early, and so may its input.
			fixture: "limit",
			want: []NodeStat{
				{Name: "Limit", Type: "Limit", Cost: 6694.98, PlanRows: 10, ActualRows: 10, Loops: 1, SharedBlocks: 3128},
				{Name: "Sort", Type: "Sort", Depth: 1, Relationship: "Outer", Cost: 6818.74, PlanRows: 49513, ActualRows: 10, Loops: 1,
					MayStopEarly: true, SharedBlocks: 3128},
				{Name: "Seq Scan on orders", Type: "Seq Scan", Relation: "orders", Depth: 2, Relationship: "Outer",
					Cost: 5625, PlanRows: 49513, ActualRows: 50000, Loops: 1, SharedBlocks: 3125, RowsRemovedByFilter: 150000},
			},
		},
		{
			fixture: "partition_pruned",
			want: []NodeStat{
				{Name: "HashAggregate", Type: "Aggregate", Cost: 410.62, PlanRows: 3, ActualRows: 3, Loops: 1, SharedBlocks: 85, HashBatches: 1},
				{Name: "Append", Type: "Append", Depth: 1, Relationship: "Outer", Cost: 409.09, PlanRows: 300, ActualRows: 5600, Loops: 1,
					SharedBlocks: 85, SubplansRemoved: 4},
				{Name: "Bitmap Heap Scan on events_2024_03 events_1", Type: "Bitmap Heap Scan", Relation: "events_2024_03", Depth: 2,
					Relationship: "Member", Cost: 83.96, PlanRows: 62, ActualRows: 5600, Loops: 1, SharedBlocks: 85},
				{Name: "Bitmap Index Scan on events_2024_03_created_at_idx", Type: "Bitmap Index Scan",
					Index: "events_2024_03_created_at_idx", Depth: 3, Relationship: "Outer", Cost: 4.91, PlanRows: 62,
					ActualRows: 5600, Loops: 1, SharedBlocks: 6},
			},
		},
		{
			// 15567 loops of the inner index scan.
			fixture: "nested_loop_many",
			want: []NodeStat{
				{Name: "Nested Loop", Type: "Nested Loop", PlanRows: 15646, ActualRows: 15567, Loops: 1},
				{Name: "Seq Scan on orders o", Type: "Seq Scan", Relation: "orders", Depth: 1, Relationship: "Outer",
					PlanRows: 15646, ActualRows: 15567, Loops: 1, RowsRemovedByFilter: 184433},
				{Name: "Index Scan using users_pkey on users u", Type: "Index Scan", Relation: "users", Index: "users_pkey",
					Depth: 1, Relationship: "Inner", PlanRows: 1, ActualRows: 1, Loops: 15567},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got := parseFixture(t, tt.fixture).NodeStats(bs)
			opts := []cmp.Option{cmpopts.IgnoreFields(NodeStat{}, "TimeMS")}
			if tt.fixture == "nested_loop_many" {
				// Costs and blocks are checked on the other cases.
				opts = append(opts, cmpopts.IgnoreFields(NodeStat{}, "Cost", "SharedBlocks"))
			}
			if diff := cmp.Diff(tt.want, got, opts...); diff != "" {
				t.Errorf("NodeStats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNodeStats_AlignedWithShape checks, on every fixture, that the i-th
// record describes the node of the i-th shape line.
func TestNodeStats_AlignedWithShape(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			p := parseFixture(t, name)
			shape, stats := p.Shape(), p.NodeStats(0)
			if len(shape) != len(stats) {
				t.Fatalf("%d shape lines, %d node records", len(shape), len(stats))
			}
			for i, s := range stats {
				line := shape[i]
				indent := len(line) - len(trimIndent(line))
				if indent != 2*s.Depth {
					t.Errorf("node %d: depth %d, shape line %q", i+1, s.Depth, line)
				}
				if !containsName(line, s.Name) {
					t.Errorf("node %d: name %q not in shape line %q", i+1, s.Name, line)
				}
			}
		})
	}
}

func TestNodeStats_Time(t *testing.T) {
	p := parseFixture(t, "nested_loop_many")
	inner := p.NodeStats(0)[2]
	n := p.Root.Plans[1]
	if want := n.ActualTotalTime * n.ActualLoops; inner.TimeMS != want || want == 0 {
		t.Errorf("TimeMS = %v, want %v (per-loop time times loops)", inner.TimeMS, want)
	}
}

func trimIndent(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

func containsName(line, name string) bool {
	for i := 0; i+len(name) <= len(line); i++ {
		if line[i:i+len(name)] == name {
			return true
		}
	}
	return false
}

func TestNodeStat_Misestimate(t *testing.T) {
	tests := []struct {
		name   string
		n      NodeStat
		factor float64
		under  bool
	}{
		{"under", NodeStat{PlanRows: 1, ActualRows: 1000, Loops: 1}, 1000, true},
		{"over", NodeStat{PlanRows: 1000, ActualRows: 1, Loops: 1}, 1000, false},
		{"over below a limit", NodeStat{PlanRows: 1000, ActualRows: 1, Loops: 1, MayStopEarly: true}, 1, false},
		{"never ran", NodeStat{PlanRows: 1000}, 0, false},
		{"zero rows clamp to one", NodeStat{PlanRows: 0.4, ActualRows: 0, Loops: 3}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, under := tt.n.Misestimate()
			if f != tt.factor || under != tt.under {
				t.Errorf("Misestimate() = %v, %v; want %v, %v", f, under, tt.factor, tt.under)
			}
		})
	}
}
