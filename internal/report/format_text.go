package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/plangate/plangate/internal/gate"
)

// textColumns are the metrics the terminal table shows, when any query has
// them: the ones the incidents in DESIGN.md are seen in.
var textColumns = []struct{ metric, header string }{
	{gate.MetricTotalCost, "COST"},
	{gate.MetricTempWrittenBytes, "TEMP"},
	{gate.MetricSharedBlocks, "BLOCKS"},
	{gate.MetricWALBytes, "WAL"},
	{gate.MetricRows, "ROWS"},
	{gate.MetricQueryCount, "QUERIES"},
	{gate.MetricExecutionMS, "TIME"},
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGray   = "\x1b[90m"
)

// painter colours text when colour is on and leaves it alone otherwise.
type painter bool

func (p painter) paint(code, s string) string {
	if !p || code == "" || s == "" {
		return s
	}
	return code + s + ansiReset
}

func statusColor(s gate.Status) string {
	switch s {
	case gate.StatusRegressed, gate.StatusError:
		return ansiRed
	case gate.StatusImproved, gate.StatusPass:
		return ansiGreen
	case gate.StatusNew:
		return ansiCyan
	case gate.StatusRemoved:
		return ansiGray
	}
	return ""
}

func severityColor(sev string) string {
	switch sev {
	case gate.SeverityFail:
		return ansiRed
	case gate.SeverityWarn:
		return ansiYellow
	}
	return ansiGray
}

func severityMark(sev string) string {
	switch sev {
	case gate.SeverityFail:
		return "✗"
	case gate.SeverityWarn:
		return "!"
	}
	return "·"
}

// cell is one table cell: its plain text decides the width, its colour is
// applied after padding so escape codes never shift the columns.
type cell struct {
	text, color string
}

func writeText(w io.Writer, r gate.Report, meta Meta, o options) error {
	bw := bufio.NewWriter(w)
	p := painter(o.color)

	if r.Verdict == gate.VerdictFail {
		fmt.Fprintf(bw, "%s %s\n", p.paint(ansiRed, "✗"), p.paint(ansiBold, "plangate: FAIL ("+countsLine(r)+")"))
	} else {
		fmt.Fprintf(bw, "%s %s\n", p.paint(ansiGreen, "✓"), p.paint(ansiBold, "plangate: PASS ("+countsLine(r)+")"))
	}
	if parts := metaParts(meta, func(s string) string { return s }); len(parts) > 0 {
		fmt.Fprintf(bw, "  %s\n", p.paint(ansiGray, strings.Join(parts, " · ")))
	}
	writeTextMigrations(bw, p, r)
	if len(r.Queries) == 0 {
		return bw.Flush()
	}

	fmt.Fprintln(bw)
	writeTable(bw, p, textTable(r))

	// Failures first, then warnings, each in name order.
	var blocks []gate.Result
	for _, s := range []gate.Status{gate.StatusRegressed, gate.StatusError} {
		for _, res := range r.Queries {
			if res.Status == s {
				blocks = append(blocks, res)
			}
		}
	}
	for _, res := range r.Queries {
		if res.Status != gate.StatusRegressed && res.Status != gate.StatusError && (detailed(res) || res.Match != nil) {
			blocks = append(blocks, res)
		}
	}
	regressed := writeTextTotals(bw, p, r)
	for _, res := range blocks {
		regressed = regressed || res.Status == gate.StatusRegressed
		fmt.Fprintln(bw)
		fmt.Fprintf(bw, "%s %s\n", p.paint(ansiBold, res.Name), p.paint(statusColor(res.Status), string(res.Status)))
		if note := MatchNote(res); note != "" {
			fmt.Fprintf(bw, "  %s\n", p.paint(ansiGray, note))
		}
		if res.Status == gate.StatusError && res.Current != nil {
			fmt.Fprintf(bw, "  %s error: %s\n", p.paint(ansiRed, "✗"), oneLine(res.Current.Error))
		}
		for _, f := range res.Findings {
			if res.Status != gate.StatusRegressed && f.Severity == gate.SeverityInfo {
				continue
			}
			kind := ""
			if f.Kind != "" {
				kind = p.paint(ansiGray, "["+f.Kind+"]") + " "
			}
			fmt.Fprintf(bw, "  %s %s%s\n", p.paint(severityColor(f.Severity), severityMark(f.Severity)), kind, f.Message)
		}
		textPlanChange(bw, p, res)
	}
	if regressed {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, p.paint(ansiGray, rerecordHint))
	}
	return bw.Flush()
}

