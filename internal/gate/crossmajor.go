package gate

import "maps"

// VersionDependentMetrics returns the metrics that a PostgreSQL major
// upgrade changes by itself, on the same query and data: the planner's
// cost model and row estimates move between majors, and with them the
// plans it picks, hence the costs, the buffers touched and the worst
// misestimate. Between majors AcrossMajors reports them without gating
// them.
func VersionDependentMetrics() []string {
	return []string{MetricTotalCost, MetricSharedBlocks, MetricMaxRowMisestimate}
}

// AcrossMajors returns rules for comparing a baseline recorded on one
// PostgreSQL major with a run on another. The version-dependent metrics
// (VersionDependentMetrics) are reported but not gated, for every query, in
// every override and in the workload's totals; the named findings about
// plan nodes, which pair each node with the baseline's on the same shape
// line, warn at most, since a new major may choose another shape for the
// same statement. What the statement does (the rows it returns or changes,
// the temporary files it writes and reads, its WAL, and how many statements
// a test runs) is judged as usual, and so is bulk_write, which looks at
// rows and WAL alone.
func AcrossMajors(r Rules) Rules {
	out := r
	out.Metrics = ungated(r.Metrics)
	out.Totals = ungated(r.Totals)
	out.Queries = make(map[string]map[string]Rule, len(r.Queries))
	for q, rules := range r.Queries {
		o := maps.Clone(rules)
		for _, m := range VersionDependentMetrics() {
			if rule, ok := o[m]; ok {
				if rule.Set == 0 {
					// It sets its non-zero fields: keep them set.
					rule.Set = rule.nonZero()
				}
				rule.Gate, rule.Set = false, rule.Set|SetGate
				o[m] = rule
			}
		}
		out.Queries[q] = o
	}
	f := &out.Findings
	for _, sev := range []*string{&f.SeqScan.Severity, &f.Spill.Severity, &f.HashBatches.Severity,
		&f.Misestimate.Severity, &f.NestedLoop.Severity, &f.PartitionPruning.Severity, &f.Filter.Severity} {
		if enabled(*sev) {
			*sev = capSeverity(*sev, SeverityWarn)
		}
	}
	return out
}

// ungated returns rules with the version-dependent metrics' Gate off.
func ungated(rules map[string]Rule) map[string]Rule {
	out := maps.Clone(rules)
	for _, m := range VersionDependentMetrics() {
		if rule, ok := out[m]; ok {
			rule.Gate = false
			out[m] = rule
		}
	}
	return out
}
