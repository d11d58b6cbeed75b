package gate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatchNodes(t *testing.T) {
	tests := []struct {
		name              string
		baseline, current []string
		want              []int
	}{
		{
			name:     "same plan",
			baseline: []string{"Limit", "  Outer: Seq Scan on t"},
			current:  []string{"Limit", "  Outer: Seq Scan on t"},
			want:     []int{0, 1},
		},
		{
			name:     "a node replaced",
			baseline: []string{"Aggregate", "  Outer: Index Scan using t_pkey on t", "  Inner: Hash"},
			current:  []string{"Aggregate", "  Outer: Seq Scan on t", "  Inner: Hash"},
			want:     []int{0, -1, 2},
		},
		{
			name:     "a node inserted",
			baseline: []string{"Aggregate", "  Outer: Seq Scan on t"},
			current:  []string{"Aggregate", "  Outer: Sort", "    Outer: Seq Scan on t"},
			want:     []int{0, -1, -1},
		},
		{
			name:     "repeated lines pair in order",
			baseline: []string{"Append", "  Member: Result", "  Member: Result"},
			current:  []string{"Append", "  Member: Result", "  Member: Seq Scan on x", "  Member: Result"},
			want:     []int{0, 1, -1, 2},
		},
		{
			name:    "no baseline",
			current: []string{"Result"},
			want:    []int{-1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, MatchNodes(tt.baseline, tt.current)); diff != "" {
				t.Errorf("MatchNodes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiverge(t *testing.T) {
	withNodes := func(plan []string, names ...string) *Query {
		q := &Query{Plan: plan}
		for _, n := range names {
			q.Nodes = append(q.Nodes, Node{Name: n})
		}
		return q
	}
	tests := []struct {
		name string
		b, c *Query
		want string // empty: no divergence
	}{
		{
			name: "index scan becomes a seq scan",
			b: withNodes([]string{"Aggregate", "  Outer: Index Scan using accounts_pkey on accounts [Index Cond: (id = 1)]"},
				"Aggregate", "Index Scan using accounts_pkey on accounts"),
			c: withNodes([]string{"Aggregate", "  Outer: Seq Scan on accounts [Filter: ((id + 0) = 1)]"},
				"Aggregate", "Seq Scan on accounts"),
			want: "plans diverge at node 2: Index Scan using accounts_pkey on accounts -> Seq Scan on accounts",
		},
		{
			name: "names from shape lines without node records",
			b:    &Query{Plan: []string{"Limit", "  Outer: Index Scan using t_pkey on t [Index Cond: (id > 5)]"}},
			c:    &Query{Plan: []string{"Limit", "  Outer: Index Scan using t_pkey on t [Index Cond: (id > 6)]"}},
			want: "plans diverge at node 2: Index Scan using t_pkey on t -> Index Scan using t_pkey on t (conditions or keys changed)",
		},
		{
			name: "current plan is shorter",
			b:    &Query{Plan: []string{"Limit", "  Outer: Result"}},
			c:    &Query{Plan: []string{"Limit"}},
			want: "plans diverge at node 2: Result -> (none)",
		},
		{
			name: "same plan",
			b:    &Query{Plan: []string{"Result"}},
			c:    &Query{Plan: []string{"Result"}},
		},
		{
			name: "no baseline plan",
			b:    &Query{},
			c:    &Query{Plan: []string{"Result"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := Diverge(tt.b, tt.c)
			got := ""
			if ok {
				got = d.String()
			}
			if got != tt.want {
				t.Errorf("Diverge = %q, want %q", got, tt.want)
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

func TestNode_Misestimate(t *testing.T) {
	tests := []struct {
		name   string
		n      Node
		factor float64
		under  bool
	}{
		{"under", Node{PlanRows: 1, ActualRows: 1000, Loops: 1}, 1000, true},
		{"over", Node{PlanRows: 1000, ActualRows: 1, Loops: 1}, 1000, false},
		{"over below a limit", Node{PlanRows: 1000, ActualRows: 1, Loops: 1, MayStopEarly: true}, 1, false},
		{"never ran", Node{PlanRows: 1000}, 0, false},
		{"zero rows clamp to one", Node{PlanRows: 0.4, ActualRows: 0, Loops: 3}, 1, false},
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
