package github_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/github"
)

func TestWriteOutputs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("earlier=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := github.WriteOutputs(path, []github.Output{
		{Name: "verdict", Value: "fail"},
		{Name: "regressed", Value: "3"},
		{Name: "titles", Value: "a\nb"},
	})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	got := parseOutputs(t, string(data))
	want := map[string]string{"earlier": "1", "verdict": "fail", "regressed": "3", "titles": "a\nb"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("output %s = %q, want %q (file:\n%s)", k, got[k], v, data)
		}
	}
	if err := github.WriteOutputs(path, []github.Output{{Name: "a=b", Value: "x"}}); err == nil {
		t.Error("an output name with '=' was written")
	}
}

// parseOutputs reads a $GITHUB_OUTPUT file as the runner does.
func parseOutputs(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok && !strings.Contains(name, "=") {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("heredoc %s not closed", delim)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(lines[i], "=")
		if !ok {
			t.Fatalf("bad output line %q", lines[i])
		}
		out[name] = val
	}
	return out
}

func TestAppendStepSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "summary.md")
	if used, err := github.SummaryUsed(path); err != nil || used != 0 {
		t.Fatalf("SummaryUsed of a missing file = %d, %v", used, err)
	}
	for _, md := range []string{"# one", "two\n"} {
		if err := github.AppendStepSummary(path, md); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if string(data) != "# one\ntwo\n" {
		t.Errorf("summary = %q", data)
	}
	if used, err := github.SummaryUsed(path); err != nil || used != len(data) {
		t.Errorf("SummaryUsed = %d, %v; want %d", used, err, len(data))
	}
}

func TestPullRequestNumber(t *testing.T) {
	tests := []struct {
		name, payload string
		want          int
		wantErr       error
	}{
		{name: "pull_request", payload: `{"action":"synchronize","number":42,"pull_request":{"number":42,"head":{"sha":"abc"}}}`, want: 42},
		{name: "comment on a pull request", payload: `{"action":"created","issue":{"number":7,"pull_request":{"url":"https://x"}}}`, want: 7},
		{name: "comment on an issue", payload: `{"action":"created","issue":{"number":7}}`, wantErr: github.ErrNotPullRequest},
		{name: "push", payload: `{"ref":"refs/heads/main","after":"abc"}`, wantErr: github.ErrNotPullRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "event.json")
			if err := os.WriteFile(path, []byte(tt.payload), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := github.PullRequestNumber(path)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("PullRequestNumber = %d, %v; want %d, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
	if _, err := github.PullRequestNumber(filepath.Join(t.TempDir(), "missing.json")); err == nil || errors.Is(err, github.ErrNotPullRequest) {
		t.Errorf("missing payload: err = %v", err)
	}
}
