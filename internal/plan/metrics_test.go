package plan

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The expected values are read off the fixtures: block counts and WAL bytes
// of the root node, "Execution Time" and "Planning Time", and the rows of
// the node named in each comment.
func TestMetrics(t *testing.T) {
	const bs = 8192
	tests := []struct {
		fixture string
		want    Metrics
	}{
		{
			fixture: "seq_scan_filter",
			want: Metrics{
				MetricTotalCost: 5625, MetricRows: 1998, MetricSharedBlocks: 3125,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 2008.0 / 1998, // Seq Scan: planned 2008, got 1998
				MetricExecutionMS:       14.901, MetricPlanningMS: 0.257,
			},
		},
		{
			fixture: "index_scan",
			want: Metrics{
				MetricTotalCost: 8.44, MetricRows: 1, MetricSharedBlocks: 4,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 0.062, MetricPlanningMS: 0.343,
			},
		},
		{
			// 40 loops of the inner Bitmap Heap Scan, 20 rows each, as planned.
			fixture: "nested_loop",
			want: Metrics{
				MetricTotalCost: 2909.05, MetricRows: 800, MetricSharedBlocks: 883,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 2.606, MetricPlanningMS: 0.549,
			},
		},
		{
			// PostgreSQL 18 style: 0.50 rows per loop on the inner side (the
			// planner said 20) and 20 rows out of the join (it said 800).
			fixture: "pg18_fractional_rows",
			want: Metrics{
				MetricTotalCost: 2909.05, MetricRows: 20, MetricSharedBlocks: 883,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 800.0 / 20, MetricExecutionMS: 2.278, MetricPlanningMS: 0.442,
			},
		},
		{
			// The top-N Sort under the Limit returns 10 of 49513 planned rows
			// by design; only the Seq Scan below it counts.
			fixture: "limit",
			want: Metrics{
				MetricTotalCost: 6694.98, MetricRows: 10, MetricSharedBlocks: 3128,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 50000.0 / 49513, MetricExecutionMS: 22.334, MetricPlanningMS: 0.283,
			},
		},
		{
			fixture: "hash_join_batches",
			want: Metrics{
				MetricTotalCost: 8046.22, MetricRows: 200000, MetricSharedBlocks: 3199,
				MetricTempWrittenBytes: 835 * bs, MetricTempReadBytes: 835 * bs, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 61.694, MetricPlanningMS: 0.643,
			},
		},
		{
			fixture: "sort_spill",
			want: Metrics{
				MetricTotalCost: 56050.64, MetricRows: 200000, MetricSharedBlocks: 3131,
				MetricTempWrittenBytes: 8283 * bs, MetricTempReadBytes: 7737 * bs, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 176.042, MetricPlanningMS: 0.299,
			},
		},
		{
			// HashAggregate: planned 20000 groups, found 10000.
			fixture: "hashagg_spill",
			want: Metrics{
				MetricTotalCost: 21140.62, MetricRows: 10000, MetricSharedBlocks: 3125,
				MetricTempWrittenBytes: 1675 * bs, MetricTempReadBytes: 859 * bs, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 2, MetricExecutionMS: 78.732, MetricPlanningMS: 0.326,
			},
		},
		{
			// The paginator's count: one row out, the spill of the grouped
			// subquery underneath.
			fixture: "count_subquery_spill",
			want: Metrics{
				MetricTotalCost: 20340.63, MetricRows: 1, MetricSharedBlocks: 3125,
				MetricTempWrittenBytes: 696 * bs, MetricTempReadBytes: 345 * bs, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 2, MetricExecutionMS: 53.62, MetricPlanningMS: 0.331,
			},
		},
		{
			// Merge Join: planned 87687200 rows, got 132209. The Sorts below
			// it return all their rows, so they count both ways too.
			fixture: "cte_spill",
			want: Metrics{
				MetricTotalCost: 1799401.07, MetricRows: 1, MetricSharedBlocks: 3129,
				MetricTempWrittenBytes: 3036 * bs, MetricTempReadBytes: 2838 * bs, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 87687200.0 / 132209, MetricExecutionMS: 134.112, MetricPlanningMS: 0.475,
			},
		},
		{
			// No RETURNING: rows are the 5000 rows the Function Scan fed in.
			fixture: "insert",
			want: Metrics{
				MetricTotalCost: 87.5, MetricRows: 5000, MetricSharedBlocks: 29441 + 94,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 27187400,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 41.464, MetricPlanningMS: 0.102,
			},
		},
		{
			// 200 rows in, 100 conflicting and skipped: "Tuples Inserted" 100.
			fixture: "insert_on_conflict",
			want: Metrics{
				MetricTotalCost: 4, MetricRows: 100, MetricSharedBlocks: 921,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 26383,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 0.53, MetricPlanningMS: 0.165,
			},
		},
		{
			fixture: "update",
			want: Metrics{
				MetricTotalCost: 5650.2, MetricRows: 15567, MetricSharedBlocks: 160856 + 93,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 10813615,
				MetricMaxRowMisestimate: 16436.0 / 15567, MetricExecutionMS: 208.08, MetricPlanningMS: 0.207,
			},
		},
		{
			fixture: "delete",
			want: Metrics{
				MetricTotalCost: 6652.24, MetricRows: 5000, MetricSharedBlocks: 8394,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 347840,
				MetricMaxRowMisestimate: 5397.0 / 5000, MetricExecutionMS: 20.891, MetricPlanningMS: 0.253,
			},
		},
		{
			// RETURNING: the ModifyTable itself returns the 20 rows.
			fixture: "update_returning",
			want: Metrics{
				MetricTotalCost: 87.54, MetricRows: 20, MetricSharedBlocks: 229,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 7928,
				MetricMaxRowMisestimate: 22.0 / 20, MetricExecutionMS: 0.568, MetricPlanningMS: 0.313,
			},
		},
		{
			// 20 inserted + 11 updated + 0 deleted.
			fixture: "merge",
			want: Metrics{
				MetricTotalCost: 197.69, MetricRows: 31, MetricSharedBlocks: 254,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 5361,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 0.296, MetricPlanningMS: 0.455,
			},
		},
		{
			// The generic plan guessed 62 rows from the one partition left; 5600 came.
			fixture: "partition_pruned",
			want: Metrics{
				MetricTotalCost: 410.62, MetricRows: 3, MetricSharedBlocks: 79 + 6,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 5600.0 / 62, MetricExecutionMS: 1.744, MetricPlanningMS: 0.633,
			},
		},
		{
			// events_2024_01: planned 2 rows, got none (clamped to 1).
			fixture: "partition_unpruned",
			want: Metrics{
				MetricTotalCost: 1133.32, MetricRows: 3, MetricSharedBlocks: 386,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 2, MetricExecutionMS: 2.916, MetricPlanningMS: 0.673,
			},
		},
		{
			// a = 7 AND b = 7 on perfectly correlated columns: planned 10, got 1000.
			fixture: "misestimate",
			want: Metrics{
				MetricTotalCost: 2435, MetricRows: 1000, MetricSharedBlocks: 935,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 100, MetricExecutionMS: 4.385, MetricPlanningMS: 0.29,
			},
		},
		{
			fixture: "hash_join_memory",
			want: Metrics{
				MetricTotalCost: 5974.22, MetricRows: 200000, MetricSharedBlocks: 3199,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 44.013, MetricPlanningMS: 0.609,
			},
		},
		{
			fixture: "hashagg_memory",
			want: Metrics{
				MetricTotalCost: 7375, MetricRows: 10000, MetricSharedBlocks: 3125,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 2, MetricExecutionMS: 51.18, MetricPlanningMS: 0.34,
			},
		},
		{
			fixture: "index_scan_lost",
			want: Metrics{
				MetricTotalCost: 6125, MetricRows: 1, MetricSharedBlocks: 3125,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1000, MetricExecutionMS: 15.872, MetricPlanningMS: 0.37,
			},
		},
		{
			// A third condition on the correlated columns: planned 1 row, got 1000.
			fixture: "misestimate_correlated",
			want: Metrics{
				MetricTotalCost: 2935, MetricRows: 1000, MetricSharedBlocks: 935,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1000, MetricExecutionMS: 4.331, MetricPlanningMS: 0.315,
			},
		},
		{
			fixture: "nested_loop_hashed",
			want: Metrics{
				MetricTotalCost: 5965.09, MetricRows: 15567, MetricSharedBlocks: 3199,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 15646.0 / 15567, MetricExecutionMS: 18.271, MetricPlanningMS: 0.6,
			},
		},
		{
			// The inner Index Scan runs 15567 times, one row each, as planned.
			fixture: "nested_loop_many",
			want: Metrics{
				MetricTotalCost: 10773.83, MetricRows: 15567, MetricSharedBlocks: 49826,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 15646.0 / 15567, MetricExecutionMS: 28.293, MetricPlanningMS: 0.469,
			},
		},
		{
			fixture: "nested_loop_small_hashed",
			want: Metrics{
				MetricTotalCost: 5659.71, MetricRows: 800, MetricSharedBlocks: 3128,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 22.6, MetricPlanningMS: 0.557,
			},
		},
		{
			// No pruning: every partition scanned; events_2024_03 planned 62 rows, got 5600.
			fixture: "partition_cast",
			want: Metrics{
				MetricTotalCost: 1599.12, MetricRows: 3, MetricSharedBlocks: 386,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 5600.0 / 62, MetricExecutionMS: 4.913, MetricPlanningMS: 0.603,
			},
		},
		{
			fixture: "partition_literal",
			want: Metrics{
				MetricTotalCost: 272.71, MetricRows: 3, MetricSharedBlocks: 85,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 1.356, MetricPlanningMS: 0.465,
			},
		},
		{
			fixture: "readings_single",
			want: Metrics{
				MetricTotalCost: 2185, MetricRows: 1000, MetricSharedBlocks: 935,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1000.0 / 967, MetricExecutionMS: 3.984, MetricPlanningMS: 0.276,
			},
		},
		{
			fixture: "seq_scan_filter_selective",
			want: Metrics{
				MetricTotalCost: 5625, MetricRows: 198, MetricSharedBlocks: 3125,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 201.0 / 198, MetricExecutionMS: 14.763, MetricPlanningMS: 0.239,
			},
		},
		{
			fixture: "small_index_scan",
			want: Metrics{
				MetricTotalCost: 8.29, MetricRows: 1, MetricSharedBlocks: 3,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 0.052, MetricPlanningMS: 0.342,
			},
		},
		{
			fixture: "small_seq_scan",
			want: Metrics{
				MetricTotalCost: 43, MetricRows: 1, MetricSharedBlocks: 13,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 10, MetricExecutionMS: 0.135, MetricPlanningMS: 0.247,
			},
		},
		{
			fixture: "sort_memory",
			want: Metrics{
				MetricTotalCost: 23234.64, MetricRows: 200000, MetricSharedBlocks: 3131,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 331.754, MetricPlanningMS: 0.403,
			},
		},
		{
			fixture: "sort_small_spill",
			want: Metrics{
				MetricTotalCost: 5738.65, MetricRows: 4000, MetricSharedBlocks: 2211,
				MetricTempWrittenBytes: 93 * bs, MetricTempReadBytes: 83 * bs, MetricWALBytes: 0,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 12.239, MetricPlanningMS: 0.338,
			},
		},
		{
			// All 200000 rows updated.
			fixture: "update_all",
			want: Metrics{
				MetricTotalCost: 5125, MetricRows: 200000, MetricSharedBlocks: 2.018801e+06,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 1.06336605e+08,
				MetricMaxRowMisestimate: 1, MetricExecutionMS: 887.619, MetricPlanningMS: 0.194,
			},
		},
		{
			// 101121 rows updated, 64 MB of WAL.
			fixture: "update_bulk",
			want: Metrics{
				MetricTotalCost: 5625, MetricRows: 101121, MetricSharedBlocks: 1.025204e+06,
				MetricTempWrittenBytes: 0, MetricTempReadBytes: 0, MetricWALBytes: 6.6795253e+07,
				MetricMaxRowMisestimate: 101940.0 / 101121, MetricExecutionMS: 554.897, MetricPlanningMS: 0.23,
			},
		},
		{
			fixture: "estimate_only",
			want:    Metrics{MetricTotalCost: 7527.89},
		},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.fixture] = true
		t.Run(tt.fixture, func(t *testing.T) {
			got := parseFixture(t, tt.fixture).Metrics(bs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Metrics (-want +got):\n%s", diff)
			}
		})
	}
	for _, name := range fixtureNames(t) {
		if !seen[name] {
			t.Errorf("fixture %s has no expected metrics", name)
		}
	}
}

