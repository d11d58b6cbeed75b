package gate

import (
	"fmt"

	"github.com/plangate/plangate/internal/plan"
)

// NestedLoopRule configures nested_loop: a Nested Loop whose inner side runs
// at least MinLoops times. A loop count already past MinLoops in the
// baseline is reported again when it grew tenfold.
type NestedLoopRule struct {
	Severity string
	MinLoops float64
}

func defaultNestedLoopRule() NestedLoopRule {
	// Ten thousand index lookups are about 40000 buffer visits.
	return NestedLoopRule{Severity: SeverityWarn, MinLoops: 10000}
}

func (r *NestedLoopRule) tune() (*string, map[string]*float64) {
	return &r.Severity, map[string]*float64{"min_loops": &r.MinLoops}
}

// nestedLoops finds nested loops whose inner side runs at least the rule's
// number of times.
func (j *nodeJudge) nestedLoops(r NestedLoopRule) []Finding {
	if !enabled(r.Severity) {
		return nil
	}
	var out []Finding
	for i, n := range j.c.Nodes {
		inner := innerChild(j.c.Nodes, i)
		if n.Type != "Nested Loop" || inner < 0 {
			continue
		}
		loops := j.c.Nodes[inner].Loops
		base := j.baselineMeasure(i, func(bn plan.NodeStat, nodes []plan.NodeStat, k int) float64 {
			if bn.Type != "Nested Loop" {
				return 0
			}
			if in := innerChild(nodes, k); in >= 0 {
				return nodes[in].Loops
			}
			return 0
		})
		if !arises(loops, base, r.MinLoops, 10) {
			continue
		}
		outer := "the outer side"
		for _, c := range children(j.c.Nodes, i) {
			if o := j.c.Nodes[c]; o.Relationship == "Outer" {
				outer = fmt.Sprintf("the outer side returned %s (planned %s)",
					rowsText(o.TotalRows()), FormatValue(MetricRows, o.PlanRows*max(o.Loops, 1)))
			}
		}
		was := ""
		if base > 0 {
			was = fmt.Sprintf(", %s in the baseline", FormatValue(MetricRows, base))
		}
		msg := fmt.Sprintf("%s runs its inner %s %s times%s, once per outer row: %s; "+
			"a hash or merge join would read the inner side once",
			n.Name, j.c.Nodes[inner].Name, FormatValue(MetricRows, loops), was, outer)
		out = append(out, j.finding(FindingNestedLoop, r.Severity, i, base, loops, r.MinLoops, msg))
	}
	return out
}

// innerChild returns the position of node i's inner child, or -1.
func innerChild(nodes []plan.NodeStat, i int) int {
	for _, c := range children(nodes, i) {
		if nodes[c].Relationship == "Inner" {
			return c
		}
	}
	return -1
}
