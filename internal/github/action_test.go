package github_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/github/githubtest"
	"github.com/plangate/plangate/internal/report"
)

// The tests in this file run the repository's action.yml as the GitHub
// Actions runner runs a composite action: each step's script with bash, in
// order, skipping the steps after a failure unless they say always(), with
// fresh $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY files per step, and the
// action's outputs evaluated from its steps'. GitHub is githubtest's.

// repoRoot is the action's path: the root of this repository.
var repoRoot = func() string {
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		panic(err)
	}
	return abs
}()

type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Shell string            `yaml:"shell"`
	Run   string            `yaml:"run"`
	Uses  string            `yaml:"uses"`
	With  map[string]string `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

// The actions action.yml may use, which runAction stands in for.
const (
	cacheRestore = "actions/cache/restore@v4"
	cacheSave    = "actions/cache/save@v4"
)

func loadAction(t *testing.T) actionFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml: runs.using %q, want composite", a.Runs.Using)
	}
	for _, s := range a.Runs.Steps {
		switch {
		case s.ID == "":
			t.Fatalf("action.yml: step %+v: every step must have an id", s)
		case s.Uses == cacheRestore || s.Uses == cacheSave:
			if s.With["path"] == "" || s.With["key"] == "" || s.Run != "" {
				t.Fatalf("action.yml: step %s: %s with a path and a key, nothing else", s.ID, s.Uses)
			}
		case s.Uses != "" || s.Shell != "bash":
			t.Fatalf("action.yml: step %s: every step must be a bash run step, or one of the actions this test stands in for (%s, %s)", s.ID, cacheRestore, cacheSave)
		}
	}
	return a
}

// actionEnv is the environment of one run of the action.
type actionEnv struct {
	workspace string
	inputs    map[string]string
	// env is the job's environment, GITHUB_* included.
	env map[string]string
	// ref is github.action_ref: "" as with uses: ./, else the ref of
	// uses: plangate/plangate@REF.
	ref string
	// cacheStore is where the stand-in for actions/cache keeps what it
	// saves, by key; "" for a store of this run alone.
	cacheStore string
	// until is the id of the last step to run; "" runs them all.
	until string
}

// actionRun is what a run of the action left.
type actionRun struct {
	// failed names the step that failed the action, if any, and code is its
	// exit status.
	failed string
	code   int
	// outputs are the action's outputs.
	outputs map[string]string
	// summary is the job summary: the steps' summaries in order.
	summary string
	// log is every step's output; errors and warnings are the annotations
	// the runner would make of it.
	log              string
	errors, warnings []string
	// steps are the outputs of each step, by id; ran the ids of the steps
	// that ran, in order.
	steps map[string]map[string]string
	ran   []string
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// runAction runs action.yml's steps for real.
func runAction(t *testing.T, e actionEnv) actionRun {
	t.Helper()
	a := loadAction(t)
	tmp := t.TempDir()
	stepOutputs := map[string]map[string]string{}
	var eval func(string) string
	eval = func(s string) string {
		return exprRE.ReplaceAllStringFunc(s, func(m string) string {
			expr := exprRE.FindStringSubmatch(m)[1]
			switch {
			case strings.HasPrefix(expr, "inputs."):
				name := strings.TrimPrefix(expr, "inputs.")
				in, ok := a.Inputs[name]
				if !ok {
					t.Fatalf("action.yml: %s: no such input", m)
				}
				if v, given := e.inputs[name]; given {
					return v
				}
				return eval(in.Default)
			case expr == "github.action_path":
				return repoRoot
			case expr == "github.action_ref":
				return e.ref
			case expr == "github.action_repository":
				if e.ref == "" {
					return ""
				}
				return "plangate/plangate"
			case expr == "github.token":
				return e.env["GITHUB_TOKEN_FOR_ACTIONS"]
			case strings.HasPrefix(expr, "steps."):
				parts := strings.Split(expr, ".")
				if len(parts) != 4 || parts[2] != "outputs" {
					t.Fatalf("action.yml: %s: want steps.ID.outputs.NAME", m)
				}
				return stepOutputs[parts[1]][parts[3]]
			}
			t.Fatalf("action.yml: expression %s is not one this test evaluates: keep the action's expressions simple", m)
			return ""
		})
	}
	for name := range e.inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("input %q is not in action.yml", name)
		}
	}

	if e.until != "" && !slices.ContainsFunc(a.Runs.Steps, func(s actionStep) bool { return s.ID == e.until }) {
		t.Fatalf("until %q: action.yml has no such step", e.until)
	}
	store := e.cacheStore
	if store == "" {
		store = filepath.Join(tmp, "actions-cache")
	}
	var run actionRun
	var log strings.Builder
	for i, step := range a.Runs.Steps {
		if i > 0 && a.Runs.Steps[i-1].ID == e.until {
			break
		}
		if !stepRuns(t, step, run.failed == "", eval) {
			continue
		}
		run.ran = append(run.ran, step.ID)
		if step.Uses != "" {
			with := map[string]string{}
			for k, v := range step.With {
				with[k] = eval(v)
			}
			outputs, line := standInForCache(t, store, step.Uses, with)
			stepOutputs[step.ID] = outputs
			log.WriteString(line + "\n")
			if strings.HasPrefix(line, "::warning") {
				run.warnings = append(run.warnings, line)
			}
			continue
		}
		script := filepath.Join(tmp, fmt.Sprintf("%d-%s.sh", i, step.ID))
		if err := os.WriteFile(script, []byte(step.Run), 0o755); err != nil {
			t.Fatal(err)
		}
		outFile := filepath.Join(tmp, fmt.Sprintf("%d-%s.output", i, step.ID))
		sumFile := filepath.Join(tmp, fmt.Sprintf("%d-%s.summary", i, step.ID))
		env := map[string]string{}
		for _, kv := range os.Environ() {
			k, v, _ := strings.Cut(kv, "=")
			if !strings.HasPrefix(k, "GITHUB_") && !strings.HasPrefix(k, "PLANGATE_") && !strings.HasPrefix(k, "INPUT_") {
				env[k] = v
			}
		}
		for k, v := range e.env {
			env[k] = v
		}
		env["GITHUB_OUTPUT"] = outFile
		env["GITHUB_STEP_SUMMARY"] = sumFile
		env["GITHUB_ACTION_PATH"] = repoRoot
		for k, v := range step.Env {
			env[k] = eval(v)
		}
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
		cmd.Dir = e.workspace
		for k, v := range env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		cmd.Stderr = &log
		err := cmd.Run()
		log.Write(stdout.Bytes())
		errs, warns := workflowCommands(stdout.String())
		run.errors = append(run.errors, errs...)
		run.warnings = append(run.warnings, warns...)
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit):
			if run.failed == "" {
				run.failed, run.code = step.ID, exit.ExitCode()
			}
		case err != nil:
			t.Fatalf("step %s: %v", step.ID, err)
		}
		outputs, _ := os.ReadFile(outFile)
		stepOutputs[step.ID] = parseOutputs(t, string(outputs))
		summary, _ := os.ReadFile(sumFile)
		run.summary += string(summary)
	}
	run.log = log.String()
	run.steps = stepOutputs
	run.outputs = map[string]string{}
	for name, o := range a.Outputs {
		run.outputs[name] = eval(o.Value)
	}
	return run
}

// stepRuns evaluates step's if as the runner would, with the steps before
// it having succeeded or not: always(), or an implied success() and the
// comparisons (==, !=) of steps' outputs, inputs and quoted strings that
// && joins. Outputs are evaluated by eval.
func stepRuns(t *testing.T, step actionStep, succeeded bool, eval func(string) string) bool {
	t.Helper()
	cond := strings.TrimSpace(step.If)
	if c, ok := strings.CutPrefix(cond, "${{"); ok {
		cond = strings.TrimSpace(strings.TrimSuffix(c, "}}"))
	}
	if cond == "always()" {
		return true
	}
	if !succeeded {
		return false
	}
	if cond == "" {
		return true
	}
	operand := func(s string) string {
		s = strings.TrimSpace(s)
		switch {
		case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
			return s[1 : len(s)-1]
		case strings.HasPrefix(s, "steps.") || strings.HasPrefix(s, "inputs."):
			return eval("${{ " + s + " }}")
		}
		t.Fatalf("action.yml: step %s: if %q: operand %q is not one this test evaluates", step.ID, step.If, s)
		return ""
	}
	for _, term := range strings.Split(cond, "&&") {
		var holds bool
		if l, r, ok := strings.Cut(term, "!="); ok {
			holds = operand(l) != operand(r)
		} else if l, r, ok := strings.Cut(term, "=="); ok {
			holds = operand(l) == operand(r)
		} else {
			holds = operand(term) != ""
		}
		if !holds {
			return false
		}
	}
	return true
}

// standInForCache does what actions/cache/restore and actions/cache/save
// do, with store for GitHub's cache: restore copies the directory saved
// under the key back to its path when it was saved from that path (the
// cache's version covers the paths), and says cache-hit; save keeps the
// path under the key, unless the key is taken. It returns the step's
// outputs and the line it logs.
func standInForCache(t *testing.T, store, uses string, with map[string]string) (map[string]string, string) {
	t.Helper()
	path, key := with["path"], with["key"]
	if strings.ContainsAny(path, "\n*") || !filepath.IsAbs(path) {
		t.Fatalf("%s: path %q: this stand-in takes one absolute path", uses, path)
	}
	entry := filepath.Join(store, key)
	savedFrom, _ := os.ReadFile(entry + ".path")
	cp := func(from, to string) {
		t.Helper()
		if err := os.RemoveAll(to); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			t.Fatal(err)
		}
		// As the real one's tar does, modes kept: a data directory's matter.
		if out, err := exec.Command("cp", "-a", from, to).CombinedOutput(); err != nil {
			t.Fatalf("%s: cp: %v\n%s", uses, err, out)
		}
	}
	switch uses {
	case cacheRestore:
		if string(savedFrom) != path {
			return map[string]string{}, "Cache not found for input keys: " + key
		}
		cp(filepath.Join(entry, "data"), path)
		return map[string]string{"cache-hit": "true", "cache-primary-key": key, "cache-matched-key": key},
			"Cache restored from key: " + key
	case cacheSave:
		if savedFrom != nil {
			return map[string]string{}, "::warning::Failed to save: Unable to reserve cache with key " + key + ", another job may be creating this cache."
		}
		if _, err := os.Stat(path); err != nil {
			return map[string]string{}, "::warning::Path Validation Error: Path(s) specified in the action for caching do(es) not exist, hence no cache is being saved."
		}
		cp(path, filepath.Join(entry, "data"))
		if err := os.WriteFile(entry+".path", []byte(path), 0o644); err != nil {
			t.Fatal(err)
		}
		return map[string]string{}, "Cache saved with key: " + key
	}
	t.Fatalf("no stand-in for %s", uses)
	return nil, ""
}

// workflowCommands returns the error and warning annotations a step's
// output makes, honouring ::stop-commands::.
func workflowCommands(stdout string) (errs, warns []string) {
	stop := ""
	for _, line := range strings.Split(stdout, "\n") {
		if stop != "" {
			if line == "::"+stop+"::" {
				stop = ""
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "::stop-commands::"):
			stop = strings.TrimPrefix(line, "::stop-commands::")
		case strings.HasPrefix(line, "::error"):
			errs = append(errs, line)
		case strings.HasPrefix(line, "::warning"):
			warns = append(warns, line)
		}
	}
	return errs, warns
}

// binDir holds the plangate that plangateBin builds, releaseDir the
// release that releaseArtifacts builds; TestMain removes them.
var binDir, releaseDir string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{binDir, releaseDir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// plangateBin builds plangate once for the tests that do not let the
// action build it.
var plangateBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "plangate-action-test-")
	if err != nil {
		return "", err
	}
	binDir = dir
	bin := filepath.Join(dir, "plangate")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/plangate")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// stubCheck writes a plangate whose check subcommand stands in for a
// replay: it records its arguments, writes report (when given) to --output,
// prints stderr and exits with code. Every other subcommand is the real
// plangate's.
func stubCheck(t *testing.T, report []byte, code int, stderr string) (bin, argsFile string) {
	t.Helper()
	real, err := plangateBin()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	reportFile := filepath.Join(dir, "fixture.json")
	if report != nil {
		if err := os.WriteFile(reportFile, report, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	argsFile = filepath.Join(dir, "args")
	q := shellQuote
	script := fmt.Sprintf(`#!/bin/bash
