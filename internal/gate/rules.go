package gate

// Rule says when one metric of one query regresses.
//
// A metric with a baseline regresses when current - baseline exceeds both
// Absolute and Relative × baseline: the relative margin keeps large values
// from failing on small drifts, the absolute floor keeps tiny values from
// flapping (2 -> 5 blocks is +150% and means nothing). It improves when
// baseline - current exceeds both Absolute and Relative × current, the
// mirror image (a metric that halves is the counterpart of one that
// doubles). With both Relative and Absolute zero the metric is judged by its
// levels (WarnAbove, FailAbove) and Budget alone.
type Rule struct {
	// Relative is the growth, as a fraction of the baseline, that a change
	// must exceed: 0.5 is +50%, 1 is doubled (2x).
	Relative float64
	// Absolute is the growth, in the metric's unit, that a change must
	// exceed.
	Absolute float64
	// Budget is the ceiling for a query that has no baseline (a new query);
	// zero means no budget.
	Budget float64
	// Gate makes a regression fail the build; without it every finding for
	// the metric is reported as info only (timings, by default).
	Gate bool
	// WarnAbove is a level: a value that rises past it (from at or below it,
	// or by a regression's margin while above it) warns. Zero means none.
	WarnAbove float64
	// FailAbove is a level: a value that rises past it fails, and a change
	// below it never fails, only warns past WarnAbove. Zero means none,
	// so any regression fails.
	FailAbove float64
	// Set lists the fields an override sets; the others come from the rule
	// it overrides. An override with an empty Set sets its non-zero fields
	// (and Gate when true): to set a field to zero or false, name it in Set.
	// Set is ignored outside overrides.
	Set RuleFields
}

// RuleFields is a set of Rule fields, for overrides that change only some.
type RuleFields uint8

// The fields of a Rule an override can set.
const (
	SetRelative RuleFields = 1 << iota
	SetAbsolute
	SetBudget
	SetGate
	SetWarnAbove
	SetFailAbove
)

// Override returns r with the fields o sets (see Set) replaced by o's.
func (r Rule) Override(o Rule) Rule {
	if o.Set == 0 {
		o.Set = o.nonZero()
	}
	for _, f := range []struct {
		bit      RuleFields
		dst      *float64
		override float64
	}{
		{SetRelative, &r.Relative, o.Relative},
		{SetAbsolute, &r.Absolute, o.Absolute},
		{SetBudget, &r.Budget, o.Budget},
		{SetWarnAbove, &r.WarnAbove, o.WarnAbove},
		{SetFailAbove, &r.FailAbove, o.FailAbove},
	} {
		if o.Set&f.bit != 0 {
			*f.dst = f.override
		}
	}
	if o.Set&SetGate != 0 {
		r.Gate = o.Gate
	}
	r.Set = 0
	return r
}

// nonZero returns the fields of r that are not zero.
func (r Rule) nonZero() RuleFields {
	var set RuleFields
	for _, f := range []struct {
		on  bool
		bit RuleFields
	}{
		{r.Relative != 0, SetRelative},
		{r.Absolute != 0, SetAbsolute},
		{r.Budget != 0, SetBudget},
		{r.Gate, SetGate},
		{r.WarnAbove != 0, SetWarnAbove},
		{r.FailAbove != 0, SetFailAbove},
	} {
		if f.on {
			set |= f.bit
		}
	}
	return set
}

// Rules holds the rule for every metric and the overrides for single
// queries.
type Rules struct {
	// Metrics maps a metric name to its rule. A metric without a rule is
	// reported but never judged.
	Metrics map[string]Rule
	// Queries maps a query name, then a metric name, to an override of the
	// metric's rule for that query alone (see Rule.Set).
	Queries map[string]map[string]Rule
	// Findings configures the named findings about plan nodes and
	// statements; its zero value reports none.
	Findings FindingRules
	// Totals maps a metric name to its rule for the workload's totals,
	// overall and per group (see compareTotals). A metric without a rule
	// is summed but not judged.
	Totals map[string]Rule
	// Pairing pins or forbids pairings of renamed queries.
	Pairing PairRules
	// Accepted are the acceptances of known regressions (see Accept): a
	// query's accepted growth does not count against the workload's
	// totals either.
	Accepted []Acceptance
	// Positional reports whether a group is named by its position in the
	// capture (the proxy's "transaction 12") rather than by the
	// application; its totals warn instead of failing, since the name moves
	// when a transaction is added before it. Nil means none is.
	Positional func(group string) bool
	// SameShapeOnly holds metrics gated only for a query whose plan shape
	// is the baseline's; where the plan changed they are reported, not
	// gated. AcrossMajors sets it.
	SameShapeOnly map[string]bool
}

