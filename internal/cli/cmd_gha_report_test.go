package cli

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/github"
	"github.com/plangate/plangate/internal/github/githubtest"
	"github.com/plangate/plangate/internal/report"
)

func TestGHAReport(t *testing.T) {
	tests := []struct {
		name        string
		queries     int
		args        []string
		wantDigest  bool
		wantErrors  int // ::error annotations
		wantWarning int
	}{
		{name: "small", queries: 2, wantErrors: 3, wantWarning: 1},
		{name: "more failing queries than annotations", queries: 30, wantErrors: 10, wantWarning: 1},
		{name: "fewer annotations asked", queries: 30, args: []string{"--max-annotations", "3"}, wantErrors: 3, wantWarning: 1},
		{name: "over a megabyte", queries: 3000, wantDigest: true, wantErrors: 10, wantWarning: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: testToken})
			ghEnv(t, srv, prEvent)
			j, m := writeReports(t, t.TempDir(), ghReport(tt.queries))
			code, stdout, stderr := runMain(append([]string{"gha-report", "--json", j, "--markdown", m}, tt.args...)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}

			summary, err := os.ReadFile(os.Getenv("GITHUB_STEP_SUMMARY"))
			if err != nil {
				t.Fatal(err)
			}
			full, _ := os.ReadFile(m)
			if len(summary) > github.MaxStepSummaryBytes {
				t.Errorf("summary is %d bytes", len(summary))
			}
			isDigest := string(summary) != string(full)
			if isDigest != tt.wantDigest {
				t.Errorf("summary is a digest: %v, want %v", isDigest, tt.wantDigest)
			}
			if tt.wantDigest && !strings.Contains(string(summary), "The full report is in `"+m+"`") {
				t.Errorf("digest does not point to the full report")
			}
			if !strings.HasPrefix(string(summary), report.Marker) {
				t.Errorf("summary starts %.60q", summary)
			}

			outputs, _ := os.ReadFile(os.Getenv("GITHUB_OUTPUT"))
			wantOutputs := "verdict=fail\ntotal=" + strconv.Itoa(tt.queries+3) + "\nregressed=" + strconv.Itoa(tt.queries) + "\nerrors=1\nreport=" + m + "\n"
			if string(outputs) != wantOutputs {
				t.Errorf("outputs:\n%s\nwant:\n%s", outputs, wantOutputs)
			}

			var errs, warns int
			for _, line := range strings.Split(stdout, "\n") {
				errs += b2i(strings.HasPrefix(line, "::error "))
				warns += b2i(strings.HasPrefix(line, "::warning "))
			}
			if errs != tt.wantErrors || warns != tt.wantWarning {
				t.Errorf("%d errors and %d warnings annotated, want %d and %d", errs, warns, tt.wantErrors, tt.wantWarning)
			}
			if !strings.Contains(stdout, "::error title=plangate%3A zz_broken failed to run::canceling statement due to statement timeout") {
				t.Errorf("the query that failed to run is not annotated first:\n%.2000s", stdout)
			}
			// The text report is in the log, with workflow commands stopped.
			i, k := strings.Index(stdout, "::stop-commands::"), strings.Index(stdout, "orders_0000")
			if i < 0 || k < i {
				t.Errorf("text report not inside stop-commands:\n%.600s", stdout)
			}
		})
	}
}

func TestGHAReport_OutsideActions(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	t.Setenv("GITHUB_OUTPUT", "")
	j, _ := writeReports(t, t.TempDir(), ghReport(1))
	code, stdout, stderr := runMain("gha-report", "--json", j)
	if code != 0 || !strings.Contains(stdout, "::error ") || !strings.Contains(stderr, "not in GitHub Actions?") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestGHAReport_Errors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "no json", args: []string{"--markdown", "report.md"}, want: "plangate: gha-report: --json FILE is required"},
		{name: "missing json", args: []string{"--json", "nope.json"}, want: "plangate: gha-report: json report: open nope.json: no such file or directory"},
		{name: "bad cap", args: []string{"--json", "x.json", "--max-annotations", "0"}, want: "plangate: gha-report: --max-annotations 0: want at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(append([]string{"gha-report"}, tt.args...)...)
			if code != 2 || !strings.HasPrefix(stderr, tt.want) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q, want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
