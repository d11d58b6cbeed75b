package gate

import (
	"github.com/plangate/plangate/internal/plan"

	"math"
	"slices"
)

// The named findings: what a reviewer would point at in a plan. Each is
// documented, with an example, in docs/findings.md.
const (
	// FindingSeqScan is a sequential scan of a large table that the baseline
	// read through an index.
	FindingSeqScan = "seq_scan"
	// FindingSpill is a sort, hash aggregate or other node that wrote
	// temporary files because its data outgrew work_mem.
	FindingSpill = "spill"
	// FindingHashBatches is a hash join whose hash table was split into
	// more than one batch, spilling both sides to disk.
	FindingHashBatches = "hash_batches"
	// FindingMisestimate is a node whose actual rows are off the planner's
	// estimate by a large factor.
	FindingMisestimate = "misestimate"
	// FindingNestedLoop is a nested loop whose inner side runs very many
	// times.
	FindingNestedLoop = "nested_loop"
	// FindingPartitionPruning is an Append that scans more partitions than
	// the baseline did: partition pruning was lost.
	FindingPartitionPruning = "partition_pruning"
	// FindingFilter is a scan that discards far more rows by its filter
	// than it returns.
	FindingFilter = "filter"
	// FindingBulkWrite is one statement that touches more rows or writes
	// more WAL than a budget: an unbatched bulk write.
	FindingBulkWrite = "bulk_write"
	// FindingNPlusOne is a test or endpoint that runs more statements than
	// in the baseline: an N+1 pattern. Its thresholds are the rule of the
	// query_count metric.
	FindingNPlusOne = "n_plus_one"
)

// FindingKinds returns every named finding, in the order docs/findings.md
// lists them.
func FindingKinds() []string {
	return []string{
		FindingSeqScan, FindingSpill, FindingHashBatches, FindingMisestimate, FindingNestedLoop,
		FindingPartitionPruning, FindingFilter, FindingBulkWrite, FindingNPlusOne,
	}
}

// SeverityOff turns a named finding off when used as its severity; an empty
// severity means the same.
const SeverityOff = "off"

// FindingRules configures the named findings. Each rule has a Severity (fail,
// warn, info, or off; empty is off, so a zero FindingRules reports nothing)
// and the thresholds past which the finding arises.
//
// A named finding is about a change: it is reported when the condition holds
// in the current plan and did not hold at the same node of the baseline (the
// node on the same shape line or, failing that, of the same name), or has
// since grown past a margin (see each rule). A plan that did not change
// raises none. A query without a baseline only ever warns: there is no change
// to blame.
type FindingRules struct {
	SeqScan          SeqScanRule
	Spill            SpillRule
	HashBatches      SpillRule
	Misestimate      MisestimateRule
	NestedLoop       NestedLoopRule
	PartitionPruning PartitionPruningRule
	Filter           FilterRule
	BulkWrite        BulkWriteRule
}

// SeqScanRule configures seq_scan: a Seq Scan reading at least MinRows rows
// (returned plus removed by its filter, over all loops) of a table that the
// baseline read only through an index.
type SeqScanRule struct {
	Severity string
	// MinRows is the smallest table, in rows read, worth an index.
	MinRows float64
}

// SpillRule configures spill and hash_batches: a node that spilled at least
// MinBytes has Severity; a smaller spill warns at most. A spill already in
// the baseline is reported again when it more than doubled and grew by
// MinBytes.
type SpillRule struct {
	Severity string
	MinBytes float64
}

// MisestimateRule configures misestimate: a node whose actual rows are off
// the estimate by more than Factor (both clamped to at least 1), where the
// larger of the two is at least MinRows. A misestimate already in the
// baseline is reported again when its factor grew tenfold.
type MisestimateRule struct {
	Severity string
	Factor   float64
	MinRows  float64
}

// NestedLoopRule configures nested_loop: a Nested Loop whose inner side runs
// at least MinLoops times. A loop count already past MinLoops in the
// baseline is reported again when it grew tenfold.
type NestedLoopRule struct {
	Severity string
	MinLoops float64
}

// PartitionPruningRule configures partition_pruning: an Append or
// MergeAppend that scans more of its partitions than the baseline scanned
// of the same ones.
type PartitionPruningRule struct {
	Severity string
}

// FilterRule configures filter: a scan whose filter removes more than Ratio
// rows for each row it returns, and at least MinRows rows over all loops.
// A ratio already past Ratio in the baseline is reported again when it grew
// tenfold.
type FilterRule struct {
	Severity string
	Ratio    float64
	MinRows  float64
}

// BulkWriteRule configures bulk_write: one INSERT, UPDATE, DELETE or MERGE
// touching more than Rows rows, or one statement of any kind writing more
// than WALBytes of WAL, where the baseline stayed within the budget. Zero
// turns a budget off.
type BulkWriteRule struct {
	Severity string
	Rows     float64
	WALBytes float64
}

