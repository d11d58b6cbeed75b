package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// The HTML report is one self-contained file: its CSS and its few lines of
// JavaScript are inline, it loads nothing from the network, and it reads on
// a phone as well as on a desktop.
//
//go:embed format_html.tmpl
var htmlSource string

var htmlTemplate = template.Must(template.New("report").Parse(htmlSource))

// htmlPage is what the template renders.
type htmlPage struct {
	Title   string
	Fail    bool
	Verdict string
	Meta    []string
	Queries []htmlQuery
	// Totals are the workload's totals, when any statement counted.
	Totals []htmlTotal
	// Migrations are the pull request's migration statements.
	Migrations []htmlMigration
	Hint       string
}

type htmlMigration struct {
	Place, SQL, Verdict, Facts string
	Locks                      []string
	Findings                   []htmlFinding
}

type htmlTotal struct {
	Label, Status string
	// Cells are statements executed, cost, blocks, temp and WAL.
	Cells    []string
	Findings []htmlFinding
}

type htmlQuery struct {
	ID         string
	Name       string
	Status     string
	Match      string // how the query was paired with its baseline
	Open       bool
	Error      string
	Findings   []htmlFinding
	Divergence string
	Metrics    []htmlMetric
	Baseline   *htmlPlan
	Current    *htmlPlan
	Unchanged  bool // the plan's shape is the same on both sides
	Deltas     []string
}

type htmlFinding struct {
	Severity string
	Mark     string
	Kind     string
	Node     int
	Message  string
}

type htmlMetric struct {
	Name, Baseline, Current, Change string
	// Severity is the severity of the metric's finding, if any, or
	// "better" for an improvement.
	Severity string
}

type htmlPlan struct {
	QueryID string
	Title   string
	Side    string // "baseline" or "current"
	Nodes   []htmlNode
	HasTime bool
}

type htmlNode struct {
	Num          int
	Depth        int
	Relationship string
	Name         string
	Detail       string // the conditions and keys, as in the shape line
	// Change is "added" (only in the current plan), "removed" (only in the
	// baseline) or "".
	Change string
	Spill  string
	// Flag is the severity of the most severe finding pointing at the
	// node, and Kinds their kinds.
	Flag  string
	Kinds []string
	Bars  []htmlBar
}

type htmlBar struct {
	Label string
	Pct   float64
	Value string
}

func writeHTML(w io.Writer, r gate.Report, meta Meta, _ options) error {
	page := htmlPage{
		Fail:    r.Verdict == gate.VerdictFail,
		Verdict: "PASS",
		Meta:    metaParts(meta, func(s string) string { return s }),
	}
	if page.Fail {
		page.Verdict = "FAIL"
	}
	page.Title = "plangate: " + page.Verdict + " (" + countsLine(r) + ")"
	ids := map[string]int{}
	for _, res := range htmlOrder(r) {
		q := htmlQueryOf(res)
		// Names that differ only in punctuation share an anchor.
		if ids[q.ID]++; ids[q.ID] > 1 {
			q.ID += fmt.Sprintf("-%d", ids[q.ID])
		}
		for _, p := range []*htmlPlan{q.Baseline, q.Current} {
			if p != nil {
				p.QueryID = q.ID
			}
		}
		page.Queries = append(page.Queries, q)
		if res.Status == gate.StatusRegressed {
			page.Hint = rerecordHint
		}
	}
	if !totalsEmpty(r.Totals) {
		for _, t := range r.Totals {
			ht := htmlTotal{Label: t.Name(), Status: string(t.Status)}
			for _, m := range gate.TotalMetrics() {
				ht.Cells = append(ht.Cells, totalCell(t, m).text)
			}
			for _, f := range t.Findings {
				if f.Severity != gate.SeverityInfo {
					ht.Findings = append(ht.Findings, htmlFinding{Severity: f.Severity, Mark: severityMark(f.Severity), Message: f.Message})
				}
			}
			page.Totals = append(page.Totals, ht)
		}
	}
	for _, m := range r.Migrations {
		hm := htmlMigration{Place: migrationPlace(m), SQL: firstLine(m.SQL), Verdict: migrationVerdict(m), Facts: migrationFacts(m)}
		for _, l := range m.Locks {
			hm.Locks = append(hm.Locks, lockLine(l))
		}
		for _, f := range m.Findings {
			hm.Findings = append(hm.Findings, htmlFinding{Severity: f.Severity, Mark: severityMark(f.Severity), Message: "[" + f.Kind + "] " + f.Message})
		}
		page.Migrations = append(page.Migrations, hm)
	}
	return htmlTemplate.Execute(w, page)
}

// htmlOrder lists failures first, then what warns or changed, then the
// rest, each in name order.
func htmlOrder(r gate.Report) []gate.Result {
	rank := func(res gate.Result) int {
		switch {
		case res.Status == gate.StatusRegressed:
			return 0
		case res.Status == gate.StatusError:
			return 1
		case detailed(res):
			return 2
		case res.Status != gate.StatusPass:
			return 3
		}
		return 4
	}
	out := slices.Clone(r.Queries)
	slices.SortStableFunc(out, func(a, b gate.Result) int { return rank(a) - rank(b) })
	return out
}

