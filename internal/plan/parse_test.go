package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse_Flags(t *testing.T) {
	tests := []struct {
		fixture                      string
		analyzed, hasBuffers, hasWAL bool
		planningMS, executionMS      float64
		workMem                      string
	}{
		{fixture: "seq_scan_filter", analyzed: true, hasBuffers: true, hasWAL: true, planningMS: 0.257, executionMS: 14.901},
		{fixture: "sort_spill", analyzed: true, hasBuffers: true, hasWAL: true, planningMS: 0.299, executionMS: 176.042, workMem: "64kB"},
		{fixture: "estimate_only"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			p := parseFixture(t, tt.fixture)
			if p.Analyzed != tt.analyzed || p.HasBuffers != tt.hasBuffers || p.HasWAL != tt.hasWAL {
				t.Errorf("Analyzed, HasBuffers, HasWAL = %v, %v, %v, want %v, %v, %v",
					p.Analyzed, p.HasBuffers, p.HasWAL, tt.analyzed, tt.hasBuffers, tt.hasWAL)
			}
			if p.PlanningMS != tt.planningMS || p.ExecutionMS != tt.executionMS {
				t.Errorf("PlanningMS, ExecutionMS = %v, %v, want %v, %v", p.PlanningMS, p.ExecutionMS, tt.planningMS, tt.executionMS)
			}
			if got := p.Settings["work_mem"]; got != tt.workMem {
				t.Errorf("Settings[work_mem] = %q, want %q", got, tt.workMem)
			}
		})
	}
}

func TestParse_HashSpill(t *testing.T) {
	p := parseFixture(t, "hash_join_batches")
	root := p.Root
	if root.NodeType != "Hash Join" || root.JoinType != "Inner" || root.HashCond != "(o.user_id = u.id)" {
		t.Fatalf("root = %q %q %q, want an inner Hash Join on (o.user_id = u.id)", root.NodeType, root.JoinType, root.HashCond)
	}
	if len(root.Plans) != 2 {
		t.Fatalf("root has %d children, want 2", len(root.Plans))
	}
	hash := root.Plans[1]
	got := []any{hash.NodeType, hash.ParentRelationship, hash.HashBuckets, hash.OriginalHashBuckets,
		hash.HashBatches, hash.OriginalHashBatches, hash.PeakMemoryUsage, hash.TempWrittenBlocks}
	want := []any{"Hash", "Inner", 2048, 2048, 8, 8, int64(85), int64(49)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Hash node (-want +got):\n%s", diff)
	}
	if root.TempWrittenBlocks != 835 || root.TempReadBlocks != 835 {
		t.Errorf("root temp written, read = %d, %d, want 835, 835", root.TempWrittenBlocks, root.TempReadBlocks)
	}
}

func TestParse_HashAggSpill(t *testing.T) {
	p := parseFixture(t, "hashagg_spill")
	n := p.Root
	got := []any{n.Label(), n.PartialMode, n.GroupKey, n.HashAggBatches, n.PeakMemoryUsage, n.DiskUsage, n.Extra["Planned Partitions"]}
	want := []any{"HashAggregate", "Simple", []string{"user_id", "status"}, 17, int64(521), int64(7120), 16.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("HashAggregate (-want +got):\n%s", diff)
	}
}

func TestParse_SortSpill(t *testing.T) {
	p := parseFixture(t, "sort_spill")
	n := p.Root
	got := []any{n.NodeType, n.SortKey, n.SortMethod, n.SortSpaceUsed, n.SortSpaceType, n.PlanRows, n.ActualRows, n.ActualLoops}
	want := []any{"Sort", []string{"note", "id"}, "external merge", int64(15512), "Disk", 200000.0, 200000.0, 1.0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Sort (-want +got):\n%s", diff)
	}
}

func TestParse_SeqScanFilter(t *testing.T) {
	n := parseFixture(t, "seq_scan_filter").Root
	got := []any{n.NodeType, n.RelationName, n.Alias, n.Filter, n.RowsRemovedByFilter, n.StartupCost, n.TotalCost, n.PlanWidth, n.ActualTotalTime}
	want := []any{"Seq Scan", "orders", "orders", "(amount > '990'::numeric)", 198002.0, 0.0, 5625.0, 10, 14.824}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Seq Scan (-want +got):\n%s", diff)
	}
	if n.Extra["Async Capable"] != false {
		t.Errorf("Extra[Async Capable] = %v, want false (unknown keys are kept)", n.Extra["Async Capable"])
	}
}

