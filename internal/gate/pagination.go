package gate

import "sort"

// MetricPaginationCount names the finding that labels a regressed ORM
// pagination count.
const MetricPaginationCount = "pagination_count"

// paginationRemedies are what experienced Django, Rails and Laravel teams do
// when a paginator's count gets expensive.
const paginationRemedies = "count the unannotated queryset (drop the aggregation from the count), " +
	"use an estimated count (pg_class.reltuples or EXPLAIN's row estimate) past a size, or switch to cursor (keyset) pagination, which needs no count"

// LabelPaginationCounts marks ORM paginator counts in a report. countOf maps
// each count query's name to the list query it counts for ("" when that is
// unknown). A regressed count gets a finding that says so and names the
// usual remedies.
func LabelPaginationCounts(r Report, countOf map[string]string) Report {
	out := Report{Verdict: r.Verdict, Queries: make([]Result, len(r.Queries)), Totals: r.Totals}
	for i, res := range r.Queries {
		list, isCount := countOf[res.Name]
		if isCount && (res.Status == StatusRegressed || res.Status == StatusError) {
			what := "the paginator's count query"
			if list != "" {
				what = "the paginator's count for " + list
			}
			res.Findings = append(append([]Finding(nil), res.Findings...), Finding{
				Metric:   MetricPaginationCount,
				Message:  "this is " + what + ": an ORM wraps the list query in SELECT COUNT(*) FROM (...), so an aggregation added to the list runs again, in full, for every page; " + paginationRemedies,
				Severity: SeverityInfo,
			})
			sort.SliceStable(res.Findings, func(a, b int) bool {
				return SeverityRank(res.Findings[a].Severity) < SeverityRank(res.Findings[b].Severity)
			})
		}
		out.Queries[i] = res
	}
	return out
}

// MetricEstimateOnly names the finding that marks a query planned for
// estimates only.
const MetricEstimateOnly = "estimate_only"

// LabelEstimateOnly marks the queries in names as planned without being run
// (pg_stat_statements keeps no parameter values): their only metric is the
// planner's estimate.
func LabelEstimateOnly(r Report, names map[string]bool) Report {
	out := Report{Verdict: r.Verdict, Queries: make([]Result, len(r.Queries)), Totals: r.Totals}
	for i, res := range r.Queries {
		if names[res.Name] {
			res.Findings = append(append([]Finding(nil), res.Findings...), Finding{
				Metric:   MetricEstimateOnly,
				Message:  "estimate only: captured without parameter values, so planned (generic plan, no ANALYZE) rather than run",
				Severity: SeverityInfo,
			})
		}
		out.Queries[i] = res
	}
	return out
}
