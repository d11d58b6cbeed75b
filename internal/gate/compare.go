package gate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Compare judges every query of current against the query of the same name
// in baseline, under rules, and returns the report sorted by query name.
//
// A current query whose name the baseline lacks is first paired with a
// baseline query the current run lacks, when one is pinned to it, has its
// fingerprint, or has its structure (see pairRemaining); the pair is
// compared like a query that kept its name, under the current name, and
// Result.Match says how it was made. The workload's totals are compared
// too, overall and per group (see compareTotals).
//
// A query missing from baseline is new and is held against the metrics'
// budgets; a query missing from current is removed, which never fails; a
// query whose current Error is set is an error, which always fails. Names are
// unique on each side; should one repeat, its first occurrence counts. A query
// whose baseline recorded an error has nothing to compare with: it is held
// against the budgets and, unless over one, reported as improved.
func Compare(baseline, current []Query, rules Rules) Report {
	rep := CompareQueries(baseline, current, rules)
	rep.Totals = compareTotals(rep.Queries, rules)
	for i, t := range rep.Totals {
		sortFindings(rep.Totals[i].Findings)
		if t.Status == StatusRegressed {
			rep.Verdict = VerdictFail
		}
	}
	return rep
}

// CompareQueries judges every query as Compare does, pairing included, but
// not the workload as a whole: the report has no totals, and new queries
// carry no warning about their share of a group (FindingNewShare). A shard
// of a run judges its queries this way, given the whole run's queries (see
// Compare) and keeping the results of its own; the totals are judged when
// the shards are merged.
func CompareQueries(baseline, current []Query, rules Rules) Report {
	base, cur := index(baseline), index(current)
	matches := pairRemaining(base, cur, rules.Pairing)
	paired := make(map[string]bool, len(matches))
	for _, m := range matches {
		paired[m.Baseline] = true
	}
	names := make([]string, 0, len(base)+len(cur))
	for n := range base {
		if !paired[n] {
			names = append(names, n)
		}
	}
	for n := range cur {
		if _, ok := base[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)

	rep := Report{Verdict: VerdictPass, Queries: make([]Result, 0, len(names))}
	for _, n := range names {
		b, c := base[n], cur[n]
		var match *Match
		if m, ok := matches[n]; ok {
			b, match = base[m.Baseline], &m
		}
		var res Result
		switch {
		case c == nil:
			res = Result{Name: n, Status: StatusRemoved, Baseline: b}
		case c.Error != "":
			res = Result{Name: n, Status: StatusError, Baseline: b, Current: c}
		case b == nil:
			res = judgeNew(c, rules, StatusNew)
		case b.Error != "":
			res = judgeNew(c, rules, StatusImproved)
			res.Baseline = b
		default:
			res = judgeChange(b, c, rules)
		}
		res.Match = match
		sortFindings(res.Findings)
		if res.Status == StatusRegressed || res.Status == StatusError {
			rep.Verdict = VerdictFail
		}
		rep.Queries = append(rep.Queries, res)
	}
	return rep
}

func index(qs []Query) map[string]*Query {
	m := make(map[string]*Query, len(qs))
	for i := range qs {
		if _, dup := m[qs[i].Name]; dup {
			continue
		}
		q := qs[i]
		m[q.Name] = &q
	}
	return m
}

// judgeNew holds a query without a usable baseline against the budgets;
// levels only warn, since there is no change to blame.
func judgeNew(c *Query, rules Rules, ok Status) Result {
	res := Result{Name: c.Name, Status: ok, Current: c}
	for _, m := range sortedKeys(c.Metrics) {
		rule, found := rules.For(c.Name, m)
		if !found {
			continue
		}
		if f, judged := judgeAbsent(c, m, rule); judged {
			res.Findings = append(res.Findings, f)
		}
	}
	res.Findings = mergeStatementFindings(res.Findings, nodeFindings(nil, c, rules.Findings))
	if hasSeverity(res.Findings, SeverityFail) {
		res.Status = StatusRegressed
	}
	return res
}

// judgeAbsent judges one metric that has no baseline value.
func judgeAbsent(c *Query, m string, rule Rule) (Finding, bool) {
	v := c.Metrics[m]
	f := Finding{Metric: m, Current: v}
	var note string
	switch {
	case rule.Budget > 0 && v > rule.Budget:
		f.Severity, f.Limit = SeverityFail, rule.Budget
		note = "over the " + FormatValue(m, rule.Budget) + " budget for new queries"
	case rule.FailAbove > 0 && v > rule.FailAbove:
		f.Severity, f.Limit = SeverityWarn, rule.FailAbove
		note = "new query" + levelText(m, rule.FailAbove)
	case rule.WarnAbove > 0 && v > rule.WarnAbove:
		f.Severity, f.Limit = SeverityWarn, rule.WarnAbove
		note = "new query" + levelText(m, rule.WarnAbove)
	default:
		return Finding{}, false
	}
	if !rule.Gate {
		f.Severity = SeverityInfo
	}
	f.Message = joinMessage(m+" "+FormatValue(m, v)+" ("+note+")", reasons(m, nil, c, rule))
	return f, true
}

func judgeChange(b, c *Query, rules Rules) Result {
	res := Result{Name: c.Name, Status: StatusPass, Baseline: b, Current: c}
	improved := false
	for _, m := range sortedKeys(c.Metrics) {
		rule, found := rules.For(c.Name, m)
		if !found {
			continue
		}
		if rules.SameShapeOnly[m] && !slices.Equal(b.Plan, c.Plan) {
			rule.Gate = false
		}
		if _, inBase := b.Metrics[m]; !inBase {
			if f, judged := judgeAbsent(c, m, rule); judged {
				res.Findings = append(res.Findings, f)
			}
			continue
		}
		f, better, judged := judgeMetric(b, c, m, rule)
		if judged {
			res.Findings = append(res.Findings, f)
		}
		improved = improved || better
	}
	res.Findings = mergeStatementFindings(res.Findings, nodeFindings(b, c, rules.Findings))
	res.Status = judged(res.Status, res.Findings, improved)
	return res
}

// judgeMetric applies a rule to one metric present on both sides. It
// returns the finding, if any, and whether the metric improved.
func judgeMetric(b, c *Query, m string, rule Rule) (f Finding, improved, judged bool) {
	bv, cv := b.Metrics[m], c.Metrics[m]
	d := cv - bv
	hasDelta := rule.Relative > 0 || rule.Absolute > 0
	grew := hasDelta && d > rule.Absolute && d > rule.Relative*bv
	shrank := hasDelta && -d > rule.Absolute && -d > rule.Relative*cv

	f = Finding{Metric: m, Baseline: bv, Current: cv}
	if rule.FailAbove > 0 {
		if cv > rule.FailAbove && (bv <= rule.FailAbove || grew) {
			f.Severity, f.Limit = SeverityFail, rule.FailAbove
		}
	} else if grew {
		f.Severity = SeverityFail
	}
	if f.Severity == "" && rule.WarnAbove > 0 && cv > rule.WarnAbove && (bv <= rule.WarnAbove || grew) {
		f.Severity, f.Limit = SeverityWarn, rule.WarnAbove
	}
	if !rule.Gate {
		if f.Severity == "" && !grew {
			return Finding{}, false, false
		}
		f.Severity, f.Limit = SeverityInfo, 0
	}
	if f.Severity == "" {
		if !shrank {
			return Finding{}, false, false
		}
		f.Severity, improved = SeverityInfo, true
	}

	head := fmt.Sprintf("%s %s -> %s (%s)", m, FormatValue(m, bv), FormatValue(m, cv), FormatDelta(m, bv, cv))
	var why []string
	if f.Limit > 0 {
		if lt := levelText(m, f.Limit); lt != "" {
			why = append(why, strings.TrimPrefix(lt, ", "))
		}
	}
	if !improved {
		why = append(why, reasons(m, b, c, rule)...)
	}
	f.Message = joinMessage(head, why)
	if m == MetricQueryCount && !improved {
		f.Kind = FindingNPlusOne
	}
	return f, improved, true
}

// levelText names a level, except a level of 1 or less, which only means
// "any at all" (any spill) and says nothing the numbers do not.
func levelText(m string, level float64) string {
	if level <= 1 {
		return ""
	}
	return ", past " + FormatValue(m, level)
}

// reasons says why a metric moved, from what the plan shows, in the words a
// reviewer would use.
func reasons(m string, b, c *Query, rule Rule) []string {
	if IsTiming(m) && !rule.Gate {
		return []string{"timings vary between runs: reported, not gated"}
	}
	why := why(m, b, c)
	if !rule.Gate {
		why = append(why, "reported, not gated")
	}
	return why
}

func why(m string, b, c *Query) []string {
	v := c.Metrics[m]
	switch m {
	case MetricTempWrittenBytes, MetricTempReadBytes:
		if len(c.Spills) > 0 {
			return slices.Clone(c.Spills)
		}
		if b != nil && b.Metrics[m] == 0 {
			return []string{"new spill to disk"}
		}
	case MetricTotalCost, MetricSharedBlocks:
		if d, ok := Diverge(b, c); ok {
			return []string{"plan changed at " + d.Where()}
		}
	case MetricRows:
		if writes(c.Kind) {
			return []string{fmt.Sprintf("one %s touches %s rows: batch it", strings.ToUpper(c.Kind), FormatValue(m, v))}
		}
		return []string{"more rows returned: a lost LIMIT or filter?"}
	case MetricWALBytes:
		return []string{fmt.Sprintf("one statement writes %s of WAL: batch large writes", FormatValue(m, v))}
	case MetricMaxRowMisestimate:
		return []string{"estimates this far off mislead join and scan choices: check statistics"}
	case MetricQueryCount:
		if b != nil {
			return []string{fmt.Sprintf("N+1: %s more statements for the same work: load related rows in one query (a JOIN, IN (...), the ORM's prefetch) or cache them",
				FormatValue(m, v-b.Metrics[m]))}
		}
	}
	return nil
}

func writes(kind string) bool {
	switch kind {
	case "insert", "update", "delete", "merge":
		return true
	}
	return false
}

func joinMessage(head string, why []string) string {
	if len(why) == 0 {
		return head
	}
	return head + ": " + strings.Join(why, "; ")
}

func sortedKeys(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	SortMetrics(keys)
	return keys
}

func hasSeverity(fs []Finding, severity string) bool {
	return slices.ContainsFunc(fs, func(f Finding) bool { return f.Severity == severity })
}

// sortFindings puts failures first, then warnings, then information; within
// each, findings about the whole statement in metric order, then findings
// about plan nodes in plan order.
func sortFindings(fs []Finding) {
	order := MetricNames()
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(SeverityRank(a.Severity), SeverityRank(b.Severity)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Node, b.Node); c != 0 {
			return c
		}
		ia, ib := slices.Index(order, a.Metric), slices.Index(order, b.Metric)
		if ia < 0 {
			ia = len(order)
		}
		if ib < 0 {
			ib = len(order)
		}
		if c := cmp.Compare(ia, ib); c != 0 {
			return c
		}
		return cmp.Compare(a.Metric, b.Metric)
	})
}

// judged is the status of a result with these findings: regressed when one
// fails, improved when a metric improved, else as it was.
func judged(status Status, findings []Finding, improved bool) Status {
	switch {
	case hasSeverity(findings, SeverityFail):
		return StatusRegressed
	case improved:
		return StatusImproved
	}
	return status
}