func TestParse_PartitionPruning(t *testing.T) {
	tests := []struct {
		fixture         string
		subplansRemoved int
		members         []string
	}{
		{"partition_pruned", 4, []string{"events_2024_03"}},
		{"partition_unpruned", 0, []string{"events_2024_01", "events_2024_02", "events_2024_03", "events_2024_04", "events_default"}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			var appendNode *Node
			parseFixture(t, tt.fixture).Walk(func(n *Node, _ int) {
				if n.NodeType == "Append" {
					appendNode = n
				}
			})
			if appendNode == nil {
				t.Fatal("no Append node")
			}
			if appendNode.SubplansRemoved != tt.subplansRemoved {
				t.Errorf("SubplansRemoved = %d, want %d", appendNode.SubplansRemoved, tt.subplansRemoved)
			}
			var members []string
			for _, c := range appendNode.Plans {
				if c.ParentRelationship == "Member" {
					members = append(members, c.RelationName)
				}
			}
			if diff := cmp.Diff(tt.members, members); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse_ModifyTable(t *testing.T) {
	tests := []struct {
		fixture                      string
		operation                    string
		walRecords, walFPI, walBytes int64
		triggers                     []Trigger
	}{
		{
			fixture: "insert", operation: "Insert", walRecords: 15107, walFPI: 3222, walBytes: 27187400,
			triggers: []Trigger{{Name: "RI_ConstraintTrigger_c_16401", ConstraintName: "orders_user_id_fkey", Relation: "orders", TimeMS: 16.252, Calls: 5000}},
		},
		{fixture: "update", operation: "Update", walRecords: 63582, walFPI: 641, walBytes: 10813615},
		{fixture: "delete", operation: "Delete", walRecords: 6390, walFPI: 0, walBytes: 347840},
		{fixture: "update_returning", operation: "Update", walRecords: 93, walFPI: 0, walBytes: 7928},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			p := parseFixture(t, tt.fixture)
			n := p.Root
			got := []any{n.NodeType, n.Operation, n.RelationName, n.WALRecords, n.WALFPI, n.WALBytes}
			want := []any{"ModifyTable", tt.operation, "orders", tt.walRecords, tt.walFPI, tt.walBytes}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ModifyTable (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.triggers, p.Triggers); diff != "" {
				t.Errorf("Triggers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse_Planning(t *testing.T) {
	p := parseFixture(t, "nested_loop")
	want := &Buffers{SharedHitBlocks: 223, SharedReadBlocks: 3}
	if diff := cmp.Diff(want, p.Planning); diff != "" {
		t.Errorf("Planning (-want +got):\n%s", diff)
	}
}

func TestParse_FractionalRows(t *testing.T) {
	p := parseFixture(t, "pg18_fractional_rows")
	inner := p.Root.Plans[1]
	if inner.ActualRows != 0.5 || inner.ActualLoops != 40 {
		t.Errorf("inner Actual Rows, Loops = %v, %v, want 0.5, 40", inner.ActualRows, inner.ActualLoops)
	}
	if p.Root.ActualRows != 20 {
		t.Errorf("root Actual Rows = %v, want 20", p.Root.ActualRows)
	}
	if got := inner.Plans[0].IndexSearches; got != 40 {
		t.Errorf("IndexSearches = %v, want 40", got)
	}
}

func TestParse_EstimateOnly(t *testing.T) {
	p := parseFixture(t, "estimate_only")
	var executed int
	p.Walk(func(n *Node, _ int) {
		if n.ActualLoops != 0 || n.SharedHitBlocks != 0 {
			executed++
		}
	})
	if executed != 0 {
		t.Errorf("%d nodes carry actuals or buffers in an estimate-only plan", executed)
	}
	if p.Root.Label() != "HashAggregate" || p.Root.TotalCost != 7527.89 {
		t.Errorf("root = %s cost %v, want HashAggregate cost 7527.89", p.Root.Label(), p.Root.TotalCost)
	}
}

func TestParse_Tolerant(t *testing.T) {
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, p *Plan)
	}{
		{
			name:  "bare object",
			input: `{"Plan": {"Node Type": "Result", "Total Cost": 0.01}}`,
			check: func(t *testing.T, p *Plan) {
				if p.Root.NodeType != "Result" || p.Root.TotalCost != 0.01 {
					t.Errorf("root = %+v", p.Root)
				}
			},
		},
		{
			name:  "unknown keys kept",
			input: `[{"Plan": {"Node Type": "Seq Scan", "Future Key": {"a": [1, "b"]}}, "JIT": {"Functions": 3}}]`,
			check: func(t *testing.T, p *Plan) {
				want := map[string]any{"Future Key": map[string]any{"a": []any{1.0, "b"}}}
				if diff := cmp.Diff(want, p.Root.Extra); diff != "" {
					t.Errorf("node Extra (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(map[string]any{"JIT": map[string]any{"Functions": 3.0}}, p.Extra); diff != "" {
					t.Errorf("plan Extra (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:  "nulls ignored",
			input: `[{"Plan": {"Node Type": "Seq Scan", "Filter": null, "Plans": null, "Actual Rows": null}, "Settings": null}]`,
			check: func(t *testing.T, p *Plan) {
				if p.Root.Filter != "" || p.Root.Plans != nil || p.Settings != nil {
					t.Errorf("root = %+v, settings %v", p.Root, p.Settings)
				}
			},
		},
		{
			name:  "single string sort key",
			input: `[{"Plan": {"Node Type": "Sort", "Sort Key": "a"}}]`,
			check: func(t *testing.T, p *Plan) {
				if diff := cmp.Diff([]string{"a"}, p.Root.SortKey); diff != "" {
					t.Errorf("SortKey (-want +got):\n%s", diff)
				}
			},
		},
		{
			name:  "analyzed without per-node actuals",
			input: `[{"Plan": {"Node Type": "Result"}, "Execution Time": 0.5}]`,
			check: func(t *testing.T, p *Plan) {
				if !p.Analyzed || p.ExecutionMS != 0.5 {
					t.Errorf("Analyzed, ExecutionMS = %v, %v, want true, 0.5", p.Analyzed, p.ExecutionMS)
				}
			},
		},
		{
			name:  "estimate with summary is not analyzed",
			input: `[{"Plan": {"Node Type": "Result"}, "Planning Time": 0.5}]`,
			check: func(t *testing.T, p *Plan) {
				if p.Analyzed || p.PlanningMS != 0.5 {
					t.Errorf("Analyzed, PlanningMS = %v, %v, want false, 0.5", p.Analyzed, p.PlanningMS)
				}
			},
		},
		{
			name:  "whitespace around",
			input: "\n  [{\"Plan\": {\"Node Type\": \"Result\"}}]\n\n",
			check: func(t *testing.T, p *Plan) {},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.input))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, p)
		})
	}
}

func TestParse_Errors(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		wantErr string
	}{
		{"empty", "", "plan: empty input"},
		{"text plan", "Seq Scan on orders  (cost=0.00..5125.00 rows=200000 width=69)", "plan: not JSON"},
		{"truncated", `[{"Plan": {"Node Type": "Seq Scan"`, "plan: not JSON"},
		{"trailing data", `[{"Plan": {"Node Type": "Result"}}] x`, "plan: unexpected data after"},
		{"number", "42", "plan: got a number"},
		{"empty array", "[]", "plan: empty JSON array"},
		{"two plans", `[{"Plan": {"Node Type": "Result"}}, {"Plan": {"Node Type": "Result"}}]`, "plan: 2 plans in one document"},
		{"array of strings", `["QUERY PLAN"]`, "plan: array holds a string"},
		{"no Plan", `[{"Query": "SELECT 1"}]`, `plan: no "Plan" key`},
		{"Plan not object", `[{"Plan": [1]}]`, `plan: "Plan" is a list`},
		{"no Node Type", `[{"Plan": {"Total Cost": 1}}]`, `plan: node 1: no "Node Type" string`},
		{"Node Type not string", `[{"Plan": {"Node Type": 3}}]`, `plan: node 1: no "Node Type" string`},
		{"cost not number", `[{"Plan": {"Node Type": "Result", "Total Cost": "1.5"}}]`, `plan: node 1 (Result): "Total Cost": want a number, got a string`},
		{"number out of range", `[{"Plan": {"Node Type": "Result", "Total Cost": 1e999}}]`, `plan: node 1 (Result): "Total Cost": number 1e999 out of range`},
		{"count out of range", `[{"Plan": {"Node Type": "Result", "Temp Written Blocks": 1e30}}]`, `plan: node 1 (Result): "Temp Written Blocks": number 1e+30 out of range`},
		{"Plans not list", `[{"Plan": {"Node Type": "Result", "Plans": {}}}]`, `plan: node 1 (Result): "Plans": want a list, got an object`},
		{"child not object", `[{"Plan": {"Node Type": "Result", "Plans": ["x"]}}]`, `plan: node 1 (Result): "Plans"[0] is a string`},
		{"bad grandchild", `[{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Sort", "Plans": [{"Node Type": "Seq Scan", "Sort Key": [1]}]}]}}]`, `plan: node 3 (Seq Scan): "Sort Key": want a list of strings, got a number`},
		{"bad trigger", `[{"Plan": {"Node Type": "Result"}, "Triggers": [{"Calls": "x"}]}]`, `plan: "Triggers"[0]: "Calls": want a number, got a string`},
		{"bad planning", `[{"Plan": {"Node Type": "Result"}, "Planning": {"Shared Hit Blocks": true}}]`, `plan: "Planning": "Shared Hit Blocks": want a number, got a boolean`},
		{"bad execution time", `[{"Plan": {"Node Type": "Result"}, "Execution Time": "fast"}]`, `plan: "Execution Time": want a number, got a string`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.input))
			if err == nil {
				t.Fatalf("Parse = %+v, want an error containing %q", p, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Parse error = %q, want it to start with %q", err, tt.wantErr)
			}
		})
	}
}
