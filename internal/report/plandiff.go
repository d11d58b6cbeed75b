package report

import (
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// PlanDiff compares two plan shapes line by line and returns the lines of a
// unified diff without headers: " " for a line in both, "-" for a line only
// in baseline, "+" for a line only in current.
func PlanDiff(baseline, current []string) []string {
	dmp := diffmatchpatch.New()
	a, b, lines := dmp.DiffLinesToChars(joinLines(baseline), joinLines(current))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(a, b, false), lines)
	var out []string
	for _, d := range diffs {
		prefix := " "
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			prefix = "-"
		case diffmatchpatch.DiffInsert:
			prefix = "+"
		}
		for _, line := range strings.SplitAfter(d.Text, "\n") {
			if line == "" {
				continue
			}
			out = append(out, prefix+strings.TrimSuffix(line, "\n"))
		}
	}
	return out
}

// joinLines ends every line with a newline, so the last line compares like
// the others.
func joinLines(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}
