package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/github"
	"github.com/plangate/plangate/internal/github/githubtest"
	"github.com/plangate/plangate/internal/report"
)

const testToken = "ghs_cli_test"

// ghReport is a run with n regressed queries (the last one regressed
// most), one that could not run, one new and one passing.
func ghReport(n int) gate.Report {
	r := gate.Report{Verdict: gate.VerdictFail}
	for i := range n {
		name := fmt.Sprintf("orders_%04d", i)
		cur := 100.0 * float64(i+2)
		r.Queries = append(r.Queries, gate.Result{
			Name:     name,
			Status:   gate.StatusRegressed,
			Baseline: &gate.Query{Name: name, Metrics: map[string]float64{"total_cost": 100, "temp_written_bytes": 0}},
			Current:  &gate.Query{Name: name, Metrics: map[string]float64{"total_cost": cur, "temp_written_bytes": 8192}},
			Findings: []gate.Finding{
				{Metric: "total_cost", Baseline: 100, Current: cur, Severity: gate.SeverityFail,
					Message: fmt.Sprintf("total_cost 100 -> %s: plan changed: %s", gate.FormatValue("total_cost", cur), strings.Repeat("Seq Scan on orders ", 10))},
				{Metric: "temp_written_bytes", Baseline: 0, Current: 8192, Severity: gate.SeverityFail,
					Message: "temp_written_bytes 0 B -> 8.0 kB (+8.0 kB): Sort spilled 8.0 kB to disk"},
			},
		})
	}
	r.Queries = append(r.Queries,
		gate.Result{Name: "zz_broken", Status: gate.StatusError,
			Current: &gate.Query{Name: "zz_broken", Metrics: map[string]float64{}, Error: "canceling statement due to statement timeout"}},
		gate.Result{Name: "zz_new", Status: gate.StatusNew,
			Current: &gate.Query{Name: "zz_new", Metrics: map[string]float64{"total_cost": 3}}},
		gate.Result{Name: "zz_same", Status: gate.StatusPass,
			Baseline: &gate.Query{Name: "zz_same", Metrics: map[string]float64{"total_cost": 3}},
			Current:  &gate.Query{Name: "zz_same", Metrics: map[string]float64{"total_cost": 3}},
			Findings: []gate.Finding{{Metric: "max_row_misestimate", Baseline: 3, Current: 40, Severity: gate.SeverityWarn, Message: "max_row_misestimate 3x -> 40x"}}},
	)
	return r
}

// writeReports writes r's JSON and markdown reports into dir.
func writeReports(t *testing.T, dir string, r gate.Report) (jsonPath, mdPath string) {
	t.Helper()
	meta := report.Meta{Postgres: "15.8", Backend: "local", Baseline: "plangate.baseline.json"}
	for _, f := range []struct{ format, name string }{{"json", "report.json"}, {"markdown", "report.md"}} {
		var buf bytes.Buffer
		if err := report.Write(&buf, f.format, r, meta); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "report.json"), filepath.Join(dir, "report.md")
}

// ghEnv sets the environment of a pull_request workflow run against srv.
func ghEnv(t *testing.T, srv *githubtest.Server, event string) {
	t.Helper()
	dir := t.TempDir()
	eventPath := filepath.Join(dir, "event.json")
	if err := os.WriteFile(eventPath, []byte(event), 0o644); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"GITHUB_TOKEN":        testToken,
		"GITHUB_REPOSITORY":   "acme/shop",
		"GITHUB_EVENT_PATH":   eventPath,
		"GITHUB_EVENT_NAME":   "pull_request",
		"GITHUB_API_URL":      srv.BaseURL(),
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_RUN_ID":       "1234",
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary.md"),
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
	} {
		t.Setenv(k, v)
	}
}

const prEvent = `{"action":"synchronize","number":42,"pull_request":{"number":42}}`

func runMain(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestComment_CreateThenUpdate(t *testing.T) {
	tests := []struct {
		name  string
		args  func(jsonPath, mdPath string) []string
		pages int // page size of the server
	}{
		{name: "markdown and json", args: func(j, m string) []string { return []string{"--markdown", m, "--json", j} }},
		{name: "json alone", args: func(j, m string) []string { return []string{"--json", j} }},
		{name: "markdown alone, marker on page 2", args: func(j, m string) []string { return []string{"--markdown", m} }, pages: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: testToken, MaxPerPage: tt.pages})
			ghEnv(t, srv, prEvent)
			for i := range 3 {
				srv.AddComment("acme/shop", 42, "reviewer", fmt.Sprint("review ", i))
			}
			dir := t.TempDir()
			j, m := writeReports(t, dir, ghReport(2))

			code, stdout, stderr := runMain(append([]string{"comment"}, tt.args(j, m)...)...)
			if code != 0 || !strings.HasPrefix(stdout, "comment created: https://github.com/acme/shop/pull/42#issuecomment-") {
				t.Fatalf("first run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			// The second run has another report: the comment changes in place.
			r := ghReport(1)
			j, m = writeReports(t, dir, r)
			code, stdout, stderr = runMain(append([]string{"comment"}, tt.args(j, m)...)...)
			if code != 0 || !strings.HasPrefix(stdout, "comment updated: ") {
				t.Fatalf("second run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			comments := srv.Comments("acme/shop", 42)
			if len(comments) != 4 {
				t.Fatalf("%d comments, want the 3 reviews and 1 report", len(comments))
			}
			body := comments[3].Body
			if !strings.HasPrefix(body, report.Marker) || !strings.Contains(body, "1 query regressed") {
				t.Errorf("comment is not the second report:\n%s", body)
			}
		})
	}
}

func TestComment_Digest(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.Config{Token: testToken})
	ghEnv(t, srv, prEvent)
	j, m := writeReports(t, t.TempDir(), ghReport(400))
	if data, _ := os.ReadFile(m); github.CommentLength(string(data)) <= github.MaxCommentLength {
		t.Fatalf("the markdown report is only %d characters long: make it longer", len(data))
	}
	code, stdout, stderr := runMain("comment", "--markdown", m, "--json", j)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	body := srv.Comments("acme/shop", 42)[0].Body
	for _, want := range []string{
		report.Marker,
		"## ❌ plangate: 400 queries regressed, 1 failed to run",
		"[job summary](https://github.com/acme/shop/actions/runs/1234)",
		"### 💥 `zz_broken` failed to run",
		"### ❌ `orders_0399` regressed",
		"more failing queries",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("digest lacks %q", want)
		}
	}
	if n := github.CommentLength(body); n > github.MaxCommentLength {
		t.Errorf("digest is %d characters long", n)
	}
}

