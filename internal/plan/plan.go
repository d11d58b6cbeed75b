// Package plan turns the JSON that PostgreSQL prints for
// EXPLAIN (ANALYZE, BUFFERS, WAL, SETTINGS, FORMAT JSON), or for a plain
// estimate-only EXPLAIN (FORMAT JSON), into a typed plan tree, and derives
// from it the metrics the gate compares, the nodes that spilled to disk and a
// normalized shape for plan diffs. It is pure: no I/O.
package plan

// DefaultBlockSize is PostgreSQL's default block size (BLCKSZ) in bytes. Block
// counts in EXPLAIN are multiplied by the server's block size to get bytes;
// Metrics and Spills use this value when given a block size of zero or less.
const DefaultBlockSize = 8192

// Plan is one parsed EXPLAIN document.
type Plan struct {
	// Root is the top plan node; it is never nil in a Plan returned by Parse.
	Root *Node
	// Analyzed reports whether the plan was executed (EXPLAIN ANALYZE): the
	// nodes then carry actual rows, loops and times.
	Analyzed bool
	// HasBuffers reports whether the nodes carry block counts (BUFFERS).
	HasBuffers bool
	// HasWAL reports whether the nodes carry WAL usage (WAL).
	HasWAL bool
	// PlanningMS is "Planning Time" in milliseconds (0 when absent).
	PlanningMS float64
	// ExecutionMS is "Execution Time" in milliseconds (0 when absent).
	ExecutionMS float64
	// Settings holds the non-default planner settings (SETTINGS), e.g.
	// work_mem; nil when the output has none.
	Settings map[string]string
	// Triggers lists the triggers that fired, foreign-key checks included.
	// Their work happens after the plan has run and is not part of the
	// nodes' buffers or WAL.
	Triggers []Trigger
	// Planning holds the buffers used by planning itself (the "Planning"
	// section printed with BUFFERS), nil when absent. Metrics leave it out.
	Planning *Buffers
	// PlanningMemory is the memory planning used (EXPLAIN's MEMORY option,
	// PostgreSQL 17 on), nil when absent.
	PlanningMemory *Memory
	// Serialization is the cost of converting the result to the wire
	// format (EXPLAIN's SERIALIZE option, PostgreSQL 17 on), nil when
	// absent.
	Serialization *Serialization
	// Extra holds the top-level keys this package does not model (JIT, ...),
	// with numbers as float64.
	Extra map[string]any
}

// Trigger is one entry of the "Triggers" list of EXPLAIN ANALYZE.
type Trigger struct {
	Name           string
	ConstraintName string
	Relation       string
	// TimeMS is the total time spent in the trigger, in milliseconds.
	TimeMS float64
	Calls  int64
}

// Memory is the memory a step used, as EXPLAIN (MEMORY) prints it.
type Memory struct {
	// UsedKB and AllocatedKB are "Memory Used" and "Memory Allocated", in kB.
	UsedKB, AllocatedKB int64
}

// Serialization is what EXPLAIN (ANALYZE, SERIALIZE) reports of turning the
// result rows into the bytes a client would receive.
type Serialization struct {
	// TimeMS is the time spent serializing, in milliseconds.
	TimeMS float64
	// OutputKB is the volume of the serialized output, in kB.
	OutputKB int64
	// Format is "text" or "binary".
	Format string
	// Buffers are the blocks read to serialize (detoasting), with BUFFERS.
	Buffers
}

// Buffers are the block counts printed with BUFFERS. On a node they are
// cumulative: they include the blocks of all the nodes below it.
type Buffers struct {
	SharedHitBlocks     int64
	SharedReadBlocks    int64
	SharedDirtiedBlocks int64
	SharedWrittenBlocks int64
	LocalHitBlocks      int64
	LocalReadBlocks     int64
	LocalDirtiedBlocks  int64
	LocalWrittenBlocks  int64
	TempReadBlocks      int64
	TempWrittenBlocks   int64
}

