package gate

import (
	"fmt"
	"strings"
)

// BulkWriteRule configures bulk_write: one INSERT, UPDATE, DELETE or MERGE
// touching more than Rows rows, or one statement of any kind writing more
// than WALBytes of WAL, where the baseline stayed within the budget. Zero
// turns a budget off.
type BulkWriteRule struct {
	Severity string
	Rows     float64
	WALBytes float64
}

func defaultBulkWriteRule() BulkWriteRule {
	// The budgets the rows and wal_bytes rules hold new statements to.
	return BulkWriteRule{Severity: SeverityFail, Rows: 50000, WALBytes: 64 * mib}
}

func (r *BulkWriteRule) tune() (*string, map[string]*float64) {
	return &r.Severity, map[string]*float64{"rows": &r.Rows, "wal_bytes": &r.WALBytes}
}

// bulkWrites finds a statement that touches more rows (INSERT, UPDATE,
// DELETE, MERGE) or writes more WAL (any statement) than the rule's
// budgets, where the baseline stayed within them. These budgets hold for
// new and changed statements alike: a bulk write is as dangerous either way.
func bulkWrites(b, c *Query, r BulkWriteRule) []Finding {
	if !enabled(r.Severity) || c.Error != "" {
		return nil
	}
	var out []Finding
	check := func(metric string, budget float64, what func(v float64) string) {
		cur, ok := c.Metrics[metric]
		if budget <= 0 || !ok || cur <= budget {
			return
		}
		base := 0.0
		if b != nil && b.Error == "" {
			if bv, ok := b.Metrics[metric]; ok {
				if bv > budget {
					return
				}
				base = bv
			}
		}
		msg := fmt.Sprintf("%s %s, over the %s budget for one statement: %s",
			metric, FormatValue(metric, cur), FormatValue(metric, budget), what(cur))
		out = append(out, Finding{Metric: metric, Kind: FindingBulkWrite, Severity: r.Severity,
			Baseline: base, Current: cur, Limit: budget, Message: msg})
	}
	if writes(c.Kind) {
		check(MetricRows, r.Rows, func(v float64) string {
			return fmt.Sprintf("one %s touches %s rows: batch it (a few thousand rows per statement, each committed)",
				strings.ToUpper(c.Kind), FormatValue(MetricRows, v))
		})
	}
	check(MetricWALBytes, r.WALBytes, func(v float64) string {
		return fmt.Sprintf("one statement writes %s of WAL, which fills disks and lags replicas: batch large writes",
			FormatValue(MetricWALBytes, v))
	})
	return out
}
