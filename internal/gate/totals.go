package gate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// FindingNewShare is the finding about a new statement that costs more, as
// often as it ran, than the rest of its group together.
const FindingNewShare = "new_share"

// TotalMetrics are the metrics the workload is summed over, each weighted
// by how many times its statement ran; query_count is the number of
// statements executed.
func TotalMetrics() []string {
	return []string{MetricQueryCount, MetricTotalCost, MetricSharedBlocks, MetricTempWrittenBytes, MetricWALBytes}
}

// TotalResult is the gate's decision on the workload's totals, overall or
// for one group.
type TotalResult struct {
	// Group is the group's name; empty for the overall totals.
	Group  string
	Status Status
	// Baseline and Current are the totals by metric; nil for a group that
	// is new (Baseline) or gone (Current).
	Baseline, Current map[string]float64
	Findings          []Finding
}

// contribution is what one query adds to one total, on both sides.
type contribution struct {
	name              string
	baseline, current float64
}

// compareTotals sums the workload of both sides, overall and per group, and
// judges the sums under rules.Totals. A total that grows past its rule fails
// and names the statements that contribute most to the growth. The overall
// totals leave out named groups that only one side has (a test added or
// removed is not a change of the workload); ungrouped statements and
// positional groups always count, whichever side has them, so that a
// baseline from a server log and a check from the proxy still compare. It also adds a warning to each new query
// that costs more than the rest of its group together.
func compareTotals(results []Result, rules Rules) []TotalResult {
	groups := map[string][2]bool{} // group -> present in baseline, current
	for _, res := range results {
		for i, q := range []*Query{res.Baseline, res.Current} {
			for g := range callsByGroup(q) {
				seen := groups[g]
				seen[i] = true
				groups[g] = seen
			}
		}
	}
	names := slices.Sorted(maps.Keys(groups))

	sum := func(in func(string) bool) (base, cur map[string]float64, by map[string][]contribution) {
		return sumTotals(results, in, rules.Accepted)
	}
	overall := TotalResult{Group: "", Status: StatusPass}
	var by map[string][]contribution
	overall.Baseline, overall.Current, by = sum(func(g string) bool {
		return g == "" || groups[g] == [2]bool{true, true} || rules.Positional != nil && rules.Positional(g)
	})
	out := []TotalResult{judgeTotals(overall, by, rules)}
	for _, g := range names {
		if g == "" {
			continue
		}
		t := TotalResult{Group: g, Status: StatusPass}
		t.Baseline, t.Current, by = sum(func(x string) bool { return x == g })
		switch seen := groups[g]; {
		case !seen[0]:
			t.Status, t.Baseline = StatusNew, nil
			out = append(out, t)
		case !seen[1]:
			t.Status, t.Current = StatusRemoved, nil
			out = append(out, t)
		case rules.Positional != nil && rules.Positional(g):
			out = append(out, warnOnly(judgeTotals(t, by, rules)))
		default:
			out = append(out, judgeTotals(t, by, rules))
		}
	}
	warnNewShares(results, rules)
	return out
}

// callsByGroup returns how many times q ran per group, its calls outside
// any group under "".
func callsByGroup(q *Query) map[string]int {
	if q == nil || q.Calls <= 0 {
		return nil
	}
	out := make(map[string]int, len(q.Groups)+1)
	rest := q.Calls
	for g, n := range q.Groups {
		out[g] = n
		rest -= n
	}
	if rest > 0 {
		out[""] += rest
	}
	return out
}

// weighted returns q's value of metric times the calls it made in the groups
// in reports true for.
func weighted(q *Query, metric string, in func(string) bool) float64 {
	var calls int
	for g, n := range callsByGroup(q) {
		if in(g) {
			calls += n
		}
	}
	if metric == MetricQueryCount {
		return float64(calls)
	}
	return float64(calls) * q.Metrics[metric]
}

// sumTotals sums both sides' metrics over the groups in reports true for, and
// returns each result's contributions by metric. A query's growth in a
// metric that an acceptance covers is left out of the current sum: the
// regression is known, and already said.
func sumTotals(results []Result, in func(string) bool, accepted []Acceptance) (base, cur map[string]float64, by map[string][]contribution) {
	base, cur, by = map[string]float64{}, map[string]float64{}, map[string][]contribution{}
	for _, res := range results {
		for _, m := range TotalMetrics() {
			c := contribution{name: res.Name}
			if res.Baseline != nil {
				c.baseline = weighted(res.Baseline, m, in)
			}
			if res.Current != nil {
				c.current = weighted(res.Current, m, in)
			}
			if _, ok := acceptanceFor(accepted, res.Name, m); ok && c.current > c.baseline {
				c.current = c.baseline
			}
			base[m] += c.baseline
			cur[m] += c.current
			by[m] = append(by[m], c)
		}
	}
	return base, cur, by
}