func TestComment_Errors(t *testing.T) {
	tests := []struct {
		name     string
		event    string
		args     []string
		noReport bool
		unset    []string
		setenv   map[string]string
		fail     int // status the server fails POST with
		wantCode int
		wantErr  string
		wantOut  string
	}{
		{name: "push event", event: `{"ref":"refs/heads/main"}`, setenv: map[string]string{"GITHUB_EVENT_NAME": "push"},
			wantCode: 0, wantErr: "plangate: comment: the workflow's event (push) is not about a pull request: nothing to comment on"},
		{name: "no token", unset: []string{"GITHUB_TOKEN"}, wantCode: 2, wantErr: "plangate: comment: no token in $GITHUB_TOKEN"},
		{name: "token elsewhere", unset: []string{"GITHUB_TOKEN"}, setenv: map[string]string{"PLANGATE_GH": testToken},
			args: []string{"--token-env", "PLANGATE_GH"}, wantCode: 0, wantOut: "comment created"},
		{name: "no repository", unset: []string{"GITHUB_REPOSITORY"}, wantCode: 2, wantErr: "plangate: comment: no repository"},
		{name: "bad repository", args: []string{"--repo", "nope"}, wantCode: 2, wantErr: `plangate: comment: github: repository "nope": want owner/name`},
		{name: "no pull request outside actions", unset: []string{"GITHUB_EVENT_PATH"}, wantCode: 2, wantErr: "plangate: comment: no pull request: pass --pr N"},
		{name: "explicit pull request", unset: []string{"GITHUB_EVENT_PATH"}, args: []string{"--pr", "42"}, wantCode: 0, wantOut: "comment created"},
		{name: "no report", noReport: true, wantCode: 2, wantErr: "plangate: comment: give --markdown FILE or --json FILE"},
		{name: "read-only token", fail: 403, wantCode: 2,
			wantErr: "plangate: comment: acme/shop#42: github: POST /repos/acme/shop/issues/42/comments: 403 Forbidden: Resource not accessible by integration (the token may not write comments"},
		{name: "bad api url", setenv: map[string]string{"GITHUB_API_URL": "api.example.com"}, wantCode: 2, wantErr: `plangate: comment: github: API URL "api.example.com"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: testToken})
			if tt.fail != 0 {
				srv.Fail("POST", tt.fail, "Resource not accessible by integration")
			}
			event := prEvent
			if tt.event != "" {
				event = tt.event
			}
			ghEnv(t, srv, event)
			for _, k := range tt.unset {
				t.Setenv(k, "")
			}
			for k, v := range tt.setenv {
				t.Setenv(k, v)
			}
			j, _ := writeReports(t, t.TempDir(), ghReport(1))
			args := tt.args
			if !tt.noReport {
				args = append([]string{"--json", j}, args...)
			}
			code, stdout, stderr := runMain(append([]string{"comment"}, args...)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if tt.wantErr != "" && (!strings.HasPrefix(stderr, tt.wantErr) || strings.Count(stderr, "\n") != 1) {
				t.Errorf("stderr %q, want one line starting with %q", stderr, tt.wantErr)
			}
			if tt.wantErr == "" && stderr != "" {
				t.Errorf("stderr %q", stderr)
			}
			if !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("stdout %q, want %q", stdout, tt.wantOut)
			}
			if strings.Contains(stdout+stderr, testToken) {
				t.Error("the token was printed")
			}
		})
	}
}

func TestReadJSON_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	j, _ := writeReports(t, dir, ghReport(3))
	r, meta, err := report.ReadJSON(j)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if err := report.Write(&again, "json", r, meta); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(j)
	if diff := cmp.Diff(string(want), again.String()); diff != "" {
		t.Errorf("JSON report read back and written again (-want +got):\n%s", diff)
	}
}

func TestReadJSON_Errors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{name: "not json", body: "<xml/>", want: "invalid character"},
		{name: "another json", body: `{"name": "x"}`, want: "no verdict or queries: is it the output of plangate check --format json?"},
		{name: "bad verdict", body: `{"verdict": "maybe", "queries": []}`, want: `verdict "maybe": want pass or fail`},
		{name: "bad status", body: `{"verdict": "pass", "queries": [{"name": "q", "status": "fine"}]}`, want: `query 1: name "q", status "fine"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "r.json")
			if err := os.WriteFile(path, []byte(tt.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := report.ReadJSON(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