if [ "$1" != check ]; then exec %s "$@"; fi
printf '%%s\n' "$@" > %s
out=; prev=
for a in "$@"; do [ "$prev" = --output ] && out=$a; prev=$a; done
if [ -s %s ]; then cp %s "$out"; fi
if [ -n %s ]; then printf '%%s\n' %s >&2; fi
exit %d
`, q(real), q(argsFile), q(reportFile), q(reportFile), q(stderr), q(stderr), code)
	bin = filepath.Join(dir, "plangate")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, argsFile
}

// shellQuote quotes s for bash, where nothing inside single quotes is special.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// jobEnv is the environment of a job on pull request 42 of acme/shop (or
// of a push to main) with the API at srv.
func jobEnv(t *testing.T, srv *githubtest.Server, pullRequest bool) (workspace string, env map[string]string) {
	t.Helper()
	workspace = t.TempDir()
	home := t.TempDir()
	event := filepath.Join(home, "event.json")
	payload, name := `{"action":"synchronize","number":42,"pull_request":{"number":42,"head":{"ref":"feature"},"base":{"ref":"main"}}}`, "pull_request"
	if !pullRequest {
		payload, name = `{"ref":"refs/heads/main","after":"0123456789abcdef"}`, "push"
	}
	if err := os.WriteFile(event, []byte(payload), 0o644); err != nil {
		t.Fatal(err)
	}
	runnerTemp := filepath.Join(home, "runner-temp")
	if err := os.Mkdir(runnerTemp, 0o755); err != nil {
		t.Fatal(err)
	}
	return workspace, map[string]string{
		"CI":                       "true",
		"GITHUB_ACTIONS":           "true",
		"GITHUB_WORKSPACE":         workspace,
		"GITHUB_REPOSITORY":        "acme/shop",
		"GITHUB_EVENT_NAME":        name,
		"GITHUB_EVENT_PATH":        event,
		"GITHUB_API_URL":           srv.BaseURL(),
		"GITHUB_SERVER_URL":        "https://github.com",
		"GITHUB_RUN_ID":            "987654",
		"RUNNER_TEMP":              runnerTemp,
		"GITHUB_TOKEN_FOR_ACTIONS": token, // what ${{ github.token }} gives
	}
}

// fixtureReport renders r as plangate check --format json does.
func fixtureReport(t *testing.T, r gate.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.Write(&buf, "json", r, report.Meta{Postgres: "15.8", Backend: "local", Baseline: "plangate.baseline.json"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func passingReport() gate.Report {
	return gate.Report{Verdict: gate.VerdictPass, Queries: []gate.Result{{
		Name: "orders_by_user", Status: gate.StatusPass,
		Baseline: &gate.Query{Metrics: map[string]float64{"total_cost": 10}},
		Current:  &gate.Query{Metrics: map[string]float64{"total_cost": 10}},
	}}}
}

func TestAction_CommentCreatedThenUpdated(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.Config{Token: token, MaxPerPage: 2})
	// Three reviews first: the action's comment lands on page 2.
	for i := range 3 {
		srv.AddComment("acme/shop", 42, "reviewer", fmt.Sprint("review ", i))
	}
	workspace, env := jobEnv(t, srv, true)

	// Run 1: two queries regressed, one failed to run.
	bin, _ := stubCheck(t, fixtureReport(t, bigReport(2)), 1, "")
	env["PLANGATE_BIN"] = bin
	run := runAction(t, actionEnv{workspace: workspace, env: env})
	if run.failed != "verdict" || run.code != 1 {
		t.Fatalf("run 1: failed at %q with %d, want the verdict step with 1\n%s", run.failed, run.code, run.log)
	}
	wantOutputs := map[string]string{"verdict": "fail", "regressed": "2", "errors": "1", "exit-code": "1"}
	for k, v := range wantOutputs {
		if run.outputs[k] != v {
			t.Errorf("run 1: output %s = %q, want %q", k, run.outputs[k], v)
		}
	}
	if _, err := os.Stat(run.outputs["report"]); err != nil {
		t.Errorf("run 1: output report: %v", err)
	}
	if !strings.HasPrefix(run.summary, report.Marker) || !strings.Contains(run.summary, "❌ plangate: 2 queries regressed, 1 failed to run") {
		t.Errorf("run 1: summary:\n%.400s", run.summary)
	}
	if len(run.errors) != 3 || !strings.Contains(run.errors[0], "zz_broken failed to run") || !strings.Contains(run.errors[1], "query_0001 regressed") {
		t.Errorf("run 1: error annotations, worst first:\n%s", strings.Join(run.errors, "\n"))
	}
	comments := srv.Comments("acme/shop", 42)
	if len(comments) != 4 || !strings.Contains(comments[3].Body, "2 queries regressed") {
		t.Fatalf("run 1: comments %+v", comments)
	}
	id := comments[3].ID

	// Run 2: the pull request is fixed.
	bin, _ = stubCheck(t, fixtureReport(t, passingReport()), 0, "")
	env["PLANGATE_BIN"] = bin
	run = runAction(t, actionEnv{workspace: workspace, env: env})
	if run.failed != "" {
		t.Fatalf("run 2: failed at %s with %d\n%s", run.failed, run.code, run.log)
	}
	if run.outputs["verdict"] != "pass" || run.outputs["regressed"] != "0" || len(run.errors) != 0 {
		t.Errorf("run 2: outputs %v, errors %v", run.outputs, run.errors)
	}
	comments = srv.Comments("acme/shop", 42)
	if len(comments) != 4 || comments[3].ID != id || !strings.Contains(comments[3].Body, "✅ plangate: the query passes") {
		t.Errorf("run 2: the comment was not updated in place: %+v", comments)
	}
}

func TestAction_FailOn(t *testing.T) {
	tests := []struct {
		name       string
		inputs     map[string]string
		report     []byte
		code       int
		stderr     string
		wantFailed string
		wantCode   int
		wantOut    map[string]string
		wantError  string // an error annotation
		wantSum    string
		// wantComment is in the pull request's comment; "" for none.
		wantComment string
	}{
		{name: "pass", report: fixtureReport(t, passingReport()), wantOut: map[string]string{"verdict": "pass", "exit-code": "0"},
			wantComment: "✅ plangate: the query passes"},
		{name: "regression fails", report: fixtureReport(t, bigReport(1)), code: 1,
			wantFailed: "verdict", wantCode: 1, wantOut: map[string]string{"verdict": "fail", "exit-code": "1"},
			wantComment: "❌ plangate: 1 query regressed, 1 failed to run"},
		{name: "regression with fail-on never", inputs: map[string]string{"fail-on": "never"}, report: fixtureReport(t, bigReport(1)), code: 1,
			wantOut: map[string]string{"verdict": "fail", "exit-code": "1", "regressed": "1"}, wantComment: "❌ plangate: 1 query regressed"},
		{name: "error fails even with fail-on never", inputs: map[string]string{"fail-on": "never"}, code: 2,
			stderr:     "plangate: baseline plangate.baseline.json: no such file: record one with `plangate baseline` and commit it",
			wantFailed: "verdict", wantCode: 2, wantOut: map[string]string{"verdict": "error", "exit-code": "2"},
			wantError: "::error title=plangate could not run::plangate: baseline plangate.baseline.json: no such file", wantSum: "## 💥 plangate could not run",
			wantComment: "## 💥 plangate could not run\n\n```\nplangate: baseline plangate.baseline.json: no such file"},
		{name: "bad fail-on", inputs: map[string]string{"fail-on": "sometimes"}, wantFailed: "build", wantCode: 2,
			wantError: `::error title=plangate::input fail-on: "sometimes": use regression or never`},
		{name: "flag and value on one line of args", inputs: map[string]string{"args": "--queries=v2\n--backend local"}, wantFailed: "build", wantCode: 2,
			wantError: `::error title=plangate::input args: "--backend local": one argument per line: write --backend=local or put the value on the next line`},
		{name: "bad mode", inputs: map[string]string{"mode": "compare"}, wantFailed: "build", wantCode: 2,
			wantError: `::error title=plangate::input mode: "compare": use check or baseline`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: token})
			workspace, env := jobEnv(t, srv, true)
			env["PLANGATE_BIN"], _ = stubCheck(t, tt.report, tt.code, tt.stderr)
			run := runAction(t, actionEnv{workspace: workspace, env: env, inputs: tt.inputs})
			if run.failed != tt.wantFailed || run.code != tt.wantCode {
				t.Errorf("failed at %q with %d, want %q with %d\n%s", run.failed, run.code, tt.wantFailed, tt.wantCode, run.log)
			}
			for k, v := range tt.wantOut {
				if run.outputs[k] != v {
					t.Errorf("output %s = %q, want %q", k, run.outputs[k], v)
				}
			}
			if tt.wantError != "" && !slicesHasPrefix(run.errors, tt.wantError) {
				t.Errorf("no annotation %q in %q", tt.wantError, run.errors)
			}
			if !strings.Contains(run.summary, tt.wantSum) {
				t.Errorf("summary lacks %q:\n%s", tt.wantSum, run.summary)
			}
			comments := srv.Comments("acme/shop", 42)
			switch {
			case tt.wantComment == "" && len(comments) != 0:
				t.Errorf("comments %+v, want none", comments)
			case tt.wantComment != "" && (len(comments) != 1 || !strings.HasPrefix(comments[0].Body, report.Marker) || !strings.Contains(comments[0].Body, tt.wantComment)):
				t.Errorf("comments %+v, want one with the marker and %q", comments, tt.wantComment)
			}
		})
	}
}

func slicesHasPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestAction_Comment(t *testing.T) {
	tests := []struct {
		name        string
		pullRequest bool
		inputs      map[string]string
		failPost    int
		report      gate.Report
		wantFailed  string
		wantBodies  int
		wantWarning string
		wantInBody  string
	}{
		{name: "not a pull request", report: bigReport(1), wantFailed: "verdict"},
		{name: "comment off", pullRequest: true, inputs: map[string]string{"comment": "false"}, report: passingReport()},
		{name: "read-only token does not change a pass", pullRequest: true, failPost: 403, report: passingReport(),
			wantWarning: "::warning title=plangate::the pull request comment could not be posted"},
		{name: "read-only token does not change a failure", pullRequest: true, failPost: 403, report: bigReport(1), wantFailed: "verdict",
			wantWarning: "::warning title=plangate::the pull request comment could not be posted"},
		{name: "another token", pullRequest: true, inputs: map[string]string{"github-token": "ghs_other"}, report: passingReport(),
			wantWarning: "::warning title=plangate::the pull request comment could not be posted"},
		{name: "too long for a comment", pullRequest: true, report: bigReport(300), wantFailed: "verdict", wantBodies: 1,
			wantInBody: "The full report is in the [job summary](https://github.com/acme/shop/actions/runs/987654)."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: token})
			if tt.failPost != 0 {
				srv.Fail("POST", tt.failPost, "Resource not accessible by integration")
			}
			workspace, env := jobEnv(t, srv, tt.pullRequest)
			code := 0
			if tt.report.Verdict == gate.VerdictFail {
				code = 1
			}
			env["PLANGATE_BIN"], _ = stubCheck(t, fixtureReport(t, tt.report), code, "")
			run := runAction(t, actionEnv{workspace: workspace, env: env, inputs: tt.inputs})
			if run.failed != tt.wantFailed {
				t.Errorf("failed at %q, want %q\n%s", run.failed, tt.wantFailed, run.log)
			}
			comments := srv.Comments("acme/shop", 42)
			if len(comments) != tt.wantBodies {
				t.Errorf("%d comments, want %d", len(comments), tt.wantBodies)
			}
			if tt.wantInBody != "" && (len(comments) == 0 || !strings.Contains(comments[0].Body, tt.wantInBody)) {
				t.Errorf("comment lacks %q", tt.wantInBody)
			}
			if tt.wantWarning != "" && !slicesHasPrefix(run.warnings, tt.wantWarning) {
				t.Errorf("no warning %q in %q", tt.wantWarning, run.warnings)
			}
			if tt.inputs["comment"] == "false" || !tt.pullRequest {
				if reqs := srv.Requests(); len(reqs) != 0 {
					t.Errorf("GitHub was called: %v", reqs)
				}
			}
		})
	}
}

