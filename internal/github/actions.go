package github

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Output is one step output, written to $GITHUB_OUTPUT.
type Output struct {
	Name, Value string
}

// WriteOutputs appends outputs to the file $GITHUB_OUTPUT names, in the
// format the runner reads: "name=value", or a heredoc for a value that spans
// lines.
func WriteOutputs(path string, outputs []Output) error {
	var b strings.Builder
	for _, o := range outputs {
		if o.Name == "" || strings.ContainsAny(o.Name, "=\r\n") {
			return fmt.Errorf("github: output name %q: want a name without '=' or line breaks", o.Name)
		}
		if !strings.ContainsAny(o.Value, "\r\n") {
			fmt.Fprintf(&b, "%s=%s\n", o.Name, o.Value)
			continue
		}
		delim, err := delimiter(o.Value)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return appendFile(path, b.String())
}

// delimiter returns a heredoc delimiter that value does not contain.
func delimiter(value string) (string, error) {
	buf := make([]byte, 16)
	for {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("github: output delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(buf)
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
}

// AppendStepSummary appends markdown to the job summary file
// ($GITHUB_STEP_SUMMARY) at path. markdown should come through Fit with the
// StepSummaryBudget of SummaryUsed(path).
func AppendStepSummary(path, markdown string) error {
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile(path, markdown)
}

// SummaryUsed returns how many bytes the job summary file at path already
// holds: this step's summary has that much less room.
func SummaryUsed(path string) (int, error) {
	info, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("github: step summary: %w", err)
	}
	return int(info.Size()), nil
}

func appendFile(path, data string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("github: %w", err)
	}
	if _, err := f.WriteString(data); err != nil {
		f.Close()
		return fmt.Errorf("github: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("github: %w", err)
	}
	return nil
}

// ErrNotPullRequest is returned by PullRequestNumber for an event that is
// not about a pull request (a push, a schedule).
var ErrNotPullRequest = errors.New("github: the event is not about a pull request")

// PullRequestNumber reads the number of the pull request a workflow runs
// for from the event payload at path ($GITHUB_EVENT_PATH): pull_request and
// pull_request_target events carry pull_request.number; issue_comment events
// on a pull request carry issue.number and issue.pull_request.
func PullRequestNumber(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("github: event payload: %w", err)
	}
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
		} `json:"pull_request"`
		Issue *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, fmt.Errorf("github: event payload %s: %w", path, err)
	}
	switch {
	case ev.PullRequest != nil && ev.PullRequest.Number > 0:
		return ev.PullRequest.Number, nil
	case ev.Issue != nil && ev.Issue.Number > 0 && len(ev.Issue.PullRequest) > 0 && string(ev.Issue.PullRequest) != "null":
		return ev.Issue.Number, nil
	}
	return 0, ErrNotPullRequest
}
