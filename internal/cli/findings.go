package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
)

// findingRules lays the configuration's findings section over the defaults.
func findingRules(base gate.FindingRules, conf map[string]config.Finding) (gate.FindingRules, error) {
	r := base
	for kind, c := range conf {
		var (
			severity *string
			fields   = map[string]*float64{}
		)
		switch kind {
		case gate.FindingSeqScan:
			severity, fields["min_rows"] = &r.SeqScan.Severity, &r.SeqScan.MinRows
		case gate.FindingSpill:
			severity, fields["min_bytes"] = &r.Spill.Severity, &r.Spill.MinBytes
		case gate.FindingHashBatches:
			severity, fields["min_bytes"] = &r.HashBatches.Severity, &r.HashBatches.MinBytes
		case gate.FindingMisestimate:
			severity, fields["factor"], fields["min_rows"] = &r.Misestimate.Severity, &r.Misestimate.Factor, &r.Misestimate.MinRows
		case gate.FindingNestedLoop:
			severity, fields["min_loops"] = &r.NestedLoop.Severity, &r.NestedLoop.MinLoops
		case gate.FindingPartitionPruning:
			severity = &r.PartitionPruning.Severity
		case gate.FindingFilter:
			severity, fields["ratio"], fields["min_rows"] = &r.Filter.Severity, &r.Filter.Ratio, &r.Filter.MinRows
		case gate.FindingBulkWrite:
			severity, fields["rows"], fields["wal_bytes"] = &r.BulkWrite.Severity, &r.BulkWrite.Rows, &r.BulkWrite.WALBytes
		case gate.FindingNPlusOne:
			return r, fmt.Errorf("config: findings: n_plus_one is tuned by thresholds.query_count")
		default:
			return r, fmt.Errorf("config: findings: unknown kind %q: use one of %s", kind, strings.Join(gate.FindingKinds(), ", "))
		}
		if c.Severity != "" {
			if !slices.Contains([]string{gate.SeverityFail, gate.SeverityWarn, gate.SeverityInfo, gate.SeverityOff}, c.Severity) {
				return r, fmt.Errorf("config: findings: %s: severity %q: use fail, warn, info or off", kind, c.Severity)
			}
			*severity = c.Severity
		}
		given := map[string]*config.Quantity{"min_rows": c.MinRows, "min_bytes": c.MinBytes, "min_loops": c.MinLoops,
			"factor": c.Factor, "ratio": c.Ratio, "rows": c.Rows, "wal_bytes": c.WALBytes}
		for key, v := range given {
			if v == nil {
				continue
			}
			field, ok := fields[key]
			if !ok {
				return r, fmt.Errorf("config: findings: %s takes no %s (it takes severity%s)", kind, key, keyList(fields))
			}
			*field = float64(*v)
		}
	}
	return r, nil
}

func keyList(fields map[string]*float64) string {
	var keys []string
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if len(keys) == 0 {
		return ""
	}
	return ", " + strings.Join(keys, ", ")
}
