package plan

// Metrics maps metric names (the Metric... constants) to values. A metric
// the plan cannot give (buffers of a plan run without BUFFERS, anything
// measured of an estimate-only plan) is absent, not zero.
type Metrics map[string]float64

// The metric names. They are a contract: reports, baselines and
// configuration files use them.
const (
	// MetricTotalCost is the planner's total cost of the root node.
	MetricTotalCost = "total_cost"
	// MetricTempWrittenBytes is the temporary-file bytes the statement wrote.
	MetricTempWrittenBytes = "temp_written_bytes"
	// MetricTempReadBytes is the temporary-file bytes the statement read.
	MetricTempReadBytes = "temp_read_bytes"
	// MetricSharedBlocks is the shared buffers hit plus read by the execution
	// (planning left out).
	MetricSharedBlocks = "shared_blocks"
	// MetricWALBytes is the WAL the statement generated, in bytes.
	MetricWALBytes = "wal_bytes"
	// MetricRows is the rows the statement returned or, for an INSERT,
	// UPDATE, DELETE or MERGE without RETURNING, the rows it changed.
	MetricRows = "rows"
	// MetricMaxRowMisestimate is the worst ratio between planned and actual
	// rows over the executed nodes, at least 1.
	MetricMaxRowMisestimate = "max_row_misestimate"
	// MetricExecutionMS is the execution time in milliseconds.
	MetricExecutionMS = "execution_ms"
	// MetricPlanningMS is the planning time in milliseconds.
	MetricPlanningMS = "planning_ms"
)

// MetricNames returns the names of every metric Metrics can produce, in a
// stable order.
func MetricNames() []string {
	return []string{
		MetricTotalCost,
		MetricTempWrittenBytes,
		MetricTempReadBytes,
		MetricSharedBlocks,
		MetricWALBytes,
		MetricRows,
		MetricMaxRowMisestimate,
		MetricExecutionMS,
		MetricPlanningMS,
	}
}

// Metrics derives the plan's metrics. blockSize is the server's block size
// in bytes (SHOW block_size); zero or less means DefaultBlockSize.
//
// Block and WAL counts are read from the root node, because EXPLAIN prints
// them cumulatively: a node's counts include its children's. Work done after
// the plan has run (AFTER triggers such as foreign-key checks) is not in
// them. An estimate-only plan yields total_cost alone.
//
// max_row_misestimate compares each executed node's Plan Rows with its
// Actual Rows (both per loop), each clamped to at least 1, in both
// directions. A node whose parent may stop reading early (below a Limit, the
// inner side of a semi or anti join, a merge join's inputs, an InitPlan or
// SubPlan) legitimately returns fewer rows than planned; for those nodes only
// an underestimate counts.
func (p *Plan) Metrics(blockSize int) Metrics {
	if p == nil || p.Root == nil {
		return Metrics{}
	}
	bs := float64(blockSizeOrDefault(blockSize))
	root := p.Root
	m := Metrics{MetricTotalCost: root.TotalCost}
	if !p.Analyzed {
		return m
	}
	m[MetricRows] = rowsOf(root)
	m[MetricMaxRowMisestimate] = maxMisestimate(p)
	m[MetricExecutionMS] = p.ExecutionMS
	m[MetricPlanningMS] = p.PlanningMS
	if p.HasBuffers {
		m[MetricTempWrittenBytes] = float64(root.TempWrittenBlocks) * bs
		m[MetricTempReadBytes] = float64(root.TempReadBlocks) * bs
		m[MetricSharedBlocks] = float64(root.SharedHitBlocks + root.SharedReadBlocks)
	}
	if p.HasWAL {
		m[MetricWALBytes] = float64(root.WALBytes)
	}
	return m
}

func blockSizeOrDefault(blockSize int) int {
	if blockSize <= 0 {
		return DefaultBlockSize
	}
	return blockSize
}

// rowsOf is the rows a statement returned or, for a ModifyTable without
// RETURNING (which returns nothing), the rows it changed.
func rowsOf(root *Node) float64 {
	returned := root.ActualRows * root.ActualLoops
	if root.NodeType != "ModifyTable" || returned > 0 {
		return returned
	}
	// MERGE counts what each action did; the input also holds source rows
	// no action matched.
	if root.Operation == "Merge" {
		if n, ok := sumExtra(root, "Tuples Inserted", "Tuples Updated", "Tuples Deleted"); ok {
			return n
		}
	}
	// INSERT ... ON CONFLICT: conflicting rows were skipped (DO NOTHING) or
	// updated (DO UPDATE).
	if n, ok := sumExtra(root, "Tuples Inserted"); ok {
		if root.Extra["Conflict Resolution"] == "UPDATE" {
			c, _ := sumExtra(root, "Conflicting Tuples")
			n += c
		}
		return n
	}
	var input float64
	for _, c := range root.Plans {
		// Outer since PostgreSQL 14; Member (one per table) before.
		if c.ParentRelationship == "Outer" || c.ParentRelationship == "Member" {
			input += c.ActualRows * c.ActualLoops
		}
	}
	return input
}

// sumExtra adds up numeric Extra keys; ok is false when none is present.
func sumExtra(n *Node, keys ...string) (sum float64, ok bool) {
	for _, k := range keys {
		if v, found := n.Extra[k].(float64); found {
			sum += v
			ok = true
		}
	}
	return sum, ok
}

func maxMisestimate(p *Plan) float64 {
	worst := 1.0
	for _, n := range p.NodeStats(0) {
		f, _ := n.Misestimate()
		worst = max(worst, f)
	}
	return worst
}

// childMayStopEarly reports whether parent may stop reading child before
// child has returned all its rows.
func childMayStopEarly(parent, child *Node, parentMayStopEarly bool) bool {
	switch {
	case child.ParentRelationship == "InitPlan" || child.ParentRelationship == "SubPlan":
		// EXISTS, ANY and scalar subqueries stop at the first or second row.
		return true
	case parent.NodeType == "Limit":
		return true
	case readsWholeInput(parent):
		return false
	case parent.NodeType == "Merge Join":
		return true
	case (parent.JoinType == "Semi" || parent.JoinType == "Anti") && child.ParentRelationship == "Inner":
		return true
	default:
		return parentMayStopEarly
	}
}

// readsWholeInput reports whether a node consumes all of its input before it
// returns its first row, whatever its own parent does.
func readsWholeInput(n *Node) bool {
	switch n.NodeType {
	case "Sort", "Hash", "ModifyTable":
		return true
	case "Aggregate":
		return n.Strategy != "Sorted"
	case "SetOp":
		return n.Strategy == "Hashed"
	default:
		return false
	}
}