// DefaultFindingRules returns the named findings' rules plangate applies
// when the configuration changes none. The findings that metrics already
// gate (misestimate, nested_loop, filter) warn, pointing at the node; the
// ones that mean a regression on their own fail.
func DefaultFindingRules() FindingRules {
	return FindingRules{
		// 10000 rows is about 100 pages of a narrow table: below that a
		// sequential scan costs about what an index scan does.
		SeqScan: SeqScanRule{Severity: SeverityFail, MinRows: 10000},
		// The temp_written_bytes rule's own absolute margin: a spill under
		// 8 MiB is worth seeing, not failing.
		Spill:       SpillRule{Severity: SeverityFail, MinBytes: 8 * mib},
		HashBatches: SpillRule{Severity: SeverityFail, MinBytes: 8 * mib},
		// The max_row_misestimate rule fails past 100x; this points at the
		// node. Under 1000 rows a wrong estimate rarely changes a plan.
		Misestimate: MisestimateRule{Severity: SeverityWarn, Factor: 100, MinRows: 1000},
		// Ten thousand index lookups are about 40000 buffer visits.
		NestedLoop:       NestedLoopRule{Severity: SeverityWarn, MinLoops: 10000},
		PartitionPruning: PartitionPruningRule{Severity: SeverityFail},
		// A scan that throws away 100 rows per row returned wants an index.
		Filter: FilterRule{Severity: SeverityWarn, Ratio: 100, MinRows: 10000},
		// The budgets the rows and wal_bytes rules hold new statements to.
		BulkWrite: BulkWriteRule{Severity: SeverityFail, Rows: 50000, WALBytes: 64 * mib},
	}
}

// nodeJudge holds what the node findings of one query look at.
type nodeJudge struct {
	b, c *Query
	// match[i] is the baseline node on the same shape line as current
	// node i, or -1.
	match []int
	// capWarn caps severities at warn: there is no baseline to compare
	// with, or it has no node records.
	capWarn bool
}

// nodeFindings returns the named findings about c's plan nodes and about c
// as a whole, against b (nil for a new query).
func nodeFindings(b, c *Query, rules FindingRules) []Finding {
	var out []Finding
	if len(c.Nodes) > 0 && len(c.Nodes) == len(c.Plan) {
		j := &nodeJudge{b: b, c: c, capWarn: b == nil || len(b.Nodes) == 0}
		if b != nil {
			j.match = MatchNodes(b.Plan, c.Plan)
		}
		out = append(out, j.seqScans(rules.SeqScan)...)
		out = append(out, j.spills(rules.Spill, rules.HashBatches)...)
		out = append(out, j.misestimates(rules.Misestimate)...)
		out = append(out, j.nestedLoops(rules.NestedLoop)...)
		out = append(out, j.partitionPruning(rules.PartitionPruning)...)
		out = append(out, j.filters(rules.Filter, out)...)
	}
	out = append(out, bulkWrites(b, c, rules.BulkWrite)...)
	return out
}

// baselineMeasure returns the measure of current node i's counterpart in
// the baseline: the node on the same shape line, or else the largest among
// the baseline's nodes of the same name; 0 when there is none. When the
// baseline has no node records, a node on an unchanged shape line counts as
// unchanged (+Inf: nothing to report).
func (j *nodeJudge) baselineMeasure(i int, measure func(n plan.NodeStat, nodes []plan.NodeStat, k int) float64) float64 {
	if j.b == nil {
		return 0
	}
	k := -1
	if j.match != nil {
		k = j.match[i]
	}
	if len(j.b.Nodes) != len(j.b.Plan) {
		if k >= 0 {
			return math.Inf(1)
		}
		return 0
	}
	if k >= 0 {
		return measure(j.b.Nodes[k], j.b.Nodes, k)
	}
	best := 0.0
	for k, n := range j.b.Nodes {
		if n.Name == j.c.Nodes[i].Name {
			best = max(best, measure(n, j.b.Nodes, k))
		}
	}
	return best
}

// arises reports whether a condition measuring cur now (past threshold)
// arose with the change: the baseline's measure base was not past the
// threshold, or cur is growth times base.
func arises(cur, base, threshold, growth float64) bool {
	if cur < threshold || cur <= 0 {
		return false
	}
	return base < threshold || cur >= growth*base
}

// finding builds a named finding about current node i.
func (j *nodeJudge) finding(kind, severity string, i int, base, cur, limit float64, message string) Finding {
	if j.capWarn {
		severity = capSeverity(severity, SeverityWarn)
	}
	return Finding{
		Metric: kind, Kind: kind, Severity: severity,
		Baseline: base, Current: cur, Limit: limit,
		Node: i + 1, NodeName: j.c.Nodes[i].Name,
		Message: "node " + itoa(i+1) + ": " + message,
	}
}

// enabled reports whether a severity turns its finding on.
func enabled(severity string) bool {
	return severity == SeverityFail || severity == SeverityWarn || severity == SeverityInfo
}

// capSeverity returns the milder of two severities.
func capSeverity(severity, ceiling string) string {
	if severityRank(severity) < severityRank(ceiling) {
		return ceiling
	}
	return severity
}

// severityRank orders severities, the most severe first.
func severityRank(s string) int {
	switch s {
	case SeverityFail:
		return 0
	case SeverityWarn:
		return 1
	case SeverityInfo:
		return 2
	}
	return 3
}

// mergeStatementFindings folds named findings about the whole statement
// into the metric findings they repeat: a rows or wal_bytes regression
// that is also a bulk write becomes one finding of kind bulk_write, with
// the more severe of the two severities.
func mergeStatementFindings(metric, named []Finding) []Finding {
	out := slices.Clone(metric)
	for _, f := range named {
		if f.Node != 0 {
			out = append(out, f)
			continue
		}
		i := slices.IndexFunc(out, func(m Finding) bool { return m.Metric == f.Metric && m.Kind == "" && m.Node == 0 })
		if i < 0 {
			out = append(out, f)
			continue
		}
		m := &out[i]
		m.Kind = f.Kind
		switch {
		case severityRank(f.Severity) < severityRank(m.Severity):
			m.Severity, m.Limit, m.Message = f.Severity, f.Limit, f.Message
		case m.Limit == 0:
			// A change past the rule's margins that is also past the
			// budget: say both.
			m.Limit = f.Limit
			m.Message += "; over the " + FormatValue(f.Metric, f.Limit) + " budget for one statement"
		}
	}
	return out
}
