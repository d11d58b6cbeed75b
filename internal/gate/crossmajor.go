package gate

import "maps"

// VersionDependentMetrics returns the metrics that a PostgreSQL major
// upgrade changes by itself, on the same query, data and plan: the
// planner's cost model and row estimates move between majors (from 18 on a
// disabled node no longer adds 10^10 to the cost), the buffers a plan
// touches move with them, and WAL records change size (the same UPDATE
// logs 22 MB on 15 and 16 MB on 18), while 18, whose clusters have data
// checksums on by default, logs full-page images for hint bits a read
// sets. Between majors AcrossMajors reports them without gating them.
func VersionDependentMetrics() []string {
	return []string{MetricTotalCost, MetricSharedBlocks, MetricWALBytes, MetricMaxRowMisestimate}
}

// PlanDependentMetrics returns the metrics that follow the plan: on the
// same plan two majors spill about as much (within the default rules'
// margins: the same sort writes 77 MB on 13 and 64 MB on 15 to 18), but
// another major may choose another plan (13 sorts where 15 hashes and
// spills 14 MB), whose temporary files are then the version's doing as
// much as the change's. Between majors AcrossMajors gates them only for a
// query whose plan shape is the baseline's.
func PlanDependentMetrics() []string {
	return []string{MetricTempWrittenBytes, MetricTempReadBytes}
}

// AcrossMajors returns rules for comparing a baseline recorded on one
// PostgreSQL major with a run on another. The version-dependent metrics
// (VersionDependentMetrics) are reported but not gated, for every query, in
// every override and in the workload's totals; the plan-dependent ones
// (PlanDependentMetrics) are gated for a query whose plan shape did not
// change, and reported otherwise (and in the totals, which sum over plans);
// the named findings about plan nodes, which pair each node with the
// baseline's on the same shape line, warn at most. What the statement does
// whatever the plan and version (the rows it returns or changes, and how
// many statements a test runs) is judged as usual, and so is bulk_write,
// which holds rows and WAL to budgets.
func AcrossMajors(r Rules) Rules {
	out := r
	out.Metrics = ungated(r.Metrics, VersionDependentMetrics())
	out.Totals = ungated(ungated(r.Totals, VersionDependentMetrics()), PlanDependentMetrics())
	out.SameShapeOnly = maps.Clone(r.SameShapeOnly)
	if out.SameShapeOnly == nil {
		out.SameShapeOnly = map[string]bool{}
	}
	for _, m := range PlanDependentMetrics() {
		out.SameShapeOnly[m] = true
	}
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

// ungated returns rules with the Gate of metrics off.
func ungated(rules map[string]Rule, metrics []string) map[string]Rule {
	out := maps.Clone(rules)
	for _, m := range metrics {
		if rule, ok := out[m]; ok {
			rule.Gate = false
			out[m] = rule
		}
	}
	return out
}
