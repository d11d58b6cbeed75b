package github_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plangate/plangate/internal/github/githubtest"
)

// The tests in this file run the action as a workflow that says
// uses: plangate/plangate@REF does: the action gets plangate from the
// release REF names, built here with the release script and served from a
// local server, or builds it from source when REF has none.

// releaseVersion is the version of the release releaseArtifacts builds.
const releaseVersion = "v1.2.3"

// releaseArtifacts builds this machine's archive of release v1.2.3 with
// .github/release/build.sh and writes its checksums.txt, once; it returns
// the directory holding them and the archive's name.
var releaseArtifacts = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "plangate-release-test-")
	if err != nil {
		return "", err
	}
	releaseDir = dir
	build := exec.Command("bash", filepath.Join(repoRoot, ".github", "release", "build.sh"), runtime.GOOS, runtime.GOARCH, releaseVersion, dir)
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build.sh: %v\n%s", err, out)
	}
	sums := exec.Command("bash", filepath.Join(repoRoot, ".github", "release", "checksums.sh"), dir)
	if out, err := sums.CombinedOutput(); err != nil {
		return "", fmt.Errorf("checksums.sh: %v\n%s", err, out)
	}
	return dir, nil
})

// assetName is the name of this machine's archive of release version.
func assetName(version string) string {
	return fmt.Sprintf("plangate_%s_%s_%s.tar.gz", strings.TrimPrefix(version, "v"), runtime.GOOS, runtime.GOARCH)
}

// release builds the release (or skips the test where the release script
// cannot build one) and returns its directory.
func release(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: the release script builds with it")
	}
	if (runtime.GOOS != "linux" && runtime.GOOS != "darwin") || (runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64") {
		t.Skipf("no releases for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	dir, err := releaseArtifacts()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// releaseServer serves GitHub's release downloads: the files of
// releases[tag] under /download/TAG/, 404 for the rest. It returns the
// base URL for PLANGATE_RELEASE_URL and the paths requested so far.
func releaseServer(t *testing.T, releases map[string]string) (string, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var requested []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requested = append(requested, r.URL.Path)
		mu.Unlock()
		tag, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/download/"), "/")
		dir, released := releases[tag]
		if !ok || !released || strings.Contains(file, "/") {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, file))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/download", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), requested...)
	}
}

// tagsRepo is a git repository with the tags of plangate's releases:
// v1.2.2 on one commit; v1.2.3 (annotated), v1.2 and v1 on the next; v2 on
// a third that no release names.
func tagsRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	git := func(args ...string) { gitIn(t, dir, args...) }
	git("init", "-q", "-b", "main")
	git("commit", "-q", "--allow-empty", "-m", "1.2.2")
	git("tag", "v1.2.2")
	git("commit", "-q", "--allow-empty", "-m", "1.2.3")
	git("tag", "-a", "-m", "v1.2.3", "v1.2.3")
	git("tag", "v1.2")
	git("tag", "v1")
	git("commit", "-q", "--allow-empty", "-m", "2.0.0-dev")
	git("tag", "v2")
	return dir
}

// fakeGo puts a go on PATH that records its arguments in the file it
// returns and fails: a source build that must not happen, or whose
// arguments are all that matter, shows there.
func fakeGo(t *testing.T, env map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, "calls")
	script := "#!/bin/sh\nif [ \"$1\" = version ]; then echo 'go version go0.0 fake'; exit 0; fi\necho \"$*\" >> " + shellQuote(calls) + "\necho 'fake go: no build here' >&2\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env["PATH"] = dir + string(os.PathListSeparator) + os.Getenv("PATH")
	return calls
}

