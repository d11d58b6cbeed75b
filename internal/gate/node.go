package gate

import "github.com/plangate/plangate/internal/plan"

// children returns the positions of the nodes directly below node i.
func children(nodes []plan.NodeStat, i int) []int {
	var out []int
	for j := i + 1; j < len(nodes) && nodes[j].Depth > nodes[i].Depth; j++ {
		if nodes[j].Depth == nodes[i].Depth+1 {
			out = append(out, j)
		}
	}
	return out
}

// MatchNodes pairs the nodes of two plan shapes: for each line of current
// it returns the index of the identical line of baseline it corresponds to,
// or -1 when it has none. Lines are paired along a longest common
// subsequence, so a node keeps its partner when nodes are added or removed
// around it.
func MatchNodes(baseline, current []string) []int {
	n, m := len(baseline), len(current)
	// lcs[i][j] is the length of the longest common subsequence of
	// baseline[i:] and current[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if baseline[i] == current[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	match := make([]int, m)
	for j := range match {
		match[j] = -1
	}
	for i, j := 0, 0; i < n && j < m; {
		switch {
		case baseline[i] == current[j]:
			match[j] = i
			i++
			j++
		case lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			j++
		}
	}
	return match
}

// Divergence is the first node at which two plans differ.
type Divergence struct {
	// Node is the position of the node, counted from 1 in shape order.
	Node int
	// Baseline and Current name the node on each side, e.g. "Index Scan
	// using accounts_pkey on accounts" and "Seq Scan on accounts"; "(none)"
	// when one plan has fewer nodes.
	Baseline, Current string
}

// String renders the divergence as reports print it: "plans diverge at
// node 2: Index Scan using accounts_pkey on accounts -> Seq Scan on
// accounts".
func (d Divergence) String() string {
	return "plans diverge at " + d.Where()
}

// Where names the node and its two versions: "node 2: Index Scan using
// accounts_pkey on accounts -> Seq Scan on accounts".
func (d Divergence) Where() string {
	from, to := d.Baseline, d.Current
	if from == to {
		// Same node, different conditions or keys.
		to += " (conditions or keys changed)"
	}
	return "node " + itoa(d.Node) + ": " + from + " -> " + to
}

// Diverge returns the first node, in shape order, at which the plans of b
// and c differ; ok is false when either has no plan or the plans are the
// same.
func Diverge(b, c *Query) (d Divergence, ok bool) {
	if b == nil || c == nil || len(b.Plan) == 0 || len(c.Plan) == 0 {
		return Divergence{}, false
	}
	for i := 0; i < max(len(b.Plan), len(c.Plan)); i++ {
		if i < len(b.Plan) && i < len(c.Plan) && b.Plan[i] == c.Plan[i] {
			continue
		}
		return Divergence{Node: i + 1, Baseline: NodeName(b, i), Current: NodeName(c, i)}, true
	}
	return Divergence{}, false
}

// NodeName names the i-th node (from 0) of q's plan: its recorded name, or,
// for a plan recorded without node records, its shape line without the
// indentation, the parent relationship and the bracketed conditions.
// "(none)" when q has no such node.
func NodeName(q *Query, i int) string {
	switch {
	case q == nil || i < 0:
		return "(none)"
	case i < len(q.Nodes) && q.Nodes[i].Name != "":
		return q.Nodes[i].Name
	case i < len(q.Plan):
		return plan.ShapeName(q.Plan[i])
	}
	return "(none)"
}

func itoa(n int) string {
	return formatInt(float64(n))
}
