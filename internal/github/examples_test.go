package github_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

type workflowFile struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Steps []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, path string) workflowFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w workflowFile
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(w.Jobs) == 0 {
		t.Fatalf("%s: no jobs", path)
	}
	return w
}

// TestWorkflows_UseTheActionsInputs checks that the example workflows and
// this repository's own give the action only inputs it has.
func TestWorkflows_UseTheActionsInputs(t *testing.T) {
	action := loadAction(t)
	var files []string
	for _, pattern := range []string{"examples/github/workflows/*.yml", ".github/workflows/*.yml"} {
		found, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, found...)
	}
	if len(files) < 2 {
		t.Fatalf("workflows: %v", files)
	}
	uses := 0
	for _, f := range files {
		w := loadWorkflow(t, f)
		for job, j := range w.Jobs {
			for _, st := range j.Steps {
				if st.Uses != "./" && !strings.HasPrefix(st.Uses, "plangate/plangate@") {
					continue
				}
				uses++
				for k := range st.With {
					if _, ok := action.Inputs[k]; !ok {
						t.Errorf("%s: job %s: step %s: input %q is not in action.yml", filepath.Base(f), job, st.ID, k)
					}
				}
			}
		}
	}
	if uses == 0 {
		t.Error("no workflow uses the action")
	}
}

// TestBaselineWorkflow_ProposesAPullRequest runs the nightly workflow's
// last step in a clone whose baseline plangate just recorded, against a
// local "origin" and a gh that records what it is asked.
func TestBaselineWorkflow_ProposesAPullRequest(t *testing.T) {
	w := loadWorkflow(t, filepath.Join(repoRoot, "examples", "github", "workflows", "plangate-baseline.yml"))
	var script string
	for _, j := range w.Jobs {
		for _, st := range j.Steps {
			if st.Name == "Propose the refreshed baseline" {
				script = st.Run
			}
		}
	}
	if script == "" {
		t.Fatal("plangate-baseline.yml: no step named \"Propose the refreshed baseline\"")
	}
	baseline, branch := w.Env["BASELINE"], w.Env["BRANCH"]
	if baseline == "" || branch == "" {
		t.Fatalf("plangate-baseline.yml: env %v: want BASELINE and BRANCH", w.Env)
	}

	tests := []struct {
		name string
		// committed is the baseline on main; "" for none yet.
		committed string
		// recorded is what plangate baseline wrote.
		recorded string
		// openPRs is how many refresh pull requests are open already.
		openPRs    string
		wantPush   bool
		wantCreate bool
	}{
		{name: "changed", committed: "{\"v\": 1}\n", recorded: "{\"v\": 2}\n", openPRs: "0", wantPush: true, wantCreate: true},
		{name: "changed, pull request open", committed: "{\"v\": 1}\n", recorded: "{\"v\": 2}\n", openPRs: "1", wantPush: true},
		{name: "unchanged", committed: "{\"v\": 1}\n", recorded: "{\"v\": 1}\n", openPRs: "0"},
		{name: "first baseline", recorded: "{\"v\": 1}\n", openPRs: "0", wantPush: true, wantCreate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			origin, work, bin := filepath.Join(dir, "origin.git"), filepath.Join(dir, "work"), filepath.Join(dir, "bin")
			git := func(d string, args ...string) string { return gitIn(t, d, args...) }
			git(dir, "init", "-q", "--bare", "-b", "main", origin)
			git(dir, "init", "-q", "-b", "main", work)
			if err := os.WriteFile(filepath.Join(work, "README"), []byte("app\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.committed != "" {
				if err := os.WriteFile(filepath.Join(work, baseline), []byte(tt.committed), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			git(work, "add", ".")
			git(work, "commit", "-q", "-m", "app")
			git(work, "remote", "add", "origin", origin)
			git(work, "push", "-q", "origin", "main")
			mainBefore := git(origin, "rev-parse", "main")
			if err := os.WriteFile(filepath.Join(work, baseline), []byte(tt.recorded), 0o644); err != nil {
				t.Fatal(err)
			}

			// gh answers "pr list" with the count of open pull requests
			// and records every call.
			if err := os.Mkdir(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			calls := filepath.Join(dir, "gh-calls")
			gh := "#!/bin/bash\necho \"$*\" >> " + calls + "\nif [ \"$1 $2\" = 'pr list' ]; then echo " + tt.openPRs + "; fi\n"
			if err := os.WriteFile(filepath.Join(bin, "gh"), []byte(gh), 0o755); err != nil {
				t.Fatal(err)
			}

			cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
			cmd.Dir = work
			cmd.Env = append(os.Environ(),
				"PATH="+bin+":"+os.Getenv("PATH"),
				"GIT_CONFIG_GLOBAL=/dev/null",
				"BASELINE="+baseline, "BRANCH="+branch,
				"GH_TOKEN=ghs_test", "DEFAULT_BRANCH=main",
				"RUN_URL=https://github.com/acme/shop/actions/runs/1")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("step failed: %v\n%s", err, out.String())
			}

			if got := git(origin, "rev-parse", "main"); got != mainBefore {
				t.Errorf("the default branch moved: %s -> %s", mainBefore, got)
			}
			pushed := git(origin, "branch", "--list", branch) != ""
			if pushed != tt.wantPush {
				t.Fatalf("branch %s pushed: %v, want %v\n%s", branch, pushed, tt.wantPush, out.String())
			}
			if pushed {
				if got := git(origin, "show", branch+":"+baseline); got+"\n" != tt.recorded {
					t.Errorf("pushed baseline %q, want %q", got, tt.recorded)
				}
				if n := git(origin, "rev-list", "--count", "main.."+branch); n != "1" {
					t.Errorf("%s commits on the branch, want 1", n)
				}
			}
			data, _ := os.ReadFile(calls)
			created := strings.Contains(string(data), "pr create --base main --head "+branch+" --title plangate: refresh the baseline")
			if created != tt.wantCreate {
				t.Errorf("pull request created: %v, want %v; gh calls:\n%s", created, tt.wantCreate, data)
			}
			if !tt.wantPush && len(data) != 0 {
				t.Errorf("gh called with nothing to propose:\n%s", data)
			}
		})
	}
}

// gitIn runs git in dir as a test committer, with no global configuration,
// and returns its output, trimmed.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=dev", "GIT_AUTHOR_EMAIL=dev@example.com",
		"GIT_COMMITTER_NAME=dev", "GIT_COMMITTER_EMAIL=dev@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
