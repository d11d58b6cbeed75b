package gate

import (
	"fmt"

	"github.com/plangate/plangate/internal/plan"
)

// SpillRule configures spill and hash_batches: a node that spilled at least
// MinBytes has Severity; a smaller spill warns at most. A spill already in
// the baseline is reported again when it more than doubled and grew by
// MinBytes.
type SpillRule struct {
	Severity string
	MinBytes float64
}

func defaultSpillRule() SpillRule {
	// The temp_written_bytes rule's own absolute margin: a spill under
	// 8 MiB is worth seeing, not failing.
	return SpillRule{Severity: SeverityFail, MinBytes: 8 * mib}
}

func (r *SpillRule) tune() (*string, map[string]*float64) {
	return &r.Severity, map[string]*float64{"min_bytes": &r.MinBytes}
}

// spills finds nodes that spilled to disk where the baseline's did not, or
// whose spill more than doubled: hash joins split into batches
// (hash_batches) and every other spill (spill).
func (j *nodeJudge) spills(spill, hash SpillRule) []Finding {
	var out []Finding
	for i, n := range j.c.Nodes {
		if n.Spill == "" {
			continue
		}
		if batches := hashJoinBatches(j.c.Nodes, i); batches > 1 {
			if f, ok := j.hashBatches(hash, i, batches); ok {
				out = append(out, f)
			}
			continue
		}
		if !enabled(spill.Severity) {
			continue
		}
		cur := max(n.SpillBytes, 1) // a spill of unknown size still spilled
		base := j.baselineMeasure(i, func(bn plan.NodeStat, _ []plan.NodeStat, _ int) float64 {
			if bn.Spill == "" {
				return 0
			}
			return max(bn.SpillBytes, 1)
		})
		if !spillArises(cur, base, spill.MinBytes) {
			continue
		}
		was := "the baseline did not spill"
		if base > 0 {
			was = "the baseline spilled " + FormatValue(MetricTempWrittenBytes, base)
		}
		msg := fmt.Sprintf("%s (%s): its data outgrew work_mem; %s", n.Spill, was, spillAdvice(n))
		out = append(out, j.finding(FindingSpill, spillSeverity(spill, cur), i, base, cur, spill.MinBytes, msg))
	}
	return out
}

// hashBatches judges a hash join whose hash table took batches batches.
func (j *nodeJudge) hashBatches(r SpillRule, i, batches int) (Finding, bool) {
	if !enabled(r.Severity) {
		return Finding{}, false
	}
	n := j.c.Nodes[i]
	cur := max(n.SpillBytes, 1)
	base := j.baselineMeasure(i, func(bn plan.NodeStat, nodes []plan.NodeStat, k int) float64 {
		if hashJoinBatches(nodes, k) <= 1 {
			return 0
		}
		return max(bn.SpillBytes, 1)
	})
	if !spillArises(cur, base, r.MinBytes) {
		return Finding{}, false
	}
	inner := "its inner side"
	for _, c := range children(j.c.Nodes, i) {
		if h := j.c.Nodes[c]; h.Type == "Hash" {
			inner = fmt.Sprintf("its inner side (%s rows", FormatValue(MetricRows, h.TotalRows()))
			if f, under := h.Misestimate(); under && f >= 2 {
				inner += ", planned " + FormatValue(MetricRows, h.PlanRows*max(h.Loops, 1))
			}
			inner += ")"
		}
	}
	was := "the baseline hashed in one batch"
	if base > 0 {
		was = "the baseline spilled " + FormatValue(MetricTempWrittenBytes, base)
	}
	size := ""
	if n.SpillBytes > 0 {
		size = " and spilled " + FormatValue(MetricTempWrittenBytes, n.SpillBytes) + " to disk"
	}
	msg := fmt.Sprintf("%s split its hash table into %d batches%s (%s): %s outgrew work_mem; "+
		"join fewer rows, hash the smaller side, or raise work_mem for this query", n.Name, batches, size, was, inner)
	return j.finding(FindingHashBatches, spillSeverity(r, cur), i, base, cur, r.MinBytes, msg), true
}

// spillArises reports whether a spill of cur bytes is new, or more than
// doubled and grew by at least minBytes since the baseline's base.
func spillArises(cur, base, minBytes float64) bool {
	return base <= 0 || (cur >= 2*base && cur-base >= minBytes)
}

// spillSeverity is the rule's severity for a spill of at least MinBytes;
// a smaller spill warns at most.
func spillSeverity(r SpillRule, bytes float64) string {
	if bytes >= r.MinBytes {
		return r.Severity
	}
	return capSeverity(r.Severity, SeverityWarn)
}

// hashJoinBatches returns the batches of the Hash node under hash join i,
// or 0 when i is not a hash join.
func hashJoinBatches(nodes []plan.NodeStat, i int) int {
	if nodes[i].Type != "Hash Join" {
		return 0
	}
	for _, c := range children(nodes, i) {
		if nodes[c].Type == "Hash" {
			return nodes[c].HashBatches
		}
	}
	return 0
}

func spillAdvice(n plan.NodeStat) string {
	switch n.Type {
	case "Sort", "Incremental Sort":
		return "sort fewer rows (filter first, or read them in order from an index) or raise work_mem for this query"
	case "Aggregate", "SetOp":
		return "aggregate fewer rows or groups, or raise work_mem for this query"
	}
	return "process fewer rows here or raise work_mem for this query"
}