// judgeTotals applies rules.Totals to a total present on both sides.
func judgeTotals(t TotalResult, by map[string][]contribution, rules Rules) TotalResult {
	improved := false
	for _, m := range TotalMetrics() {
		rule, ok := rules.Totals[m]
		if !ok {
			continue
		}
		b := &Query{Name: t.Name(), Metrics: t.Baseline}
		c := &Query{Name: t.Name(), Metrics: t.Current}
		f, better, judged := judgeMetric(b, c, m, rule)
		improved = improved || better
		if !judged {
			continue
		}
		if !better {
			f.Message = totalMessage(t.Group, m, t.Baseline[m], t.Current[m], by[m])
			if !rule.Gate {
				f.Message += " (reported, not gated)"
			}
		}
		t.Findings = append(t.Findings, f)
	}
	t.Status = judged(t.Status, t.Findings, improved)
	return t
}

// warnOnly turns a total's failures into warnings that say why.
func warnOnly(t TotalResult) TotalResult {
	for i, f := range t.Findings {
		if f.Severity == SeverityFail {
			f.Severity = SeverityWarn
			f.Message += " (warns only: the group is a transaction's place in the capture, not a name the application gave)"
			t.Findings[i] = f
		}
	}
	if t.Status == StatusRegressed {
		t.Status = StatusPass
	}
	return t
}

// Name names a workload total in reports and acceptances: "workload" for
// the overall totals, "group NAME" for a group's.
func (t TotalResult) Name() string {
	if t.Group == "" {
		return "workload"
	}
	return "group " + t.Group
}

// totalMessage words a grown total with the statements that grew it most.
func totalMessage(group, m string, bv, cv float64, by []contribution) string {
	what := m
	if m == MetricQueryCount {
		what = "statements executed"
	}
	head := fmt.Sprintf("%s: %s %s -> %s (%s)", TotalResult{Group: group}.Name(), what, FormatValue(m, bv), FormatValue(m, cv), FormatDelta(m, bv, cv))
	slices.SortStableFunc(by, func(x, y contribution) int {
		return cmp.Compare(y.current-y.baseline, x.current-x.baseline)
	})
	var top []string
	for _, c := range by {
		d := c.current - c.baseline
		if d <= 0 || len(top) == 3 {
			break
		}
		top = append(top, fmt.Sprintf("%s +%s", c.name, FormatValue(m, d)))
	}
	if len(top) == 0 {
		return head
	}
	msg := head + ": most from " + strings.Join(top, ", ")
	if m == MetricQueryCount {
		msg += "; N+1? load related rows in one query (a JOIN, IN (...), the ORM's prefetch)"
	}
	return msg
}

// warnNewShares warns about each new query that, as often as it ran in a
// group, costs more than the rest of that group together: a statement added
// to an endpoint that outweighs everything it did before.
func warnNewShares(results []Result, rules Rules) {
	rule, ok := rules.Totals[MetricTotalCost]
	if !ok || !rule.Gate {
		return
	}
	for i := range results {
		res := &results[i]
		if res.Status != StatusNew || res.Current == nil {
			continue
		}
		for _, g := range slices.Sorted(maps.Keys(callsByGroup(res.Current))) {
			in := func(x string) bool { return x == g }
			own := weighted(res.Current, MetricTotalCost, in)
			var rest float64
			for j := range results {
				if j != i && results[j].Current != nil {
					rest += weighted(results[j].Current, MetricTotalCost, in)
				}
			}
			if rest <= 0 || own <= rest || own-rest <= rule.Absolute {
				continue
			}
			where := "the rest of the workload"
			if g != "" {
				where = "the rest of group " + g
			}
			res.Findings = append(res.Findings, Finding{
				Metric: MetricTotalCost, Current: own, Limit: rest, Severity: SeverityWarn, Kind: FindingNewShare,
				Message: fmt.Sprintf("new statement: total_cost %s over its %s is more than %s together (%s)",
					FormatValue(MetricTotalCost, own), plural(callsByGroup(res.Current)[g], "run"), where, FormatValue(MetricTotalCost, rest)),
			})
			break
		}
		sortFindings(res.Findings)
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