func TestAction_PassesInputs(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.Config{Token: token})
	workspace, env := jobEnv(t, srv, true)
	if err := os.Mkdir(filepath.Join(workspace, "db"), 0o755); err != nil {
		t.Fatal(err)
	}
	bin, argsFile := stubCheck(t, fixtureReport(t, passingReport()), 0, "")
	env["PLANGATE_BIN"] = bin
	run := runAction(t, actionEnv{workspace: workspace, env: env, inputs: map[string]string{
		"config":            "ci/plangate.yaml",
		"baseline":          "ci/base line.json",
		"postgres-image":    "postgres:16",
		"working-directory": "db",
		"args":              "--backend=local\n  --queries\n captured data.jsonl \n\n",
		"comment":           "false",
	}})
	if run.failed != "" {
		t.Fatalf("failed at %s\n%s", run.failed, run.log)
	}
	data, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSpace(string(data)), "\n")
	want := []string{"check", "--config", "ci/plangate.yaml", "--baseline", "ci/base line.json", "--image", "postgres:16",
		"--format", "json", "--output", run.outputs["report"], "--backend=local", "--queries", "captured data.jsonl"}
	if strings.Join(args, "|") != strings.Join(want, "|") {
		t.Errorf("plangate ran with\n%q\nwant\n%q", args, want)
	}
}

