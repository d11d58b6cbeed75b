package github

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/report"
)

// MaxCommentLength is the longest issue or pull request comment GitHub
// accepts, in characters.
const MaxCommentLength = 65536

// MaxStepSummaryBytes is the most one step may write to its job summary
// ($GITHUB_STEP_SUMMARY); GitHub drops a larger summary altogether.
const MaxStepSummaryBytes = 1 << 20

// Digest limits: enough to say why, short enough to list many queries.
const (
	maxFindingChars = 1000
	maxErrorChars   = 2000
)

// CommentLength returns the length of body as counted against
// MaxCommentLength. GitHub counts characters; this counts UTF-16 code
// units, as browsers do, which is never fewer.
func CommentLength(body string) int {
	n := 0
	for _, r := range body {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Budget is the room a markdown report has somewhere and how it is measured
// there. Length must be additive: the length of a+b is the length of a plus
// the length of b.
type Budget struct {
	// Max is the longest text that fits.
	Max int
	// Length measures a text.
	Length func(string) int
}

// CommentBudget is the room of a pull request comment.
func CommentBudget() Budget {
	return Budget{Max: MaxCommentLength, Length: CommentLength}
}

// StepSummaryBudget is the room left in a step's job summary once used
// bytes are written to it.
func StepSummaryBudget(used int) Budget {
	return Budget{Max: max(MaxStepSummaryBytes-used, 0), Length: func(s string) int { return len(s) }}
}

// Fit returns markdown when it fits b. Otherwise it returns a digest that
// does, with note (say why and where the full report is, e.g. "The full
// report is in the job summary.") near the top. When r is given the digest
// is built from it: the verdict, the counts, then the queries that failed,
// worst first, each with its findings, trimmed; when r is nil, markdown is
// cut after the last of its sections (which list the worst first) that
// fits. The digest starts with report.Marker, as the full report does, so
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
	if !strings.HasPrefix(head, report.Marker) {
		head = report.Marker + "\n" + head
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
	head := report.Marker + "\n## " + report.VerdictLine(r) + "\n\n" + countsLine(counts) + "\n"
	var sections []string
	for _, t := range r.Totals {
		if t.Status != gate.StatusRegressed {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n### ❌ %s regressed\n\n", t.Name())
		for _, f := range t.Findings {
			if f.Severity == gate.SeverityFail {
				fmt.Fprintf(&b, "- ❌ %s\n", strings.ReplaceAll(trim(f.Message, maxFindingChars), "<", "&lt;"))
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
			b.WriteString(fenced(trim(msg, maxErrorChars)) + "\n")
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
			fmt.Fprintf(&b, "- %s %s\n", mark, strings.ReplaceAll(trim(f.Message, maxFindingChars), "<", "&lt;"))
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

// countsLine lists the non-zero counts in status order:
// "**1** regressed · **2** error · **3** pass".
func countsLine(counts map[gate.Status]int) string {
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// code renders s as inline code, whatever backticks it holds.
func code(s string) string {
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if len(fence) > 1 || strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

// fenced renders s as a fenced code block longer than any fence inside it.
func fenced(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + "\n" + s + "\n" + fence
}
