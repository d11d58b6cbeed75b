package gate

import (
	"fmt"
	"slices"
	"strings"
)

// PartitionPruningRule configures partition_pruning: an Append or
// MergeAppend that scans more of its partitions than the baseline scanned
// of the same ones.
type PartitionPruningRule struct {
	Severity string
}

func defaultPartitionPruningRule() PartitionPruningRule {
	return PartitionPruningRule{Severity: SeverityFail}
}

func (r *PartitionPruningRule) tune() (*string, map[string]*float64) {
	return &r.Severity, nil
}

// partitionPruning finds Append and MergeAppend nodes that scan more of
// their partitions than the baseline scanned of the same tables: the
// planner, or the executor at startup, no longer prunes them. It needs the
// baseline's node records.
func (j *nodeJudge) partitionPruning(r PartitionPruningRule) []Finding {
	if !enabled(r.Severity) || j.b == nil || len(j.b.Nodes) == 0 {
		return nil
	}
	var out []Finding
	for i, n := range j.c.Nodes {
		if n.Type != "Append" && n.Type != "Merge Append" {
			continue
		}
		var scanned []string
		for _, c := range children(j.c.Nodes, i) {
			if cn := j.c.Nodes[c]; cn.Relation != "" && cn.Loops > 0 && !slices.Contains(scanned, cn.Relation) {
				scanned = append(scanned, cn.Relation)
			}
		}
		if len(scanned) < 2 {
			continue
		}
		var before []string
		removed := 0
		for _, bn := range j.b.Nodes {
			if bn.Relation != "" && bn.Loops > 0 && slices.Contains(scanned, bn.Relation) && !slices.Contains(before, bn.Relation) {
				before = append(before, bn.Relation)
			}
			if bn.Type == n.Type {
				removed = max(removed, bn.SubplansRemoved)
			}
		}
		if len(before) == 0 || len(scanned) <= len(before) {
			continue
		}
		startup := ""
		if removed > n.SubplansRemoved {
			startup = fmt.Sprintf("; %d removed at executor startup before, %d now", removed, n.SubplansRemoved)
		}
		msg := fmt.Sprintf("%s scans %d partitions where the baseline scanned %d (%s)%s: "+
			"partition pruning no longer applies; compare the partition key itself with values of its own type (no cast or function on it)",
			n.Name, len(scanned), len(before), listNames(before, 3), startup)
		out = append(out, j.finding(FindingPartitionPruning, r.Severity, i, float64(len(before)), float64(len(scanned)), 0, msg))
	}
	return out
}

// listNames joins up to n names, then says how many more there are.
func listNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}
