package plan

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestShape compares the shape of every fixture with
// testdata/<fixture>/shape.golden; run with -update to rewrite them.
func TestShape(t *testing.T) {
	for _, name := range fixtureNames(t) {
		t.Run(name, func(t *testing.T) {
			got := strings.Join(parseFixture(t, name).Shape(), "\n") + "\n"
			golden := filepath.Join("testdata", name, "shape.golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(strings.Split(string(want), "\n"), strings.Split(got, "\n")); diff != "" {
				t.Errorf("Shape (-want +got):\n%s", diff)
			}
		})
	}
}

// TestShape_IgnoresRunToRunValues checks that plans that differ only in
// estimates, actuals, timings, buffers and versions print the same shape.
func TestShape_IgnoresRunToRunValues(t *testing.T) {
	tests := []struct {
		name string
		a, b string
	}{
		{"PostgreSQL 18 fractional rows", "nested_loop", "pg18_fractional_rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := parseFixture(t, tt.a), parseFixture(t, tt.b)
			if diff := cmp.Diff(a.Shape(), b.Shape()); diff != "" {
				t.Errorf("Shape differs (-%s +%s):\n%s", tt.a, tt.b, diff)
			}
		})
	}

	p := parseFixture(t, "cte_spill")
	before := p.Shape()
	p.Walk(func(n *Node, _ int) {
		n.StartupCost, n.TotalCost, n.PlanRows, n.ActualRows, n.ActualLoops = 1, 2, 3, 4, 5
		n.ActualTotalTime, n.SortSpaceUsed, n.SortMethod, n.SortSpaceType = 6, 7, "quicksort", "Memory"
		n.Buffers = Buffers{SharedHitBlocks: 8, TempWrittenBlocks: 9}
		n.RowsRemovedByFilter = 10
	})
	if diff := cmp.Diff(before, p.Shape()); diff != "" {
		t.Errorf("Shape changed with run-to-run values (-before +after):\n%s", diff)
	}
}

func TestShape_ShowsPlanChanges(t *testing.T) {
	base := func() *Node {
		return &Node{NodeType: "Hash Join", JoinType: "Inner", HashCond: "(o.user_id = u.id)", Plans: []*Node{
			{NodeType: "Seq Scan", ParentRelationship: "Outer", RelationName: "orders", Alias: "o"},
			{NodeType: "Hash", ParentRelationship: "Inner", Plans: []*Node{
				{NodeType: "Seq Scan", ParentRelationship: "Outer", RelationName: "users", Alias: "u", Filter: "(country = 'NL'::text)"},
			}},
		}}
	}
	tests := []struct {
		name   string
		change func(root *Node)
	}{
		{"join type", func(r *Node) { r.JoinType = "Left" }},
		{"node type", func(r *Node) { r.NodeType = "Merge Join" }},
		{"index used", func(r *Node) { r.Plans[0].NodeType, r.Plans[0].IndexName = "Index Scan", "orders_user_id_idx" }},
		{"filter", func(r *Node) { r.Plans[1].Plans[0].Filter = "(country = 'DE'::text)" }},
		{"sides swapped", func(r *Node) { r.Plans[0].RelationName, r.Plans[1].Plans[0].RelationName = "users", "orders" }},
		{"parallel", func(r *Node) { r.Plans[0].ParallelAware = true }},
		{"pruning", func(r *Node) { r.SubplansRemoved = 3 }},
	}
	want := (&Plan{Root: base()}).Shape()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := base()
			tt.change(root)
			if got := (&Plan{Root: root}).Shape(); cmp.Equal(want, got) {
				t.Errorf("Shape did not change:\n%s", strings.Join(got, "\n"))
			}
		})
	}
}

func TestLabel(t *testing.T) {
	tests := []struct {
		name string
		node Node
		want string
	}{
		{"plain aggregate", Node{NodeType: "Aggregate", Strategy: "Plain"}, "Aggregate"},
		{"group aggregate", Node{NodeType: "Aggregate", Strategy: "Sorted"}, "GroupAggregate"},
		{"hash aggregate", Node{NodeType: "Aggregate", Strategy: "Hashed"}, "HashAggregate"},
		{"mixed aggregate", Node{NodeType: "Aggregate", Strategy: "Mixed"}, "MixedAggregate"},
		{"partial aggregate", Node{NodeType: "Aggregate", Strategy: "Hashed", PartialMode: "Partial"}, "Partial HashAggregate"},
		{"simple aggregate", Node{NodeType: "Aggregate", Strategy: "Sorted", PartialMode: "Simple"}, "GroupAggregate"},
		{"hash setop", Node{NodeType: "SetOp", Strategy: "Hashed", Extra: map[string]any{"Command": "Except"}}, "HashSetOp Except"},
		{"inner hash join", Node{NodeType: "Hash Join", JoinType: "Inner"}, "Hash Join"},
		{"left hash join", Node{NodeType: "Hash Join", JoinType: "Left"}, "Hash Left Join"},
		{"anti merge join", Node{NodeType: "Merge Join", JoinType: "Anti"}, "Merge Anti Join"},
		{"semi nested loop", Node{NodeType: "Nested Loop", JoinType: "Semi"}, "Nested Loop Semi Join"},
		{"backward index scan", Node{NodeType: "Index Only Scan", ScanDirection: "Backward"}, "Index Only Scan Backward"},
		{"parallel seq scan", Node{NodeType: "Seq Scan", ParallelAware: true}, "Parallel Seq Scan"},
		{"insert", Node{NodeType: "ModifyTable", Operation: "Insert"}, "Insert"},
		{"custom scan", Node{NodeType: "Custom Scan", Extra: map[string]any{"Custom Plan Provider": "ColumnarScan"}}, "Custom Scan (ColumnarScan)"},
		{"unknown node", Node{NodeType: "Future Scan"}, "Future Scan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.node.Label(); got != tt.want {
				t.Errorf("Label() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestShapeName(t *testing.T) {
	tests := map[string]string{
		"Seq Scan on t": "Seq Scan on t",
		"    Inner: Index Scan using p on u [Index Cond: (id = o.user_id)]": "Index Scan using p on u",
		"  InitPlan 1 (returns $0): Result":                                 "Result",
		"  CTE recent: Seq Scan on orders":                                  "Seq Scan on orders",
		"HashAggregate [Group Key: kind]":                                   "HashAggregate",
	}
	for line, want := range tests {
		if got := ShapeName(line); got != want {
			t.Errorf("ShapeName(%q) = %q, want %q", line, got, want)
		}
	}
}
