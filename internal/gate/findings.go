package gate

import (
	"fmt"
	"maps"
	"strings"

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

// DefaultFindingRules returns the named findings' rules plangate applies
// when the configuration changes none (each finding's file says why its
// defaults are what they are). The findings that metrics already gate
// (misestimate, nested_loop, filter) warn, pointing at the node; the ones
// that mean a regression on their own fail.
func DefaultFindingRules() FindingRules {
	return FindingRules{
		SeqScan:          defaultSeqScanRule(),
		Spill:            defaultSpillRule(),
		HashBatches:      defaultSpillRule(),
		Misestimate:      defaultMisestimateRule(),
		NestedLoop:       defaultNestedLoopRule(),
		PartitionPruning: defaultPartitionPruningRule(),
		Filter:           defaultFilterRule(),
		BulkWrite:        defaultBulkWriteRule(),
	}
}

// tunable is a named finding's rule as plangate.yaml sets it: its severity
// and its options by their keys.
type tunable interface {
	tune() (severity *string, options map[string]*float64)
}

// byKind lists the rules by finding kind.
func (r *FindingRules) byKind() map[string]tunable {
	return map[string]tunable{
		FindingSeqScan:          &r.SeqScan,
		FindingSpill:            &r.Spill,
		FindingHashBatches:      &r.HashBatches,
		FindingMisestimate:      &r.Misestimate,
		FindingNestedLoop:       &r.NestedLoop,
		FindingPartitionPruning: &r.PartitionPruning,
		FindingFilter:           &r.Filter,
		FindingBulkWrite:        &r.BulkWrite,
	}
}

// Configure sets the rule of finding kind as plangate.yaml's findings
// section does: its severity, unless empty, and the options given by key.
// It fails on an unknown kind, severity or option, saying what is known.
func (r *FindingRules) Configure(kind, severity string, options map[string]float64) error {
	if kind == FindingNPlusOne {
		return fmt.Errorf("n_plus_one is tuned by thresholds.query_count")
	}
	rule, ok := r.byKind()[kind]
	if !ok {
		return fmt.Errorf("unknown kind %q: use one of %s", kind, strings.Join(FindingKinds(), ", "))
	}
	sev, fields := rule.tune()
	if severity != "" {
		if !slices.Contains([]string{SeverityFail, SeverityWarn, SeverityInfo, SeverityOff}, severity) {
			return fmt.Errorf("%s: severity %q: use fail, warn, info or off", kind, severity)
		}
		*sev = severity
	}
	keys := slices.Sorted(maps.Keys(options))
	for _, key := range keys {
		field, ok := fields[key]
		if !ok {
			takes := append([]string{"severity"}, slices.Sorted(maps.Keys(fields))...)
			return fmt.Errorf("%s takes no %s (it takes %s)", kind, key, strings.Join(takes, ", "))
		}
		*field = options[key]
	}
	return nil
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
	if SeverityRank(severity) < SeverityRank(ceiling) {
		return ceiling
	}
	return severity
}

// SeverityRank orders severities, the most severe first.
func SeverityRank(s string) int {
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
		case SeverityRank(f.Severity) < SeverityRank(m.Severity):
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
