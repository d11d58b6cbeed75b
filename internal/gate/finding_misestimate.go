package gate

import (
	"fmt"

	"github.com/plangate/plangate/internal/plan"
)

// MisestimateRule configures misestimate: a node whose actual rows are off
// the estimate by more than Factor (both clamped to at least 1), where the
// larger of the two is at least MinRows. A misestimate already in the
// baseline is reported again when its factor grew tenfold.
type MisestimateRule struct {
	Severity string
	Factor   float64
	MinRows  float64
}

func defaultMisestimateRule() MisestimateRule {
	// The max_row_misestimate rule fails past 100x; this points at the
	// node. Under 1000 rows a wrong estimate rarely changes a plan.
	return MisestimateRule{Severity: SeverityWarn, Factor: 100, MinRows: 1000}
}

func (r *MisestimateRule) tune() (*string, map[string]*float64) {
	return &r.Severity, map[string]*float64{"factor": &r.Factor, "min_rows": &r.MinRows}
}

// misestimates finds nodes whose actual rows are off the planner's estimate
// by more than the rule's factor. A misestimate carries up the tree (a join
// over a misestimated scan is misestimated too), so only the lowest such
// nodes are reported: that is where the estimate went wrong.
func (j *nodeJudge) misestimates(r MisestimateRule) []Finding {
	if !enabled(r.Severity) {
		return nil
	}
	nodes := j.c.Nodes
	var candidates []int
	for i, n := range nodes {
		f, _ := n.Misestimate()
		if f <= r.Factor || max(n.PlanRows, n.ActualRows) < r.MinRows {
			continue
		}
		base := j.baselineMeasure(i, func(bn plan.NodeStat, _ []plan.NodeStat, _ int) float64 {
			f, _ := bn.Misestimate()
			return f
		})
		if base > r.Factor && f < 10*base {
			continue
		}
		candidates = append(candidates, i)
	}
	var out []Finding
	for ci, i := range candidates {
		lowest := true
		for _, k := range candidates[ci+1:] {
			if isBelow(nodes, k, i) {
				lowest = false
				break
			}
		}
		if !lowest {
			continue
		}
		n := nodes[i]
		f, under := n.Misestimate()
		base := j.baselineMeasure(i, func(bn plan.NodeStat, _ []plan.NodeStat, _ int) float64 {
			f, _ := bn.Misestimate()
			return f
		})
		direction := "too many"
		if under {
			direction = "too few"
		}
		perLoop := ""
		if n.Loops > 1 {
			perLoop = " per loop"
		}
		msg := fmt.Sprintf("%s returned %s%s where the planner expected %s (%sx %s): "+
			"the join and scan choices above it rest on that estimate; check the statistics (ANALYZE, or CREATE STATISTICS for correlated columns)",
			n.Name, rowsText(n.ActualRows), perLoop, rowsText(n.PlanRows), formatInt(f), direction)
		out = append(out, j.finding(FindingMisestimate, r.Severity, i, base, f, r.Factor, msg))
	}
	return out
}

// isBelow reports whether node k is in the subtree under node i.
func isBelow(nodes []plan.NodeStat, k, i int) bool {
	if k <= i {
		return false
	}
	for m := i + 1; m <= k; m++ {
		if nodes[m].Depth <= nodes[i].Depth {
			return false
		}
	}
	return true
}

// rowsText renders a row count with its noun: "1 row", "1,000 rows".
func rowsText(v float64) string {
	s := FormatValue(MetricRows, v)
	if s == "1" {
		return "1 row"
	}
	return s + " rows"
}