func htmlQueryOf(res gate.Result) htmlQuery {
	q := htmlQuery{
		ID:     "q-" + anchor(res.Name),
		Name:   res.Name,
		Status: string(res.Status),
		Open:   res.Status == gate.StatusRegressed || res.Status == gate.StatusError || detailed(res),
		Match:  MatchNote(res),
	}
	if res.Current != nil {
		q.Error = res.Current.Error
	}
	for _, f := range res.Findings {
		q.Findings = append(q.Findings, htmlFinding{Severity: f.Severity, Mark: severityMark(f.Severity),
			Kind: f.Kind, Node: f.Node, Message: f.Message})
	}
	for _, m := range metricUnion(res) {
		base, inBase := metricsOf(res.Baseline)[m]
		cur, inCur := metricsOf(res.Current)[m]
		hm := htmlMetric{Name: m, Baseline: "—", Current: "—", Change: "—"}
		if inBase {
			hm.Baseline = gate.FormatValue(m, base)
		}
		if inCur {
			hm.Current = gate.FormatValue(m, cur)
		}
		if inBase && inCur {
			hm.Change = gate.FormatDelta(m, base, cur)
		}
		if f, ok := findingFor(res, m); ok {
			hm.Severity = f.Severity
			if f.Severity == gate.SeverityInfo && f.Current < f.Baseline {
				hm.Severity = "better"
			}
		}
		q.Metrics = append(q.Metrics, hm)
	}
	q.Divergence = divergence(res)
	if res.Baseline != nil && res.Current != nil && len(res.Baseline.Plan) > 0 && len(res.Current.Plan) > 0 {
		q.Unchanged = slices.Equal(res.Baseline.Plan, res.Current.Plan)
		q.Deltas = NodeDeltas(res.Baseline, res.Current)
	}
	var match []int
	if res.Baseline != nil && res.Current != nil {
		match = gate.MatchNodes(res.Baseline.Plan, res.Current.Plan)
	}
	if res.Baseline != nil && len(res.Baseline.Plan) > 0 {
		var matched []bool
		if match != nil {
			matched = make([]bool, len(res.Baseline.Plan))
			for _, k := range match {
				if k >= 0 {
					matched[k] = true
				}
			}
		}
		q.Baseline = htmlPlanOf("Baseline", "baseline", res.Baseline, nil, func(i int) string {
			if matched != nil && !matched[i] {
				return "removed"
			}
			return ""
		})
	}
	if res.Current != nil && len(res.Current.Plan) > 0 {
		q.Current = htmlPlanOf("Current", "current", res.Current, res.Findings, func(i int) string {
			if match != nil && match[i] < 0 {
				return "added"
			}
			return ""
		})
	}
	return q
}

// htmlPlanOf lays out one side's plan tree: one row per node with its
// conditions, what it spilled, the findings pointing at it, and bars for
// its cost, time and rows relative to the plan's largest.
func htmlPlanOf(title, side string, q *gate.Query, findings []gate.Finding, change func(int) string) *htmlPlan {
	p := &htmlPlan{Title: title, Side: side}
	nodes := q.Nodes
	if len(nodes) != len(q.Plan) {
		nodes = nil
	}
	var maxCost, maxTime, maxRows float64
	for _, n := range nodes {
		maxCost = max(maxCost, n.Cost)
		maxTime = max(maxTime, n.TimeMS)
		maxRows = max(maxRows, n.TotalRows())
	}
	p.HasTime = maxTime > 0
	for i, line := range q.Plan {
		n := htmlNode{
			Num:          i + 1,
			Depth:        plan.ShapeDepth(line),
			Relationship: plan.ShapeRelationship(line),
			Name:         gate.NodeName(q, i),
			Detail:       shapeDetail(line),
			Change:       change(i),
		}
		for _, f := range findings {
			if f.Node != i+1 {
				continue
			}
			if n.Flag == "" || gate.SeverityRank(f.Severity) < gate.SeverityRank(n.Flag) {
				n.Flag = f.Severity
			}
			if f.Kind != "" && !slices.Contains(n.Kinds, f.Kind) {
				n.Kinds = append(n.Kinds, f.Kind)
			}
		}
		if nodes != nil {
			nd := nodes[i]
			n.Depth, n.Relationship = nd.Depth, nd.Relationship
			n.Spill = nd.Spill
			n.Bars = append(n.Bars, htmlBar{Label: "cost", Pct: share(nd.Cost, maxCost), Value: gate.FormatValue(gate.MetricTotalCost, nd.Cost)})
			if p.HasTime {
				n.Bars = append(n.Bars, htmlBar{Label: "time", Pct: share(nd.TimeMS, maxTime), Value: gate.FormatValue(gate.MetricExecutionMS, nd.TimeMS)})
			}
			rows := gate.FormatValue(gate.MetricRows, nd.TotalRows())
			if nd.Loops == 0 {
				rows = "never ran"
			} else if f, under := nd.Misestimate(); f >= 10 {
				dir := "over"
				if under {
					dir = "under"
				}
				rows += fmt.Sprintf(" (est. %s, %sx %s)", gate.FormatValue(gate.MetricRows, nd.PlanRows*nd.Loops), gate.FormatValue(gate.MetricRows, f), dir)
			}
			n.Bars = append(n.Bars, htmlBar{Label: "rows", Pct: logShare(nd.TotalRows(), maxRows), Value: rows})
		}
		p.Nodes = append(p.Nodes, n)
	}
	return p
}

// shapeDetail is the bracketed conditions and keys of a shape line.
func shapeDetail(line string) string {
	if i := strings.Index(line, " ["); i >= 0 && strings.HasSuffix(line, "]") {
		return line[i+2 : len(line)-1]
	}
	return ""
}

// share is v as a percentage of the largest value.
func share(v, largest float64) float64 {
	if largest <= 0 || v <= 0 {
		return 0
	}
	return math.Round(1000*v/largest) / 10
}

// logShare is share on a logarithmic scale, so that 10 rows still show
// next to a million.
func logShare(v, largest float64) float64 {
	if largest <= 0 || v <= 0 {
		return 0
	}
	return share(math.Log10(1+v), math.Log10(1+largest))
}

// anchor makes a query name usable as an element id: letters, digits, '-'
// and '_' kept, anything else as '-'.
func anchor(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
