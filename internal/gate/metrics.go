package gate

import (
	"slices"

	"github.com/plangate/plangate/internal/plan"
)

// The metric names plangate measures, as written in reports, baselines and
// configuration: a plan's metrics are package plan's, and query_count, the
// statements a workload executes, is the gate's own.
const (
	MetricTotalCost         = plan.MetricTotalCost
	MetricTempWrittenBytes  = plan.MetricTempWrittenBytes
	MetricTempReadBytes     = plan.MetricTempReadBytes
	MetricSharedBlocks      = plan.MetricSharedBlocks
	MetricWALBytes          = plan.MetricWALBytes
	MetricRows              = plan.MetricRows
	MetricMaxRowMisestimate = plan.MetricMaxRowMisestimate
	MetricExecutionMS       = plan.MetricExecutionMS
	MetricPlanningMS        = plan.MetricPlanningMS
	MetricQueryCount        = "query_count"
)

// MetricNames returns every metric name in the order reports list them: a
// plan's (plan.MetricNames), with query_count before the timings.
func MetricNames() []string {
	names := plan.MetricNames()
	return slices.Insert(names, slices.Index(names, MetricExecutionMS), MetricQueryCount)
}

// KnownMetric reports whether name is one of MetricNames.
func KnownMetric(name string) bool {
	return slices.Contains(MetricNames(), name)
}

// IsTiming reports whether a metric is a wall-clock time, which varies from
// run to run and is therefore neither stored in baselines nor gated by default.
func IsTiming(name string) bool {
	return name == MetricExecutionMS || name == MetricPlanningMS
}

// SortMetrics sorts metric names in place: known metrics in the order of
// MetricNames, then unknown ones alphabetically.
func SortMetrics(names []string) {
	order := MetricNames()
	rank := func(n string) int {
		if i := slices.Index(order, n); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
}
