package gate

import (
	"fmt"

	"github.com/plangate/plangate/internal/plan"
)

// SeqScanRule configures seq_scan: a Seq Scan reading at least MinRows rows
// (returned plus removed by its filter, over all loops) of a table that the
// baseline read only through an index.
type SeqScanRule struct {
	Severity string
	// MinRows is the smallest table, in rows read, worth an index.
	MinRows float64
}

func defaultSeqScanRule() SeqScanRule {
	// 10000 rows is about 100 pages of a narrow table: below that a
	// sequential scan costs about what an index scan does.
	return SeqScanRule{Severity: SeverityFail, MinRows: 10000}
}

func (r *SeqScanRule) tune() (*string, map[string]*float64) {
	return &r.Severity, map[string]*float64{"min_rows": &r.MinRows}
}

// seqScans finds sequential scans of large tables that the baseline read
// through an index. It needs the baseline's node records: without them it
// cannot tell how the baseline read the table.
func (j *nodeJudge) seqScans(r SeqScanRule) []Finding {
	if !enabled(r.Severity) || j.b == nil || len(j.b.Nodes) == 0 {
		return nil
	}
	var out []Finding
	for i, n := range j.c.Nodes {
		if n.Type != "Seq Scan" || n.Relation == "" {
			continue
		}
		read := rowsRead(n)
		if read < r.MinRows {
			continue
		}
		var index *plan.NodeStat
		baseSeq := 0.0
		for k, bn := range j.b.Nodes {
			if bn.Relation != n.Relation {
				continue
			}
			switch bn.Type {
			case "Seq Scan":
				baseSeq = max(baseSeq, rowsRead(bn))
			case "Index Scan", "Index Only Scan", "Bitmap Heap Scan":
				if index == nil {
					index = &j.b.Nodes[k]
				}
			}
		}
		if index == nil || baseSeq >= r.MinRows {
			continue
		}
		indexName := index.Name
		if index.Type == "Bitmap Heap Scan" {
			// The index is named on its Bitmap Index Scan child.
			indexName = bitmapName(j.b.Nodes, index)
		}
		msg := fmt.Sprintf("%s reads %s rows to return %s where the baseline used %s: "+
			"the index no longer applies (dropped, or the condition no longer matches it: a cast or function on the column, another type)",
			n.Name, FormatValue(MetricRows, read), FormatValue(MetricRows, n.TotalRows()), indexName)
		out = append(out, j.finding(FindingSeqScan, r.Severity, i, rowsRead(*index), read, r.MinRows, msg))
	}
	return out
}

// rowsRead is what a scan read over all loops: the rows it returned and the
// rows its filter removed.
func rowsRead(n plan.NodeStat) float64 {
	return (n.ActualRows + n.RowsRemovedByFilter) * n.Loops
}

// bitmapName names a Bitmap Heap Scan with the index its Bitmap Index Scan
// child used, e.g. "Bitmap Heap Scan on orders via orders_user_id_idx".
func bitmapName(nodes []plan.NodeStat, heap *plan.NodeStat) string {
	for k := range nodes {
		if &nodes[k] != heap {
			continue
		}
		for _, c := range children(nodes, k) {
			if nodes[c].Type == "Bitmap Index Scan" && nodes[c].Index != "" {
				return heap.Name + " via " + nodes[c].Index
			}
		}
	}
	return heap.Name
}
