package main

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// results is what the runs showed.
type results struct {
	config   string
	runs     int
	postgres string
	// values[query][metric] holds one value per run that measured it.
	values map[string]map[string][]float64
	// distinctFiles is the number of different baseline files recorded.
	distinctFiles int
	// stablePlans and stableNodes count the queries whose plan shape, and
	// whose node records, were the same in every run.
	stablePlans, stableNodes, queries int
	// unstable names the queries whose node records moved, with the first
	// difference.
	unstable []string
	pairs    int
	failures int
	// findings counts the non-failing findings between pairs, by
	// "severity query metric".
	findings map[string]int
	// failed lists the failing findings, one line each, at most a few.
	failed []string
}

func analyze(paths []string) (*results, error) {
	res := &results{runs: len(paths), values: map[string]map[string][]float64{}, findings: map[string]int{}}
	var files []*baseline.File
	var contents [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		f, err := baseline.Parse(p, data)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		if !slices.ContainsFunc(contents, func(c []byte) bool { return bytes.Equal(c, data) }) {
			contents = append(contents, data)
		}
	}
	res.distinctFiles = len(contents)
	res.postgres = files[0].Postgres

	byName := map[string][]gate.Query{}
	for _, f := range files {
		for _, q := range f.Queries {
			byName[q.Name] = append(byName[q.Name], q)
			if res.values[q.Name] == nil {
				res.values[q.Name] = map[string][]float64{}
			}
			for m, v := range q.Metrics {
				res.values[q.Name][m] = append(res.values[q.Name][m], v)
			}
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		qs := byName[n]
		res.queries++
		samePlan, sameNodes := len(qs) == len(files), len(qs) == len(files)
		for _, q := range qs[1:] {
			samePlan = samePlan && slices.Equal(q.Plan, qs[0].Plan)
			if !reflect.DeepEqual(q.Nodes, qs[0].Nodes) {
				if sameNodes {
					res.unstable = append(res.unstable, n+": "+firstNodeDifference(qs[0].Nodes, q.Nodes))
				}
				sameNodes = false
			}
		}
		if samePlan {
			res.stablePlans++
		}
		if sameNodes {
			res.stableNodes++
		}
	}

	rules := gate.DefaultRules()
	for i := range files {
		for j := range files {
			if i == j {
				continue
			}
			res.pairs++
			rep := gate.Compare(files[i].Queries, files[j].Queries, rules)
			// The workload's totals are judged too: a flap there fails a
			// pull request as surely as one in a query.
			judged := make(map[string][]gate.Finding, len(rep.Queries)+len(rep.Totals))
			for _, q := range rep.Queries {
				judged[q.Name] = q.Findings
			}
			for _, t := range rep.Totals {
				judged["totals "+t.Group] = t.Findings
			}
			for _, name := range slices.Sorted(maps.Keys(judged)) {
				for _, f := range judged[name] {
					if f.Severity == gate.SeverityFail {
						res.failures++
						if len(res.failed) < 10 {
							res.failed = append(res.failed, fmt.Sprintf("run %d -> run %d: %s: %s", i+1, j+1, name, f.Message))
						}
						continue
					}
					res.findings[f.Severity+" "+name+" "+f.Metric]++
				}
			}
		}
	}
	return res, nil
}

// firstNodeDifference names the first node whose record differs, and how.
func firstNodeDifference(a, b []plan.NodeStat) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d nodes, then %d", len(a), len(b))
	}
	for i := range a {
		if reflect.DeepEqual(a[i], b[i]) {
			continue
		}
		va, vb := reflect.ValueOf(a[i]), reflect.ValueOf(b[i])
		for k := 0; k < va.NumField(); k++ {
			if !reflect.DeepEqual(va.Field(k).Interface(), vb.Field(k).Interface()) {
				return fmt.Sprintf("node %d %s: %s %v, then %v", i+1, a[i].Name,
					va.Type().Field(k).Name, va.Field(k).Interface(), vb.Field(k).Interface())
			}
		}
	}
	return "no difference"
}

// spread is the statistics of one metric of one query over the runs.
type spread struct {
	min, median, max float64
}