// detailed reports whether a query gets its own block under the table: it
// failed, or something about it warns.
func detailed(res gate.Result) bool {
	if res.Status == gate.StatusRegressed || res.Status == gate.StatusError {
		return true
	}
	for _, f := range res.Findings {
		if f.Severity == gate.SeverityWarn {
			return true
		}
	}
	return false
}

func textTable(r gate.Report) [][]cell {
	var cols []int
	for i, c := range textColumns {
		for _, res := range r.Queries {
			if _, ok := metricsOf(res.Current)[c.metric]; ok {
				cols = append(cols, i)
				break
			}
			if _, ok := metricsOf(res.Baseline)[c.metric]; ok {
				cols = append(cols, i)
				break
			}
		}
	}
	header := []cell{{text: "QUERY"}, {text: "STATUS"}}
	for _, i := range cols {
		header = append(header, cell{text: textColumns[i].header})
	}
	rows := [][]cell{header}
	for _, res := range r.Queries {
		row := []cell{{text: res.Name}, {text: string(res.Status), color: statusColor(res.Status)}}
		for _, i := range cols {
			row = append(row, metricCell(res, textColumns[i].metric))
		}
		rows = append(rows, row)
	}
	return rows
}

// metricCell shows the current value and, when it moved, how far:
// "9,800 (+717%)", or "184 MB (+184 MB)" from zero.
func metricCell(res gate.Result, metric string) cell {
	if res.Current == nil || res.Current.Error != "" {
		return cell{text: "-"}
	}
	cur, ok := res.Current.Metrics[metric]
	if !ok {
		return cell{text: "-"}
	}
	c := cell{text: gate.FormatValue(metric, cur)}
	if base, ok := metricsOf(res.Baseline)[metric]; ok && gate.FormatValue(metric, base) != c.text {
		delta := "+" + gate.FormatValue(metric, cur-base)
		switch {
		case base != 0:
			delta = gate.FormatPercent((cur - base) / base)
		case cur < base:
			delta = gate.FormatValue(metric, cur-base)
		}
		c.text += " (" + delta + ")"
	}
	if f, ok := findingFor(res, metric); ok {
		c.color = severityColor(f.Severity)
		if f.Severity == gate.SeverityInfo && f.Current < f.Baseline {
			c.color = ansiGreen
		}
	}
	return c
}

func writeTable(w io.Writer, p painter, rows [][]cell) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	for r, row := range rows {
		var line strings.Builder
		for i, c := range row {
			text := c.text
			if i < len(row)-1 {
				text += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+2)
			}
			code := c.color
			if r == 0 {
				code = ansiBold
			}
			// Paint the text, not the padding.
			line.WriteString(p.paint(code, c.text) + text[len(c.text):])
		}
		fmt.Fprintln(w, strings.TrimRight(line.String(), " "))
	}
}

