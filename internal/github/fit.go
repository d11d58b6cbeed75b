package github

import "github.com/plangate/plangate/internal/report"

// MaxCommentLength is the longest issue or pull request comment GitHub
// accepts, in characters.
const MaxCommentLength = 65536

// MaxStepSummaryBytes is the most one step may write to its job summary
// ($GITHUB_STEP_SUMMARY); GitHub drops a larger summary altogether.
const MaxStepSummaryBytes = 1 << 20

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

// CommentBudget is the room of a pull request comment.
func CommentBudget() report.Budget {
	return report.Budget{Max: MaxCommentLength, Length: CommentLength}
}

// StepSummaryBudget is the room left in a step's job summary once used
// bytes are written to it.
func StepSummaryBudget(used int) report.Budget {
	return report.Budget{Max: max(MaxStepSummaryBytes-used, 0), Length: func(s string) int { return len(s) }}
}
