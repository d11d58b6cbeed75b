package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/plangate/plangate/internal/gate"
)

// Digest limits: enough to say why, short enough to list many queries.
const (
	maxFindingChars = 1000
	maxErrorChars   = 2000
)

// Budget is the room a markdown report has somewhere and how it is measured
// there. Length must be additive: the length of a+b is the length of a plus
// the length of b.
type Budget struct {
	// Max is the longest text that fits.
	Max int
	// Length measures a text.
	Length func(string) int
}

// Fit returns markdown when it fits b. Otherwise it returns a digest that
// does, with note (say why and where the full report is, e.g. "The full
// report is in the job summary.") near the top. When r is given the digest
// is built from it: the verdict, the counts, then the queries that failed,
// worst first, each with its findings, trimmed; when r is nil, markdown is
// cut after the last of its sections (which list the worst first) that
// fits. The digest starts with Marker, as the full report does, so
// that a sticky comment stays findable.
func Fit(markdown string, b Budget, r *gate.Report, note string) string {
	if b.Length(markdown) <= b.Max {
		return markdown
	}
	var head string
	var sections []string
	if r != nil {
		head, sections = digestParts(*r)
	} else {
		head, sections = splitSections(markdown)
	}
	if !strings.HasPrefix(head, Marker) {
		head = Marker + "\n" + head
	}
	head = strings.TrimRight(head, "\n") + "\n\n> [!NOTE]\n> " + strings.ReplaceAll(strings.TrimSpace(note), "\n", "\n> ") + "\n"

	out := head
	used := b.Length(out)
	shown := 0
	for i, sec := range sections {
		more := ""
		if rest := len(sections) - i - 1; rest > 0 {
			more = moreLine(rest, r != nil)
		}
		if n := b.Length(sec); used+n+b.Length(more) <= b.Max {
			out += sec
			used += n
			shown++
			continue
		}
		break
	}
	if rest := len(sections) - shown; rest > 0 {
		out += moreLine(rest, r != nil)
	}
	return truncate(out, b)
}

// moreLine says how many sections a digest leaves out.
func moreLine(n int, queries bool) string {
	if queries {
		return fmt.Sprintf("\n_…and %d more failing %s: see the full report._\n", n, plural(n, "query", "queries"))
	}
	return fmt.Sprintf("\n_…and %d more %s: see the full report._\n", n, plural(n, "section", "sections"))
}

// digestParts renders r's digest: a head (marker, verdict, counts) and one
// section per regressed workload total, then per failing query, worst first.
func digestParts(r gate.Report) (string, []string) {
	counts := r.Counts()
	head := Marker + "\n## " + VerdictLine(r) + "\n\n" + digestCounts(counts) + "\n"
	var sections []string
	for _, m := range r.Migrations {
		if !m.Failed() {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n### ❌ migration %s is dangerous\n\n", code(migrationPlace(m)))
		for _, msg := range migrationMessages(m, gate.SeverityFail) {
			fmt.Fprintf(&b, "- ❌ %s\n", text(trim(msg, maxFindingChars)))
		}
		sections = append(sections, b.String())
	}
	for _, t := range r.Totals {
		if t.Status != gate.StatusRegressed {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n### ❌ %s regressed\n\n", t.Name())
		for _, f := range t.Findings {
			if f.Severity == gate.SeverityFail {
				fmt.Fprintf(&b, "- ❌ %s\n", text(trim(f.Message, maxFindingChars)))
			}
		}
		sections = append(sections, b.String())
	}
	for _, res := range Failing(r) {
		var b strings.Builder
		if res.Status == gate.StatusError {
			fmt.Fprintf(&b, "\n### 💥 %s failed to run\n\n", code(res.Name))
			msg := "the query could not be measured"
			if res.Current != nil && res.Current.Error != "" {
				msg = res.Current.Error
			}
			b.WriteString(fenced("", trim(msg, maxErrorChars)) + "\n")
		} else {
			fmt.Fprintf(&b, "\n### ❌ %s regressed\n\n", code(res.Name))
		}
		for _, f := range res.Findings {
			if f.Severity == gate.SeverityInfo {
				continue
			}
			mark := "❌"
			if f.Severity == gate.SeverityWarn {
				mark = "⚠️"
			}
			fmt.Fprintf(&b, "- %s %s\n", mark, text(trim(f.Message, maxFindingChars)))
		}
		sections = append(sections, b.String())
	}
	return head, sections
}

// splitSections cuts a markdown report into what comes before its first
// "###" heading and one part per such heading.
func splitSections(markdown string) (string, []string) {
	parts := strings.Split(markdown, "\n### ")
	sections := make([]string, 0, len(parts)-1)
	for _, p := range parts[1:] {
		sections = append(sections, "\n### "+p)
	}
	return parts[0], sections
}

// digestCounts lists the non-zero counts in status order:
// "**1** regressed · **2** error · **3** pass".
func digestCounts(counts map[gate.Status]int) string {
	var parts []string
	for _, s := range gate.Statuses() {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("**%d** %s", n, s))
		}
	}
	if len(parts) == 0 {
		return "No queries."
	}
	return strings.Join(parts, " · ")
}

// truncate cuts s to fit b, as a last resort.
func truncate(s string, b Budget) string {
	if b.Length(s) <= b.Max {
		return s
	}
	const ellipsis = "\n…\n"
	room := b.Max - b.Length(ellipsis)
	if room < 0 {
		return ""
	}
	used := 0
	for i, r := range s {
		n := b.Length(string(r))
		if used+n > room {
			return s[:i] + ellipsis
		}
		used += n
	}
	return s
}

// trim shortens s to at most n characters, marking the cut.
func trim(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}