// oneLine keeps a multi-line error on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// textPlanChange shows how the plan changed: where the plans diverge, the
// diff of their shapes, and what changed at the nodes they share.
func textPlanChange(w io.Writer, p painter, res gate.Result) {
	if res.Baseline == nil || res.Current == nil || res.Current.Error != "" {
		return
	}
	if d := divergence(res); d != "" {
		fmt.Fprintf(w, "  %s\n", p.paint(ansiBold, d))
		for _, line := range trimDiff(PlanDiff(res.Baseline.Plan, res.Current.Plan)) {
			code := ""
			switch {
			case strings.HasPrefix(line, "-"):
				code = ansiRed
			case strings.HasPrefix(line, "+"):
				code = ansiGreen
			}
			fmt.Fprintf(w, "    %s\n", p.paint(code, line))
		}
	}
	deltas := NodeDeltas(res.Baseline, res.Current)
	if len(deltas) == 0 {
		return
	}
	if divergence(res) == "" {
		fmt.Fprintln(w, "  the plan's shape is unchanged; its nodes did more work:")
	} else {
		fmt.Fprintln(w, "  nodes both plans share:")
	}
	for _, d := range deltas {
		fmt.Fprintf(w, "    %s\n", d)
	}
}

// writeTextMigrations shows each migration statement: where it is, what it
// did, the locks it held and its findings.
func writeTextMigrations(w io.Writer, p painter, r gate.Report) {
	for _, m := range r.Migrations {
		verdict := migrationVerdict(m)
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s %s\n", p.paint(ansiBold, migrationPlace(m)), p.paint(severityColor(verdict), verdict))
		fmt.Fprintf(w, "  %s\n", p.paint(ansiGray, oneLine(firstLine(m.SQL))))
		fmt.Fprintf(w, "  %s\n", migrationFacts(m))
		for _, l := range m.Locks {
			fmt.Fprintf(w, "  lock %s\n", lockLine(l))
		}
		for _, f := range m.Findings {
			fmt.Fprintf(w, "  %s %s %s\n", p.paint(severityColor(f.Severity), severityMark(f.Severity)), p.paint(ansiGray, "["+f.Kind+"]"), f.Message)
		}
	}
}

// writeTextTotals shows the workload's totals under the queries' table, one
// line each, then why those that regressed did; it reports whether any did.
func writeTextTotals(w io.Writer, p painter, r gate.Report) bool {
	if len(r.Totals) == 0 || totalsEmpty(r.Totals) {
		return false
	}
	rows := [][]cell{{{text: "WORKLOAD"}, {text: "STATUS"}, {text: "STATEMENTS"}, {text: "COST"}, {text: "BLOCKS"}, {text: "TEMP"}, {text: "WAL"}}}
	for _, t := range r.Totals {
		row := []cell{{text: t.Name()}, {text: string(t.Status), color: statusColor(t.Status)}}
		for _, m := range gate.TotalMetrics() {
			row = append(row, totalCell(t, m))
		}
		rows = append(rows, row)
	}
	fmt.Fprintln(w)
	writeTable(w, p, rows)
	regressed := false
	for _, t := range regressedTotals(r) {
		regressed = true
		fmt.Fprintln(w)
		fmt.Fprintf(w, "%s %s\n", p.paint(ansiBold, t.Name()), p.paint(statusColor(t.Status), string(t.Status)))
		for _, f := range t.Findings {
			if f.Severity != gate.SeverityInfo {
				fmt.Fprintf(w, "  %s %s\n", p.paint(severityColor(f.Severity), severityMark(f.Severity)), f.Message)
			}
		}
	}
	return regressed
}

// totalsEmpty reports whether no statement counted towards the totals (a
// baseline recorded before calls were kept).
func totalsEmpty(ts []gate.TotalResult) bool {
	for _, t := range ts {
		if t.Current[gate.MetricQueryCount] > 0 || t.Baseline[gate.MetricQueryCount] > 0 {
			return false
		}
	}
	return true
}

// totalCell shows a total and, when it moved, by how much.
func totalCell(t gate.TotalResult, metric string) cell {
	res := gate.Result{Findings: t.Findings}
	if t.Current != nil {
		res.Current = &gate.Query{Metrics: t.Current}
	} else {
		res.Current = &gate.Query{Metrics: t.Baseline}
	}
	if t.Baseline != nil && t.Current != nil {
		res.Baseline = &gate.Query{Metrics: t.Baseline}
	}
	return metricCell(res, metric)
}
