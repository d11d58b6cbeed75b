package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// Marker opens every markdown report, so that a bot updating a sticky pull
// request comment can find its own comment.
const Marker = "<!-- plangate-report -->"

func statusEmoji(s gate.Status) string {
	switch s {
	case gate.StatusPass:
		return "✅"
	case gate.StatusRegressed:
		return "❌"
	case gate.StatusImproved:
		return "📉"
	case gate.StatusNew:
		return "🆕"
	case gate.StatusRemoved:
		return "➖"
	case gate.StatusError:
		return "💥"
	}
	return ""
}

func severityEmoji(sev string) string {
	switch sev {
	case gate.SeverityFail:
		return "❌"
	case gate.SeverityWarn:
		return "⚠️"
	}
	return "ℹ️"
}

func writeMarkdown(w io.Writer, r gate.Report, meta Meta, _ options) error {
	bw := bufio.NewWriter(w)
	counts := r.Counts()

	fmt.Fprintln(bw, Marker)
	fmt.Fprintf(bw, "## %s\n\n", VerdictLine(r))
	if parts := metaParts(meta, code); len(parts) > 0 {
		fmt.Fprintf(bw, "%s\n\n", strings.Join(parts, " · "))
	}
	if r.Verdict == gate.VerdictPass && (len(r.Queries) > 0 || len(r.Migrations) == 0) {
		fmt.Fprintf(bw, "No query plan regressed against the baseline.\n\n")
	}
	markdownMigrations(bw, r)
	if len(r.Queries) == 0 && len(r.Migrations) > 0 {
		return bw.Flush()
	}

	// The summary: one row of counts, every status present.
	var head, rule, vals []string
	for _, s := range gate.Statuses() {
		head = append(head, statusEmoji(s)+" "+string(s))
		rule = append(rule, "---:")
		vals = append(vals, fmt.Sprint(counts[s]))
	}
	fmt.Fprintf(bw, "| %s |\n|%s|\n| %s |\n", strings.Join(head, " | "), strings.Join(rule, "|"), strings.Join(vals, " | "))

	for _, res := range r.Queries {
		if res.Status == gate.StatusRegressed {
			markdownRegressed(bw, res)
		}
	}
	for _, t := range regressedTotals(r) {
		fmt.Fprintf(bw, "\n### %s %s regressed\n\n", statusEmoji(t.Status), text(t.Name()))
		for _, f := range t.Findings {
			if f.Severity != gate.SeverityInfo {
				fmt.Fprintf(bw, "- %s %s\n", severityEmoji(f.Severity), text(f.Message))
			}
		}
	}
	for _, res := range r.Queries {
		if res.Status == gate.StatusError {
			markdownError(bw, res)
		}
	}

	var others []gate.Result
	for _, res := range r.Queries {
		switch {
		case res.Status == gate.StatusRegressed || res.Status == gate.StatusError:
		case res.Status != gate.StatusPass || detailed(res) || res.Match != nil:
			others = append(others, res)
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(bw, "\n### Other changes\n\n| Query | Status | Notes |\n|---|---|---|\n")
		for _, res := range others {
			fmt.Fprintf(bw, "| %s | %s %s | %s |\n", codeCell(res.Name), statusEmoji(res.Status), res.Status, cellText(otherNotes(res)))
		}
	}
	if counts[gate.StatusRegressed] > 0 {
		fmt.Fprintf(bw, "\n<sub>%s</sub>\n", rerecordHint)
	}
	return bw.Flush()
}

// markdownMigrations is the migrations' section: a table of the
// statements, then the findings of each that has any.
func markdownMigrations(w io.Writer, r gate.Report) {
	if len(r.Migrations) == 0 {
		return
	}
	fmt.Fprintf(w, "### 🧱 Migrations: %s\n\n", text(migrationsLine(r)))
	fmt.Fprintf(w, "| Statement | Verdict | What it did | Locks |\n|---|---|---|---|\n")
	for _, m := range r.Migrations {
		var locks []string
		for _, l := range m.Locks {
			locks = append(locks, lockLine(l))
		}
		fmt.Fprintf(w, "| %s<br>%s | %s %s | %s | %s |\n", codeCell(migrationPlace(m)), codeCell(firstLine(m.SQL)),
			severityEmoji(migrationVerdict(m)), migrationVerdict(m), cellText(migrationFacts(m)), cellText(strings.Join(locks, "; ")))
	}
	for _, m := range r.Migrations {
		if len(m.Findings) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n**%s**\n\n", text(migrationPlace(m)))
		for _, f := range m.Findings {
			fmt.Fprintf(w, "- %s %s %s\n", severityEmoji(f.Severity), code(f.Kind), text(f.Message))
		}
	}
	fmt.Fprintln(w)
}

// VerdictLine words a report's verdict as the markdown report's heading:
// "❌ plangate: 2 queries regressed, 1 failed to run" or "✅ plangate: all 5
// queries pass".
func VerdictLine(r gate.Report) string {
	counts := r.Counts()
	if r.Verdict == gate.VerdictFail {
		var parts []string
		if n := counts[gate.StatusRegressed]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s regressed", n, plural(n, "query", "queries")))
		}
		if n := counts[gate.StatusError]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d failed to run", n))
		}
		if n := len(regressedTotals(r)); n > 0 {
			parts = append(parts, fmt.Sprintf("%d workload %s regressed", n, plural(n, "total", "totals")))
		}
		if n, _ := r.MigrationCounts(); n > 0 {
			parts = append(parts, fmt.Sprintf("%d dangerous migration %s", n, plural(n, "statement", "statements")))
		}
		if len(parts) == 0 {
			return "❌ plangate: failed"
		}
		return "❌ plangate: " + strings.Join(parts, ", ")
	}
	n := len(r.Queries) - counts[gate.StatusRemoved]
	switch {
	case n == 0 && len(r.Migrations) > 0:
		return fmt.Sprintf("✅ plangate: %s pass", migrationsLine(r))
	}
	switch n {
	case 0:
		return "✅ plangate: no queries to check"
	case 1:
		return "✅ plangate: the query passes"
	}
	return fmt.Sprintf("✅ plangate: all %d queries pass", n)
}