func spreadOf(vs []float64) spread {
	s := slices.Clone(vs)
	slices.Sort(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return spread{min: s[0], median: med, max: s[len(s)-1]}
}

// relative is (max - min) / median, 0 when nothing moved.
func (s spread) relative() float64 {
	if s.max == s.min {
		return 0
	}
	if s.median == 0 {
		return math.Inf(1)
	}
	return (s.max - s.min) / math.Abs(s.median)
}

func (r *results) write(w io.Writer) {
	fmt.Fprintf(w, "plangate-noise: %d runs of %s on PostgreSQL %s, each on a fresh server and a fresh seed\n\n",
		r.runs, r.config, r.postgres)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "QUERY\tMETRIC\tMIN\tMEDIAN\tMAX\tSPREAD\t")
	queries := make([]string, 0, len(r.values))
	for q := range r.values {
		queries = append(queries, q)
	}
	sort.Strings(queries)
	worst := map[string]struct {
		rel, abs float64
		query    string
	}{}
	for _, q := range queries {
		metrics := make([]string, 0, len(r.values[q]))
		for m := range r.values[q] {
			metrics = append(metrics, m)
		}
		gate.SortMetrics(metrics)
		for _, m := range metrics {
			s := spreadOf(r.values[q][m])
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t\n", q, m,
				gate.FormatValue(m, s.min), gate.FormatValue(m, s.median), gate.FormatValue(m, s.max), percent(s.relative()))
			if cur, ok := worst[m]; !ok || s.relative() > cur.rel || (s.relative() == cur.rel && s.max-s.min > cur.abs) {
				worst[m] = struct {
					rel, abs float64
					query    string
				}{s.relative(), s.max - s.min, q}
			}
		}
	}
	tw.Flush()

	fmt.Fprintf(w, "\nWorst spread per metric against the default rule (a change fails only past both margins):\n\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METRIC\tWORST SPREAD\tQUERY\tDEFAULT RULE")
	metrics := make([]string, 0, len(worst))
	for m := range worst {
		metrics = append(metrics, m)
	}
	gate.SortMetrics(metrics)
	rules := gate.DefaultRules()
	for _, m := range metrics {
		ws := worst[m]
		fmt.Fprintf(tw, "%s\t%s (%s)\t%s\t%s\n", m, percent(ws.rel), gate.FormatValue(m, ws.abs), ws.query, ruleText(m, rules.Metrics[m]))
	}
	tw.Flush()

	fmt.Fprintf(w, "\nBaseline files: %d distinct out of %d runs (1 means byte-identical re-recordings)\n", r.distinctFiles, r.runs)
	fmt.Fprintf(w, "Plan shapes identical in every run: %d of %d queries\n", r.stablePlans, r.queries)
	fmt.Fprintf(w, "Node records identical in every run: %d of %d queries\n", r.stableNodes, r.queries)
	for _, u := range r.unstable {
		fmt.Fprintf(w, "  moved: %s\n", u)
	}
	fmt.Fprintf(w, "\ngate.Compare with DefaultRules over %d ordered pairs of runs: %d failing findings\n", r.pairs, r.failures)
	for _, f := range r.failed {
		fmt.Fprintf(w, "  FAIL %s\n", f)
	}
	keys := make([]string, 0, len(r.findings))
	for k := range r.findings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: in %d pairs\n", k, r.findings[k])
	}
	if r.failures == 0 {
		fmt.Fprintln(w, "PASS: an unchanged query set never fails the gate")
	} else {
		fmt.Fprintln(w, "FAIL: the gate fails between runs of an unchanged query set")
	}
}

func percent(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case f == 0:
		return "0%"
	}
	return strings.TrimPrefix(gate.FormatPercent(f), "+")
}

func ruleText(m string, r gate.Rule) string {
	if r.Relative == 0 && r.Absolute == 0 {
		return "levels only"
	}
	s := fmt.Sprintf("+%s and +%s", strings.TrimPrefix(gate.FormatPercent(r.Relative), "+"), gate.FormatValue(m, r.Absolute))
	if !r.Gate {
		s += ", not gated"
	}
	return s
}
