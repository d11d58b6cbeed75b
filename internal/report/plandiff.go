package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// PlanDiff compares two plan shapes line by line and returns the lines of a
// unified diff without headers: " " for a line in both, "-" for a line only
// in baseline, "+" for a line only in current.
func PlanDiff(baseline, current []string) []string {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(joinLines(baseline), joinLines(current))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var out []string
	for _, d := range diffs {
		prefix := " "
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			prefix = "-"
		case diffmatchpatch.DiffInsert:
			prefix = "+"
		}
		for _, line := range strings.SplitAfter(d.Text, "\n") {
			if line == "" {
				continue
			}
			out = append(out, prefix+strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

// joinLines ends every line with a newline, so the last line compares like
// the others.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// divergence says where two plans part ways, e.g. "plans diverge at node 2:
// Index Scan using accounts_pkey on accounts -> Seq Scan on accounts"; empty
// when either side has no plan or they are the same.
func divergence(res gate.Result) string {
	d, ok := gate.Diverge(res.Baseline, res.Current)
	if !ok {
		return ""
	}
	return d.String()
}

// maxNodeDeltas caps the node changes a report lists for one query.
const maxNodeDeltas = 8

// NodeDeltas lists, for the nodes the baseline and current plans share (the
// same shape line), what changed notably between the two runs, one line per
// node in plan order: "node 2 HashAggregate: rows 10 -> 2,000,000;
// misestimate 1x -> 200x; temp 0 B -> 184 MB". Nodes only one plan has are
// in the plan diff instead. Small moves (under 50% or a few rows or blocks)
// are left out, so an unchanged plan lists nothing.
func NodeDeltas(b, c *gate.Query) []string {
	if b == nil || c == nil || len(b.Nodes) == 0 || len(c.Nodes) == 0 ||
		len(b.Nodes) != len(b.Plan) || len(c.Nodes) != len(c.Plan) {
		return nil
	}
	var out []string
	for i, k := range gate.MatchNodes(b.Plan, c.Plan) {
		if k < 0 {
			continue
		}
		bn, cn := b.Nodes[k], c.Nodes[i]
		var parts []string
		add := func(label, metric string, from, to, minAbs float64) {
			if math.Abs(to-from) < minAbs || math.Max(from, to) < 1.5*math.Min(from, to) {
				return
			}
			parts = append(parts, label+" "+gate.FormatValue(metric, from)+" -> "+gate.FormatValue(metric, to))
		}
		add("rows", gate.MetricRows, bn.TotalRows(), cn.TotalRows(), 10)
		add("loops", gate.MetricRows, bn.Loops, cn.Loops, 10)
		bf, _ := bn.Misestimate()
		cf, _ := cn.Misestimate()
		if max(bf, cf) >= 10 {
			add("misestimate", gate.MetricMaxRowMisestimate, bf, cf, 0)
		}
		add("removed by filter", gate.MetricRows, bn.RowsRemovedByFilter*bn.Loops, cn.RowsRemovedByFilter*cn.Loops, 1000)
		add("temp", gate.MetricTempWrittenBytes, nodeTemp(bn), nodeTemp(cn), 1<<20)
		add("blocks", gate.MetricSharedBlocks, bn.SharedBlocks, cn.SharedBlocks, 100)
		if len(parts) == 0 {
			continue
		}
		if len(out) == maxNodeDeltas {
			out = append(out, "…")
			break
		}
		out = append(out, fmt.Sprintf("node %d %s: %s", i+1, cn.Name, strings.Join(parts, "; ")))
	}
	return out
}

// nodeTemp is what a node wrote to temporary files: its spill, or else its
// own temp bytes.
func nodeTemp(n plan.NodeStat) float64 {
	return max(n.SpillBytes, n.TempWrittenBytes)
}

// maxDiffLines is the longest plan diff reports print whole; a longer one
// keeps only its changed lines and diffContext lines around each.
const (
	maxDiffLines = 40
	diffContext  = 2
)

// trimDiff shortens a long PlanDiff to its changes with some context,
// marking each gap with "…".
func trimDiff(diff []string) []string {
	if len(diff) <= maxDiffLines {
		return diff
	}
	keep := make([]bool, len(diff))
	for i, line := range diff {
		if strings.HasPrefix(line, " ") {
			continue
		}
		for j := max(0, i-diffContext); j <= min(len(diff)-1, i+diffContext); j++ {
			keep[j] = true
		}
	}
	var out []string
	gap := false
	for i, line := range diff {
		if !keep[i] {
			gap = true
			continue
		}
		if gap && len(out) > 0 {
			out = append(out, "…")
		}
		gap = false
		out = append(out, line)
	}
	if gap {
		out = append(out, "…")
	}
	return out
}