func markdownRegressed(w io.Writer, res gate.Result) {
	fmt.Fprintf(w, "\n### %s %s regressed\n\n", statusEmoji(res.Status), code(res.Name))
	if note := MatchNote(res); note != "" {
		fmt.Fprintf(w, "%s\n\n", text(note))
	}
	for _, f := range res.Findings {
		if f.Severity == gate.SeverityInfo {
			continue
		}
		fmt.Fprintf(w, "- %s %s%s\n", severityEmoji(f.Severity), kindLabel(f), text(f.Message))
	}

	fmt.Fprintf(w, "\n| Metric | Baseline | Current | Change |\n|---|---:|---:|---:|\n")
	for _, m := range metricUnion(res) {
		base, inBase := metricsOf(res.Baseline)[m]
		cur, inCur := metricsOf(res.Current)[m]
		name := codeCell(m)
		if f, ok := findingFor(res, m); ok {
			name = severityEmoji(f.Severity) + " " + name
		}
		bs, cs, change := "—", "—", "—"
		if inBase {
			bs = gate.FormatValue(m, base)
		}
		if inCur {
			cs = gate.FormatValue(m, cur)
		}
		if inBase && inCur {
			change = gate.FormatDelta(m, base, cur)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", name, bs, cs, change)
	}

	if res.Baseline == nil || res.Current == nil || len(res.Baseline.Plan) == 0 || len(res.Current.Plan) == 0 {
		return
	}
	deltas := NodeDeltas(res.Baseline, res.Current)
	if slices.Equal(res.Baseline.Plan, res.Current.Plan) {
		fmt.Fprintf(w, "\nThe plan's shape is unchanged: the same plan does more work.\n")
		markdownDeltas(w, deltas)
		return
	}
	if d, ok := gate.Diverge(res.Baseline, res.Current); ok {
		if d.Baseline == d.Current {
			fmt.Fprintf(w, "\n**Plans diverge at node %d:** %s, whose conditions or keys changed\n", d.Node, code(d.Current))
		} else {
			fmt.Fprintf(w, "\n**Plans diverge at node %d:** %s → %s\n", d.Node, code(d.Baseline), code(d.Current))
		}
	}
	diff := strings.Join(trimDiff(PlanDiff(res.Baseline.Plan, res.Current.Plan)), "\n")
	fmt.Fprintf(w, "\n<details><summary>Plan diff</summary>\n\n%s\n\n</details>\n", fenced("diff", diff))
	markdownDeltas(w, deltas)
}

// markdownDeltas lists what changed at the nodes both plans share.
func markdownDeltas(w io.Writer, deltas []string) {
	if len(deltas) == 0 {
		return
	}
	fmt.Fprintf(w, "\nNodes both plans share:\n\n")
	for _, d := range deltas {
		fmt.Fprintf(w, "- %s\n", text(d))
	}
}

func markdownError(w io.Writer, res gate.Result) {
	fmt.Fprintf(w, "\n### %s %s failed to run\n\n", statusEmoji(res.Status), code(res.Name))
	if res.Current != nil && res.Current.Error != "" {
		fmt.Fprintf(w, "%s\n", fenced("", res.Current.Error))
	}
}

// otherNotes says in one cell why a query that did not fail is listed.
func otherNotes(res gate.Result) string {
	var notes []string
	if note := MatchNote(res); note != "" {
		notes = append(notes, "🔗 "+note)
	}
	for _, f := range res.Findings {
		notes = append(notes, severityEmoji(f.Severity)+" "+kindLabel(f)+f.Message)
	}
	if len(notes) > 0 {
		return strings.Join(notes, "\n")
	}
	switch res.Status {
	case gate.StatusNew:
		return "within the budgets for new queries"
	case gate.StatusRemoved:
		return "no longer captured; `plangate baseline` will drop it"
	case gate.StatusImproved:
		return "ran without error; the baseline recorded an error"
	}
	return ""
}

// kindLabel names a named finding (see docs/findings.md) before its
// message: "`seq_scan` ".
func kindLabel(f gate.Finding) string {
	if f.Kind == "" {
		return ""
	}
	return code(f.Kind) + " "
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// text escapes prose for markdown: a "<" would open an HTML tag that GitHub
// renders or swallows; nothing else in a message needs escaping.
func text(s string) string {
	return strings.ReplaceAll(s, "<", "&lt;")
}

// cellText escapes prose for a table cell: no pipes, no line breaks.
func cellText(s string) string {
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		lines = append(lines, strings.ReplaceAll(text(line), "|", `\|`))
	}
	return strings.Join(lines, "<br>")
}

// code renders s as inline code, whatever backticks it holds.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || len(fence) > 1 {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// codeCell renders s as inline code inside a table cell.
func codeCell(s string) string {
	return strings.ReplaceAll(code(s), "|", `\|`)
}

// fenced renders s as a fenced code block longer than any fence inside it.
func fenced(lang, s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + lang + "\n" + s + "\n" + fence
}
