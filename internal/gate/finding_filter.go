package gate

import (
	"fmt"
	"slices"

	"github.com/plangate/plangate/internal/plan"
)

// FilterRule configures filter: a scan whose filter removes more than Ratio
// rows for each row it returns, and at least MinRows rows over all loops.
// A ratio already past Ratio in the baseline is reported again when it grew
// tenfold.
type FilterRule struct {
	Severity string
	Ratio    float64
	MinRows  float64
}

func defaultFilterRule() FilterRule {
	// A scan that throws away 100 rows per row returned wants an index.
	return FilterRule{Severity: SeverityWarn, Ratio: 100, MinRows: 10000}
}

func (r *FilterRule) tune() (*string, map[string]*float64) {
	return &r.Severity, map[string]*float64{"ratio": &r.Ratio, "min_rows": &r.MinRows}
}

// filters finds scans whose filter discards far more rows than they
// return. A scan that prior findings already explain is left out: a lost
// index scan, or a partition scanned because pruning was lost.
func (j *nodeJudge) filters(r FilterRule, prior []Finding) []Finding {
	if !enabled(r.Severity) {
		return nil
	}
	var out []Finding
	for i, n := range j.c.Nodes {
		if n.RowsRemovedByFilter*n.Loops < r.MinRows {
			continue
		}
		ratio := filterRatio(n)
		if ratio <= r.Ratio {
			continue
		}
		if explained(prior, j.c.Nodes, i) {
			continue
		}
		base := j.baselineMeasure(i, func(bn plan.NodeStat, _ []plan.NodeStat, _ int) float64 {
			if bn.RowsRemovedByFilter*bn.Loops < r.MinRows {
				return 0
			}
			return filterRatio(bn)
		})
		if base > r.Ratio && ratio < 10*base {
			continue
		}
		msg := fmt.Sprintf("%s discards %s by its filter to return %s (%s for each row returned): "+
			"an index on the filtered columns would read only the rows it returns",
			n.Name, rowsText(n.RowsRemovedByFilter*n.Loops), FormatValue(MetricRows, n.TotalRows()), formatInt(ratio))
		out = append(out, j.finding(FindingFilter, r.Severity, i, base, ratio, r.Ratio, msg))
	}
	return out
}

// filterRatio is the rows a node's filter removed for each row it returned
// (at least one).
func filterRatio(n plan.NodeStat) float64 {
	return n.RowsRemovedByFilter / max(n.ActualRows, 1)
}

// explained reports whether prior findings already explain the rows node i
// discards: it is a lost index scan itself, or a partition under an Append
// that lost its pruning.
func explained(prior []Finding, nodes []plan.NodeStat, i int) bool {
	return slices.ContainsFunc(prior, func(f Finding) bool {
		switch f.Kind {
		case FindingSeqScan:
			return f.Node == i+1
		case FindingPartitionPruning:
			return isBelow(nodes, i, f.Node-1)
		}
		return false
	})
}