// Node is one plan node. Fields are zero when EXPLAIN did not print them;
// costs and Plan Rows are per loop, as are Actual Rows and times.
type Node struct {
	NodeType string
	// Strategy is Plain, Sorted, Hashed or Mixed for Aggregate and SetOp.
	Strategy string
	// JoinType is Inner, Left, Full, Right, Semi, Anti, ... for joins.
	JoinType string
	// PartialMode is Simple, Partial or Finalize for aggregates.
	PartialMode string
	// ParentRelationship is Outer, Inner, Member, Subquery, InitPlan or
	// SubPlan: how the parent uses this node.
	ParentRelationship string
	// SubplanName names an InitPlan, SubPlan or CTE, e.g. "InitPlan 1 (returns $0)".
	SubplanName   string
	ParallelAware bool
	// ScanDirection is Forward, Backward or NoMovement for index scans.
	ScanDirection string
	RelationName  string
	// Schema is only printed with VERBOSE.
	Schema       string
	Alias        string
	IndexName    string
	CTEName      string
	FunctionName string
	// Operation is Insert, Update, Delete or Merge for ModifyTable.
	Operation string

	StartupCost float64
	TotalCost   float64
	PlanRows    float64
	PlanWidth   int

	ActualStartupTime float64
	ActualTotalTime   float64
	// ActualRows is the average number of rows per loop; PostgreSQL 18
	// prints it with two decimals.
	ActualRows float64
	// ActualLoops is 0 for a node that was never executed.
	ActualLoops float64
	// Disabled reports that the node is of a kind the planner was told not
	// to use (enable_seqscan = off, ...) and took anyway, for want of
	// another (PostgreSQL 18 on).
	Disabled bool
	// DisabledNodes is the number of disabled nodes at or below this one,
	// where the server prints that count ("Disabled Nodes").
	DisabledNodes int

	SortKey []string
	// SortMethod is quicksort, top-N heapsort, external sort, external merge, ...
	SortMethod string
	// SortSpaceUsed is in kB; on disk (SortSpaceType "Disk") it is the peak
	// size of the sort's temporary files.
	SortSpaceUsed int64
	// SortSpaceType is Memory or Disk.
	SortSpaceType string
	GroupKey      []string

	HashCond    string
	IndexCond   string
	Filter      string
	JoinFilter  string
	MergeCond   string
	RecheckCond string

	RowsRemovedByFilter     float64
	RowsRemovedByJoinFilter float64

	HashBuckets         int
	OriginalHashBuckets int
	HashBatches         int
	OriginalHashBatches int
	// PeakMemoryUsage is in kB (Hash, HashAggregate, Memoize).
	PeakMemoryUsage int64
	// DiskUsage is the peak size of a HashAggregate's temporary files, in kB.
	DiskUsage      int64
	HashAggBatches int

	Buffers

	WALRecords int64
	WALFPI     int64
	WALBytes   int64
	// WALBuffersFull is the number of times the WAL buffers were full and
	// had to be written out (PostgreSQL 18 on).
	WALBuffersFull int64

	// IndexSearches is the number of index descents of an index scan over
	// all loops (PostgreSQL 18 on; more than the loops under skip scans and
	// ScalarArrayOp conditions).
	IndexSearches int64
	// StorageType is Memory or Disk: where a Materialize, CTE Scan,
	// WindowAgg or Table Function Scan kept its tuples (PostgreSQL 18 on);
	// MaxStorage is its peak size in kB.
	StorageType string
	MaxStorage  int64

	// CacheHits, CacheMisses, CacheEvictions and CacheOverflows are a
	// Memoize node's cache statistics.
	CacheHits, CacheMisses, CacheEvictions, CacheOverflows int64

	// SubplansRemoved is the number of partitions an Append or MergeAppend
	// pruned at executor startup.
	SubplansRemoved int
	WorkersPlanned  int
	WorkersLaunched int

	Plans []*Node

	// Extra holds every key this package does not model, with numbers as
	// float64.
	Extra map[string]any
}

// Walk calls fn for every node of the plan, parents before children, with
// the root at depth 0.
func (p *Plan) Walk(fn func(n *Node, depth int)) {
	if p == nil {
		return
	}
	p.Root.Walk(fn)
}

// Walk calls fn for n and every node below it, parents before children,
// with n at depth 0.
func (n *Node) Walk(fn func(n *Node, depth int)) {
	walk(n, 0, fn)
}

func walk(n *Node, depth int, fn func(*Node, int)) {
	if n == nil {
		return
	}
	fn(n, depth)
	for _, c := range n.Plans {
		walk(c, depth+1, fn)
	}
}

// OwnTempWrittenBlocks is the number of temporary-file blocks this node wrote
// itself: its cumulative Temp Written Blocks less those of its children,
// never below zero (a CTE's blocks are counted under both its CTE Scan and
// its InitPlan).
func (n *Node) OwnTempWrittenBlocks() int64 {
	own := n.TempWrittenBlocks
	for _, c := range n.Plans {
		own -= c.TempWrittenBlocks
	}
	return max(own, 0)
}