// TestAction_RealCheck lets the action build plangate from this repository
// and run a real baseline, then real checks, of a small project on a local
// PostgreSQL cluster.
func TestAction_RealCheck(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("go is not on PATH: the action builds plangate with it")
	}
	srv := githubtest.NewServer(t, githubtest.Config{Token: token, MaxPerPage: 1})
	srv.AddComment("acme/shop", 42, "reviewer", "looks good")
	workspace, env := jobEnv(t, srv, true)
	project := actionProject(t, workspace)

	// n, the number of queries the baseline recorded, replaces "{n}" in
	// what the later runs want.
	n := ""
	recorded := regexp.MustCompile(`recorded (\d+) queries \(0 failed\)`)

	steps := []struct {
		name       string
		inputs     map[string]string
		wantFailed string
		wantCode   int
		wantOut    map[string]string
		wantSum    []string
		wantBody   []string
	}{
		{
			name:    "baseline",
			inputs:  map[string]string{"mode": "baseline", "working-directory": "app"},
			wantOut: map[string]string{"verdict": "recorded", "exit-code": "0"},
			wantSum: []string{"## ✅ plangate: baseline recorded", "recorded "},
		},
		{
			name:       "check a pull request that regresses",
			inputs:     map[string]string{"working-directory": "app", "args": "--queries\nv2"},
			wantFailed: "verdict", wantCode: 1,
			wantOut:  map[string]string{"verdict": "fail", "exit-code": "1", "errors": "0"},
			wantSum:  []string{report.Marker, "❌ plangate: ", "`accounts_page` regressed", "temp_written_bytes 0 B -> "},
			wantBody: []string{"❌ plangate: ", "`accounts_page` regressed", "`bump_scores` regressed"},
		},
		{
			name:     "check the fixed pull request",
			inputs:   map[string]string{"working-directory": "app"},
			wantOut:  map[string]string{"verdict": "pass", "exit-code": "0", "regressed": "0"},
			wantSum:  []string{"✅ plangate: all {n} queries pass"},
			wantBody: []string{"✅ plangate: all {n} queries pass"},
		},
	}
	for _, st := range steps {
		run := runAction(t, actionEnv{workspace: workspace, env: env, inputs: st.inputs})
		if run.failed != st.wantFailed || run.code != st.wantCode {
			t.Fatalf("%s: failed at %q with %d, want %q with %d\n%s", st.name, run.failed, run.code, st.wantFailed, st.wantCode, run.log)
		}
		for k, v := range st.wantOut {
			if run.outputs[k] != v {
				t.Errorf("%s: output %s = %q, want %q", st.name, k, run.outputs[k], v)
			}
		}
		if m := recorded.FindStringSubmatch(run.summary); m != nil {
			n = m[1]
		}
		if n == "" {
			t.Fatalf("%s: no count of recorded queries in the summary:\n%s", st.name, run.summary)
		}
		for i := range st.wantSum {
			st.wantSum[i] = strings.ReplaceAll(st.wantSum[i], "{n}", n)
		}
		for i := range st.wantBody {
			st.wantBody[i] = strings.ReplaceAll(st.wantBody[i], "{n}", n)
		}
		if st.wantFailed != "" {
			// The heading counts what the regressed output counts.
			st.wantSum = append(st.wantSum, "❌ plangate: "+run.outputs["regressed"]+" queries regressed")
			if run.outputs["regressed"] == "0" {
				t.Errorf("%s: no query regressed", st.name)
			}
		}
		for _, want := range st.wantSum {
			if !strings.Contains(run.summary, want) {
				t.Errorf("%s: summary lacks %q:\n%s", st.name, want, run.summary)
			}
		}
		comments := srv.Comments("acme/shop", 42)
		if st.wantBody == nil {
			if len(comments) != 1 {
				t.Errorf("%s: %d comments, want only the review", st.name, len(comments))
			}
			continue
		}
		if len(comments) != 2 {
			t.Fatalf("%s: %d comments, want the review and one report", st.name, len(comments))
		}
		for _, want := range st.wantBody {
			if !strings.Contains(comments[1].Body, want) {
				t.Errorf("%s: comment lacks %q:\n%s", st.name, want, comments[1].Body)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(project, "plangate.baseline.json")); err != nil {
		t.Errorf("baseline mode left no baseline: %v", err)
	}
}

// TestAction_Shellcheck runs shellcheck, where it is installed, on the
// scripts of action.yml's steps and on the scripts they and the release
// workflow run.
func TestAction_Shellcheck(t *testing.T) {
	shellcheck, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Skip("shellcheck is not installed")
	}
	dir := t.TempDir()
	var files []string
	for _, step := range loadAction(t).Runs.Steps {
		if step.Run == "" {
			continue
		}
		f := filepath.Join(dir, step.ID+".sh")
		if err := os.WriteFile(f, []byte("#!/usr/bin/env bash\n"+step.Run), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	scripts, err := filepath.Glob(filepath.Join(repoRoot, ".github", "*", "*.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) < 3 {
		t.Fatalf("scripts under .github: %v", scripts)
	}
	// -x: the scripts source .github/release/platform.sh, checked with them.
	out, err := exec.Command(shellcheck, append(append([]string{"-x"}, files...), scripts...)...).CombinedOutput()
	if err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
}

// actionProject copies the CLI's test project into workspace/app, for the
// action to run on. The project's 2s statement_timeout keeps the CLI's
// scripts quick; on a loaded machine the VACUUM after a write can outlast
// it, and these tests are about the action, not timeouts: it becomes 60s.
// It returns the project's directory.
func actionProject(t *testing.T, workspace string) string {
	t.Helper()
	project := filepath.Join(workspace, "app")
	if err := os.CopyFS(project, os.DirFS(filepath.Join(repoRoot, "internal", "cli", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(project, "plangate.yaml")
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	data = regexp.MustCompile(`statement_timeout: \S+`).ReplaceAll(data, []byte("statement_timeout: 60s"))
	if err := os.WriteFile(config, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return project
}