// tamperedRelease is a release whose archive is not the one its
// checksums.txt names: a byte was appended on the way.
func tamperedRelease(t *testing.T, rel string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"checksums.txt", assetName(releaseVersion)} {
		data, err := os.ReadFile(filepath.Join(rel, name))
		if err != nil {
			t.Fatal(err)
		}
		if name != "checksums.txt" {
			data = append(data, 0)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// foreignRelease is a release with archives for other machines only.
func foreignRelease(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	sum := sha256.Sum256([]byte("elsewhere"))
	sums := fmt.Sprintf("%s  plangate_1.3.0_windows_amd64.tar.gz\n%s  plangate_1.3.0_plan9_%s.tar.gz\n",
		hex.EncodeToString(sum[:]), hex.EncodeToString(sum[:]), runtime.GOARCH)
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(sums), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestAction_Release(t *testing.T) {
	rel := release(t)
	asset := assetName(releaseVersion)
	sum, err := os.ReadFile(filepath.Join(rel, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^[0-9a-f]{64}  ` + regexp.QuoteMeta(asset) + `$`).Match(sum) {
		t.Fatalf("checksums.txt does not name %s:\n%s", asset, sum)
	}
	releaseURL, requested := releaseServer(t, map[string]string{
		"v1.2.3": rel,
		"v1.2.4": tamperedRelease(t, rel),
		"v1.3.0": foreignRelease(t),
	})
	tags := tagsRepo(t)
	machine := runtime.GOOS + "/" + runtime.GOARCH

	tests := []struct {
		name       string
		ref        string
		wantFailed string
		wantCode   int
		// wantLog is in the build step's log; wantError an error annotation.
		wantLog, wantError string
		// wantVersion is what the installed plangate says; "" for none.
		wantVersion string
		// wantBuild is in the arguments of go, when the action built
		// plangate from source.
		wantBuild string
	}{
		{name: "release", ref: "v1.2.3", wantVersion: "plangate version v1.2.3",
			wantLog: "Using plangate v1.2.3: " + asset + " from " + releaseURL + "/v1.2.3 (SHA-256 verified against checksums.txt)"},
		{name: "moving major tag", ref: "v1", wantVersion: "plangate version v1.2.3",
			wantLog: "plangate: v1 is release v1.2.3\nUsing plangate v1.2.3: " + asset},
		{name: "moving minor tag", ref: "v1.2", wantVersion: "plangate version v1.2.3",
			wantLog: "plangate: v1.2 is release v1.2.3\nUsing plangate v1.2.3: " + asset},
		{name: "checksum mismatch", ref: "v1.2.4", wantFailed: "build", wantCode: 2,
			wantError: "::error title=plangate::" + asset + " of release v1.2.4 has SHA-256 "},
		{name: "tag without a release", ref: "v9.9.9", wantFailed: "build", wantCode: 1,
			wantLog:   "Building plangate v9.9.9 from source (v9.9.9 has no release) with go version go0.0 fake",
			wantBuild: "-X github.com/plangate/plangate/internal/cli.Version=v9.9.9"},
		{name: "moving tag ahead of every release", ref: "v2", wantFailed: "build", wantCode: 1,
			wantLog:   "Building plangate v2 from source (no release tag vX.Y.Z names the commit of v2)",
			wantBuild: "internal/cli.Version=v2"},
		{name: "branch", ref: "main", wantFailed: "build", wantCode: 1,
			wantLog:   "Building plangate main from source (main is a branch or a commit, not a release)",
			wantBuild: "build -trimpath"},
		{name: "commit", ref: "0123456789abcdef0123456789abcdef01234567", wantFailed: "build", wantCode: 1,
			wantLog: "(0123456789abcdef0123456789abcdef01234567 is a branch or a commit, not a release)", wantBuild: "build"},
		{name: "no archive for this machine", ref: "v1.3.0", wantFailed: "build", wantCode: 1,
			wantLog: "Building plangate v1.3.0 from source (release v1.3.0 has no archive for " + machine + ")", wantBuild: "build"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: token})
			workspace, env := jobEnv(t, srv, true)
			env["PLANGATE_RELEASE_URL"] = releaseURL
			env["PLANGATE_RELEASE_REPO"] = tags
			calls := fakeGo(t, env)
			before := len(requested())
			run := runAction(t, actionEnv{workspace: workspace, env: env, ref: tt.ref, until: "build"})
			if run.failed != tt.wantFailed || run.code != tt.wantCode {
				t.Fatalf("failed at %q with %d, want %q with %d\n%s", run.failed, run.code, tt.wantFailed, tt.wantCode, run.log)
			}
			if !strings.Contains(run.log, tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, run.log)
			}
			if tt.wantError != "" && !slicesHasPrefix(run.errors, tt.wantError) {
				t.Errorf("no annotation %q in %q", tt.wantError, run.errors)
			}
			built, _ := os.ReadFile(calls)
			switch {
			case tt.wantBuild == "" && len(built) != 0:
				t.Errorf("plangate was built from source: go %s", built)
			case tt.wantBuild != "" && !strings.Contains(string(built), tt.wantBuild):
				t.Errorf("go ran with %q, want a build with %q", built, tt.wantBuild)
			}
			if tt.wantBuild != "" && len(requested()) == before && strings.HasPrefix(tt.ref, "v") && tt.ref != "v2" {
				t.Errorf("the release of %s was not looked for", tt.ref)
			}
			bin := run.steps["build"]["bin"]
			if tt.wantVersion == "" {
				if bin != "" {
					t.Errorf("output bin = %q, want none", bin)
				}
				return
			}
			out, err := exec.Command(bin, "--version").CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != tt.wantVersion {
				t.Errorf("%s --version: %q (%v), want %q", bin, got, err, tt.wantVersion)
			}
		})
	}
}

// TestAction_ReleaseFallsBackToSource lets the action of a tag with no
// release build plangate for real, with the runner's Go.
func TestAction_ReleaseFallsBackToSource(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not on PATH: the action builds plangate with it")
	}
	releaseURL, requested := releaseServer(t, nil)
	srv := githubtest.NewServer(t, githubtest.Config{Token: token})
	workspace, env := jobEnv(t, srv, true)
	env["PLANGATE_RELEASE_URL"] = releaseURL
	run := runAction(t, actionEnv{workspace: workspace, env: env, ref: "v0.0.1-unreleased", until: "build"})
	if run.failed != "" {
		t.Fatalf("failed at %s with %d\n%s", run.failed, run.code, run.log)
	}
	if want := "Building plangate v0.0.1-unreleased from source (v0.0.1-unreleased has no release)"; !strings.Contains(run.log, want) {
		t.Errorf("log lacks %q:\n%s", want, run.log)
	}
	if got := requested(); len(got) != 1 || got[0] != "/download/v0.0.1-unreleased/checksums.txt" {
		t.Errorf("requested %q, want the release's checksums.txt alone", got)
	}
	out, err := exec.Command(run.steps["build"]["bin"], "--version").CombinedOutput()
	if got := strings.TrimSpace(string(out)); err != nil || got != "plangate version v0.0.1-unreleased" {
		t.Errorf("plangate --version: %q (%v)", got, err)
	}
}

// TestAction_ReleaseCache runs the released plangate for real on a small
// project, twice, as two jobs on fresh runners would: the first seeds and
// saves the seeded state with actions/cache, the second restores it and
// seeds nothing.
func TestAction_ReleaseCache(t *testing.T) {
	rel := release(t)
	releaseURL, _ := releaseServer(t, map[string]string{releaseVersion: rel})
	srv := githubtest.NewServer(t, githubtest.Config{Token: token})
	workspace, env := jobEnv(t, srv, true)
	env["PLANGATE_RELEASE_URL"] = releaseURL
	calls := fakeGo(t, env)
	// Under root the local backend's server runs as another user, who must
	// reach the cache under RUNNER_TEMP.
	for d := env["RUNNER_TEMP"]; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	actionProject(t, workspace)
	store := t.TempDir()
	keyRE := regexp.MustCompile(`plangate: seeded state ([0-9a-f]{32}): (\S+)`)

	jobs := []struct {
		name      string
		inputs    map[string]string
		wantOut   map[string]string
		wantState string // built or reused
		wantSaved bool
	}{
		{name: "first job", inputs: map[string]string{"mode": "baseline", "working-directory": "app", "comment": "false"},
			wantOut: map[string]string{"verdict": "recorded"}, wantState: "built", wantSaved: true},
		{name: "second job", inputs: map[string]string{"working-directory": "app", "comment": "false"},
			wantOut: map[string]string{"verdict": "pass", "exit-code": "0"}, wantState: "reused"},
	}
	key := ""
	for _, job := range jobs {
		// A fresh runner: RUNNER_TEMP is empty, at the same path.
		entries, _ := os.ReadDir(env["RUNNER_TEMP"])
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(env["RUNNER_TEMP"], e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		run := runAction(t, actionEnv{workspace: workspace, env: env, ref: releaseVersion, inputs: job.inputs, cacheStore: store})
		elapsed := time.Since(start)
		if run.failed != "" {
			t.Fatalf("%s: failed at %s with %d\n%s", job.name, run.failed, run.code, run.log)
		}
		for k, v := range job.wantOut {
			if run.outputs[k] != v {
				t.Errorf("%s: output %s = %q, want %q", job.name, k, run.outputs[k], v)
			}
		}
		if !strings.Contains(run.log, "Using plangate v1.2.3: ") {
			t.Errorf("%s: the release was not used:\n%s", job.name, run.log)
		}
		m := keyRE.FindStringSubmatch(run.log)
		if m == nil {
			t.Fatalf("%s: the cache-key step named no seeded state:\n%s", job.name, run.log)
		}
		if key != "" && m[1] != key {
			t.Errorf("%s: seeded state %s, the first job's was %s", job.name, m[1], key)
		}
		key = m[1]
		if want := filepath.Join(env["RUNNER_TEMP"], "plangate-cache", key); m[2] != want {
			t.Errorf("%s: the seeded state is kept at %s, want %s", job.name, m[2], want)
		}
		if want := fmt.Sprintf("plangate: seeded state %s %s: %s", key, job.wantState, m[2]); !strings.Contains(run.log, want) {
			t.Errorf("%s: log lacks %q:\n%s", job.name, want, run.log)
		}
		saved := strings.Contains(strings.Join(run.ran, " "), "cache-save")
		if saved != job.wantSaved {
			t.Errorf("%s: cache-save ran: %v, want %v (steps %v)", job.name, saved, job.wantSaved, run.ran)
		}
		if len(run.warnings) != 0 {
			t.Errorf("%s: warnings %q", job.name, run.warnings)
		}
		t.Logf("%s: the action took %s (seeded state %s)", job.name, elapsed.Round(100*time.Millisecond), job.wantState)
	}
	if _, err := os.Stat(filepath.Join(store, "plangate-seeded-"+runtime.GOOS+"-"+key, "data", "manifest")); err != nil {
		t.Errorf("the cache holds no entry for the key: %v", err)
	}
	if built, _ := os.ReadFile(calls); len(built) != 0 {
		t.Errorf("plangate was built from source: go %s", built)
	}
}

// TestReleaseWorkflow_MovesTags runs release.yml's step that moves vX and
// vX.Y, in a clone of a local "origin", after each of a series of releases.
func TestReleaseWorkflow_MovesTags(t *testing.T) {
	w := loadWorkflow(t, filepath.Join(repoRoot, ".github", "workflows", "release.yml"))
	script := ""
	for _, st := range w.Jobs["moving-tags"].Steps {
		if st.Name == "Move vX and vX.Y" {
			script = st.Run
		}
	}
	if script == "" {
		t.Fatal("release.yml: job moving-tags has no step \"Move vX and vX.Y\"")
	}
	dir := t.TempDir()
	origin, work := filepath.Join(dir, "origin.git"), filepath.Join(dir, "work")
	git := func(d string, args ...string) string { return gitIn(t, d, args...) }
	git(dir, "init", "-q", "--bare", "-b", "main", origin)
	git(dir, "init", "-q", "-b", "main", work)
	git(work, "remote", "add", "origin", origin)

	// Each release: a commit, its annotated tag pushed, then the step, as
	// the workflow of that tag runs it. want is where each moving tag
	// points afterwards, by release.
	releases := []struct {
		version string
		want    map[string]string
	}{
		{"v1.2.9", map[string]string{"v1": "v1.2.9", "v1.2": "v1.2.9"}},
		{"v1.10.0", map[string]string{"v1": "v1.10.0", "v1.2": "v1.2.9", "v1.10": "v1.10.0"}},
		// A backport to 1.2 moves v1.2 only.
		{"v1.2.10", map[string]string{"v1": "v1.10.0", "v1.2": "v1.2.10", "v1.10": "v1.10.0"}},
		{"v2.0.0", map[string]string{"v1": "v1.10.0", "v2": "v2.0.0", "v2.0": "v2.0.0"}},
	}
	for _, r := range releases {
		git(work, "commit", "-q", "--allow-empty", "-m", r.version)
		git(work, "tag", "-a", "-m", r.version, r.version)
		git(work, "push", "-q", "origin", "main", r.version)
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "VERSION="+r.version, "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: the step failed: %v\n%s", r.version, err, out)
		}
		for moving, release := range r.want {
			got := git(origin, "rev-parse", moving+"^{commit}")
			if want := git(origin, "rev-parse", release+"^{commit}"); got != want {
				t.Errorf("after %s: %s is %s, want %s's commit %s", r.version, moving, got, release, want)
			}
		}
	}
}
