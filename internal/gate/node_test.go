package gate

import (
	"github.com/plangate/plangate/internal/plan"

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
	withNodes := func(shape []string, names ...string) *Query {
		q := &Query{Plan: shape}
		for _, n := range names {
			q.Nodes = append(q.Nodes, plan.NodeStat{Name: n})
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