func TestMetrics_BlockSize(t *testing.T) {
	p := parseFixture(t, "sort_spill")
	tests := []struct {
		name      string
		blockSize int
		want      float64
	}{
		{"default", 0, 8283 * 8192},
		{"negative means default", -1, 8283 * 8192},
		{"16 kB blocks", 16384, 8283 * 16384},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Metrics(tt.blockSize)[MetricTempWrittenBytes]; got != tt.want {
				t.Errorf("temp_written_bytes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMetrics_WithoutBuffers(t *testing.T) {
	// EXPLAIN (ANALYZE, FORMAT JSON): no block or WAL counts to measure.
	p, err := Parse([]byte(`[{"Plan": {"Node Type": "Seq Scan", "Total Cost": 10, "Plan Rows": 5,
		"Actual Rows": 5, "Actual Loops": 1}, "Planning Time": 0.1, "Execution Time": 0.2}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := Metrics{MetricTotalCost: 10, MetricRows: 5, MetricMaxRowMisestimate: 1, MetricExecutionMS: 0.2, MetricPlanningMS: 0.1}
	if diff := cmp.Diff(want, p.Metrics(0)); diff != "" {
		t.Errorf("Metrics (-want +got):\n%s", diff)
	}
}

// node builds a plan node for the misestimate cases.
func node(typ, rel string, planned, actual, loops float64, children ...*Node) *Node {
	return &Node{NodeType: typ, ParentRelationship: rel, PlanRows: planned, ActualRows: actual, ActualLoops: loops, Plans: children}
}

func TestMetrics_Misestimate(t *testing.T) {
	tests := []struct {
		name string
		root *Node
		want float64
	}{
		{
			name: "underestimate",
			root: node("Seq Scan", "", 10, 5000, 1),
			want: 500,
		},
		{
			name: "overestimate",
			root: node("Seq Scan", "", 5000, 10, 1),
			want: 500,
		},
		{
			name: "zero rows clamped to one",
			root: node("Seq Scan", "", 1, 0, 1),
			want: 1,
		},
		{
			name: "never executed nodes ignored",
			root: node("Append", "", 2, 2, 1, node("Seq Scan", "Member", 2, 2, 1), node("Seq Scan", "Member", 1000, 0, 0)),
			want: 1,
		},
		{
			name: "per-loop rows against per-loop plan",
			root: node("Nested Loop", "", 100, 100, 1, node("Seq Scan", "Outer", 10, 10, 1), node("Index Scan", "Inner", 10, 10, 10)),
			want: 1,
		},
		{
			name: "limit stops its input early",
			root: node("Limit", "", 10, 10, 1, node("Seq Scan", "Outer", 100000, 10, 1)),
			want: 1,
		},
		{
			name: "underestimate under a limit still counts",
			root: node("Limit", "", 10, 10, 1, node("Index Scan", "Outer", 1, 10, 1)),
			want: 10,
		},
		{
			name: "sort under a limit reads its whole input",
			root: node("Limit", "", 10, 10, 1, node("Sort", "Outer", 5000, 10, 1, node("Seq Scan", "Outer", 5000, 50, 1))),
			want: 100,
		},
		{
			name: "semi join inner side",
			root: &Node{NodeType: "Nested Loop", JoinType: "Semi", PlanRows: 10, ActualRows: 10, ActualLoops: 1, Plans: []*Node{
				node("Seq Scan", "Outer", 10, 10, 1),
				node("Seq Scan", "Inner", 1000, 1, 10),
			}},
			want: 1,
		},
		{
			name: "subplan stops at the first row",
			root: node("Seq Scan", "", 100, 100, 1, node("Index Scan", "SubPlan", 50, 1, 100)),
			want: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Plan{Root: tt.root, Analyzed: true}
			if got := p.Metrics(0)[MetricMaxRowMisestimate]; got != tt.want {
				t.Errorf("max_row_misestimate = %v, want %v", got, tt.want)
			}
		})
	}
}
