package gate

import "strings"

// Node is what the gate knows about one plan node: what it is and what it
// did. Rows and rows removed are per loop, as EXPLAIN prints them; blocks,
// WAL, temp bytes and time are totals.
type Node struct {
	// Name names the node without its conditions, e.g.
	// "Index Scan using accounts_pkey on accounts".
	Name string
	// Type is the node type as EXPLAIN prints it: "Seq Scan", "Hash Join",
	// "Aggregate", ...
	Type string
	// Relation is the table the node scans or modifies; empty for other
	// nodes.
	Relation string
	// Index is the index the node uses, if any.
	Index string
	// Depth is the node's depth in the plan tree, the root at 0.
	Depth int
	// Relationship is how the parent uses the node: Outer, Inner, Member,
	// InitPlan ..., SubPlan ...; empty for the root.
	Relationship string
	// Cost is the planner's total cost of the node, per loop.
	Cost float64
	// PlanRows is the planner's row estimate, per loop.
	PlanRows float64
	// ActualRows is the rows the node returned, per loop.
	ActualRows float64
	// Loops is how many times the node ran; 0 when it never ran.
	Loops float64
	// MayStopEarly reports whether the node's parent may stop reading it
	// early (under a Limit, an InitPlan), so that fewer rows than planned
	// is no misestimate.
	MayStopEarly bool
	// SharedBlocks is the shared buffers hit plus read by the node and the
	// nodes below it.
	SharedBlocks float64
	// TempWrittenBytes is the temporary-file bytes the node wrote itself.
	TempWrittenBytes float64
	// WALBytes is the WAL the node and the nodes below it generated.
	WALBytes float64
	// RowsRemovedByFilter is the rows the node discarded by its Filter, per
	// loop.
	RowsRemovedByFilter float64
	// RowsRemovedByJoinFilter is the rows a join discarded by its Join
	// Filter, per loop.
	RowsRemovedByJoinFilter float64
	// HashBatches is the number of batches of a Hash node or a hash
	// aggregate; 0 for other nodes.
	HashBatches int
	// SubplansRemoved is the number of partitions an Append or MergeAppend
	// pruned at executor startup.
	SubplansRemoved int
	// Spill describes the node's spill to disk, e.g.
	// "Sort (external merge) spilled 65 MB to disk"; empty when none.
	Spill string
	// SpillBytes is the size of that spill; for a hash join it includes its
	// Hash node's.
	SpillBytes float64
	// TimeMS is the time spent in the node and below it over all loops, in
	// milliseconds; it varies from run to run, is never stored in baselines
	// and never judged.
	TimeMS float64
}

// TotalRows is the rows the node returned over all its loops.
func (n Node) TotalRows() float64 {
	return n.ActualRows * n.Loops
}

// Misestimate returns how far the planner's row estimate was off at this
// node, as a factor of at least 1, and whether it expected too few rows
// (under) rather than too many. Both row counts are clamped to at least 1.
// A node that never ran has no misestimate (factor 0); a node whose parent
// may stop reading early only counts when it returned more than planned.
func (n Node) Misestimate() (factor float64, under bool) {
	if n.Loops <= 0 {
		return 0, false
	}
	planned, actual := max(n.PlanRows, 1), max(n.ActualRows, 1)
	if actual >= planned {
		return actual / planned, actual > planned
	}
	if n.MayStopEarly {
		return 1, false
	}
	return planned / actual, false
}

// children returns the positions of the nodes directly below node i.
func children(nodes []Node, i int) []int {
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
		return ShapeName(q.Plan[i])
	}
	return "(none)"
}

// ShapeName reduces a shape line to the node's name: "  Inner: Index Scan
// using users_pkey on users u [Index Cond: (id = o.user_id)]" becomes
// "Index Scan using users_pkey on users u".
func ShapeName(line string) string {
	s := strings.TrimLeft(line, " ")
	if rel, rest, found := strings.Cut(s, ": "); found && isRelationship(rel) {
		s = rest
	}
	if i := strings.Index(s, " ["); i >= 0 {
		s = s[:i]
	}
	return s
}

// ShapeDepth is the depth of a shape line: two spaces per level.
func ShapeDepth(line string) int {
	return (len(line) - len(strings.TrimLeft(line, " "))) / 2
}

// ShapeRelationship is the parent relationship a shape line starts with
// (Outer, Inner, Member, InitPlan 1 (returns $0), CTE x, ...), or "".
func ShapeRelationship(line string) string {
	rel, _, found := strings.Cut(strings.TrimLeft(line, " "), ": ")
	if found && isRelationship(rel) {
		return rel
	}
	return ""
}

func isRelationship(s string) bool {
	switch s {
	case "Outer", "Inner", "Member", "Subquery", "InitPlan", "SubPlan":
		return true
	}
	return strings.HasPrefix(s, "InitPlan ") || strings.HasPrefix(s, "SubPlan ") || strings.HasPrefix(s, "CTE ")
}

func itoa(n int) string {
	return formatInt(float64(n))
}