// For returns the rule for one metric of one query: the metric's rule with
// the query's override applied. It reports false when neither exists.
func (rs Rules) For(query, metric string) (Rule, bool) {
	r, ok := rs.Metrics[metric]
	if o, found := rs.Queries[query][metric]; found {
		return r.Override(o), true
	}
	return r, ok
}

const (
	kib = 1024
	mib = 1024 * kib
)

// DefaultRules returns the rules plangate applies when the configuration
// changes none. Each threshold is the margin past which people who review
// plans for a living would flag the change.
func DefaultRules() Rules {
	return Rules{Metrics: map[string]Rule{
		// Planner cost is a unitless estimate that drifts with statistics;
		// +50% on top of +1000 units (about a thousand page reads) is a
		// different plan, not a drift.
		MetricTotalCost: {Relative: 0.5, Absolute: 1000, Gate: true},
		// A new hash or sort spill is the first sign of work_mem running
		// out: any new spill warns, and a new or grown spill fails past +25%
		// and +8 MiB (the pagination COUNT(*) that filled a disk). New
		// queries may spill up to 64 MiB.
		MetricTempWrittenBytes: {Relative: 0.25, Absolute: 8 * mib, Budget: 64 * mib, Gate: true, WarnAbove: 1},
		// Reading temp files back follows writing them; the same margins
		// catch a spill re-read many times (a nested loop over a
		// materialized spill).
		MetricTempReadBytes: {Relative: 0.25, Absolute: 8 * mib, Gate: true},
		// Buffers touched double when an index stops being used or
		// partitions stop being pruned; +1000 blocks (8 MB) ignores small
		// tables.
		MetricSharedBlocks: {Relative: 1, Absolute: 1000, Gate: true},
		// WAL is what fills disks and lags replicas: +50% and +1 MiB per
		// statement, and at most 64 MiB for a new statement.
		MetricWALBytes: {Relative: 0.5, Absolute: 1 * mib, Budget: 64 * mib, Gate: true},
		// Rows returned or affected by one statement: doubling by 10000
		// rows is an unbatched bulk write or a lost LIMIT; a new statement
		// touching more than 50000 rows should be batched.
		MetricRows: {Relative: 1, Absolute: 10000, Budget: 50000, Gate: true},
		// A row estimate off by 10x is worth a look, off by 100x makes the
		// planner pick the wrong join or scan: warn past 10x, fail past
		// 100x, and above a level only when the error doubles again.
		MetricMaxRowMisestimate: {Relative: 1, Absolute: 10, Gate: true, WarnAbove: 10, FailAbove: 100},
		// More statements for the same test or endpoint is an N+1 pattern
		// or a cache stampede: +50% and +5 queries.
		MetricQueryCount: {Relative: 0.5, Absolute: 5, Gate: true},
		// Wall-clock time varies from run to run on shared CI machines:
		// reported, never gated.
		MetricExecutionMS: {Relative: 1, Absolute: 100},
		MetricPlanningMS:  {Relative: 1, Absolute: 50},
	}, Findings: DefaultFindingRules(), Totals: DefaultTotalRules()}
}

// DefaultTotalRules returns the rules for the workload's totals, overall
// and per group. The totals are sums of deterministic metrics over the same
// tests, so they move only when the application does.
func DefaultTotalRules() map[string]Rule {
	return map[string]Rule{
		// More statements for the same tests or endpoint is an N+1 or a
		// cache stampede; +50% and +5 statements leaves room for a query
		// added on purpose.
		MetricQueryCount: {Relative: 0.5, Absolute: 5, Gate: true},
		// The summed cost of what the workload runs: +50% and +1000 units,
		// as for one statement.
		MetricTotalCost: {Relative: 0.5, Absolute: 1000, Gate: true},
		// Blocks touched by the whole workload double when an index stops
		// being used somewhere.
		MetricSharedBlocks: {Relative: 1, Absolute: 1000, Gate: true},
		// Temp files and WAL of the whole workload, with the margins of
		// one statement.
		MetricTempWrittenBytes: {Relative: 0.25, Absolute: 8 * mib, Gate: true},
		MetricWALBytes:         {Relative: 0.5, Absolute: 1 * mib, Gate: true},
	}
}
