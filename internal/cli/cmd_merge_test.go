package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/pgtest"
)

// plangate runs Main with args and returns its exit code, stdout and
// stderr.
func plangate(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// wantErrLine fails unless the run exited 2 with one line on stderr, a
// plangate line matching want.
func wantErrLine(t *testing.T, code int, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if code != ExitError || len(lines) != 1 || !strings.HasPrefix(lines[0], "plangate: ") || !regexp.MustCompile(want).MatchString(lines[0]) {
		t.Errorf("exit %d, stderr %q: want exit 2 and one line matching %q", code, stderr, want)
	}
}

// Timings vary from run to run: reports of two runs are compared with them
// masked. Everything else is deterministic on the same data.
var (
	jsonTimings     = regexp.MustCompile(`"(execution_ms|planning_ms)": [-+0-9.eE]+`)
	markdownTimings = regexp.MustCompile("(?m)^\\| `(execution_ms|planning_ms)` \\|.*$")
)

func maskTimings(format, report string) string {
	if format == "json" {
		return jsonTimings.ReplaceAllString(report, `"$1": 0`)
	}
	return markdownTimings.ReplaceAllString(report, "| `$1` | (varies) |")
}

// TestShard_MergeEqualsUnsharded: the project's queries checked in four
// shards and merged give the report of an unsharded check, timings aside,
// for a query set that passes and one that regresses, and the same exit
// code; gha-report publishes the merged JSON report as it publishes the
// unsharded one.
func TestShard_MergeEqualsUnsharded(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	if code, _, stderr := plangate(t, "baseline"); code != ExitPass {
		t.Fatalf("baseline: exit %d: %s", code, stderr)
	}
	for _, tt := range []struct {
		queries string
		code    int
	}{{"queries", ExitPass}, {"v2", ExitRegressed}} {
		t.Run(tt.queries, func(t *testing.T) {
			var shards []string
			for k := 1; k <= 4; k++ {
				out := fmt.Sprintf("%s-shard-%d.json", tt.queries, k)
				code, _, stderr := plangate(t, "check", "--queries", tt.queries, "--shard", fmt.Sprintf("%d/4", k), "--format", "json", "--output", out)
				if code != ExitPass && code != ExitRegressed {
					t.Fatalf("shard %d/4: exit %d: %s", k, code, stderr)
				}
				shards = append(shards, out)
			}
			for _, format := range []string{"json", "markdown"} {
				code, unsharded, stderr := plangate(t, "check", "--queries", tt.queries, "--format", format)
				if code != tt.code {
					t.Fatalf("unsharded check: exit %d, want %d: %s", code, tt.code, stderr)
				}
				code, merged, stderr := plangate(t, append([]string{"merge", "--format", format}, shards...)...)
				if code != tt.code {
					t.Fatalf("merge: exit %d, want %d: %s", code, tt.code, stderr)
				}
				if diff := cmp.Diff(maskTimings(format, unsharded), maskTimings(format, merged)); diff != "" {
					t.Errorf("%s: merged report differs from the unsharded one (-unsharded +merged):\n%s", format, diff)
				}
				if format == "json" {
					for name, report := range map[string]string{"unsharded": unsharded, "merged": merged} {
						if err := os.WriteFile(tt.queries+"-"+name+".json", []byte(report), 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			summaries := map[string]string{}
			for _, name := range []string{"unsharded", "merged"} {
				summary := filepath.Join(t.TempDir(), "summary.md")
				t.Setenv("GITHUB_STEP_SUMMARY", summary)
				t.Setenv("GITHUB_OUTPUT", filepath.Join(t.TempDir(), "output"))
				if code, _, stderr := plangate(t, "gha-report", "--json", tt.queries+"-"+name+".json", "--report-path", "report.json"); code != ExitPass {
					t.Fatalf("gha-report %s: exit %d: %s", name, code, stderr)
				}
				data, err := os.ReadFile(summary)
				if err != nil {
					t.Fatal(err)
				}
				summaries[name] = maskTimings("markdown", string(data))
			}
			if diff := cmp.Diff(summaries["unsharded"], summaries["merged"]); diff != "" {
				t.Errorf("job summary of the merged report differs (-unsharded +merged):\n%s", diff)
			}
		})
	}

	// What merge refuses, with one line and exit 2.
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no reports", nil, `merge: no shard reports: give the JSON report of every shard`},
		{"no such file", []string{"nope.json"}, `merge: json report: open nope.json: no such file`},
		{"a whole run's report", []string{"v2-unsharded.json"}, `merge: v2-unsharded.json is not a shard's report: write each shard's with plangate check --shard K/N --format json`},
		{"missing shard", []string{"v2-shard-1.json", "v2-shard-2.json", "v2-shard-4.json"}, `merge: shard 3/4 missing`},
		{"shard twice", []string{"v2-shard-1.json", "v2-shard-2.json", "v2-shard-2.json", "v2-shard-3.json", "v2-shard-4.json"},
			`merge: shard 2/4 is given twice \(v2-shard-2.json and v2-shard-2.json\)`},
		{"other query set", []string{"v2-shard-1.json", "queries-shard-2.json", "v2-shard-3.json", "v2-shard-4.json"},
			`merge: v2-shard-1.json and queries-shard-2.json were cut from different query sets`},
		{"markdown report", []string{"plangate.yaml"}, `merge: json report plangate.yaml: invalid character`},
		{"bad format", []string{"--format", "yaml", "v2-shard-1.json"}, `unknown format "yaml"`},
	} {
		t.Run("merge "+tt.name, func(t *testing.T) {
			code, _, stderr := plangate(t, append([]string{"merge"}, tt.args...)...)
			wantErrLine(t, code, stderr, tt.want)
		})
	}
}

// TestShard_BadValues: a --shard that is not K/N with 1 <= K <= N is one
// line and exit 2, before any seeding.
func TestShard_BadValues(t *testing.T) {
	cfg := filepath.Join("testdata", "project", "plangate.yaml")
	for _, v := range []string{"0/4", "5/4", "x", "", "4", "1/0", "-1/2", "2/4/8"} {
		t.Run(v, func(t *testing.T) {
			code, _, stderr := plangate(t, "check", "--config", cfg, "--shard", v)
			wantErrLine(t, code, stderr, `--shard `+regexp.QuoteMeta(v)+`: want K/N with 1 <= K <= N`)
		})
	}
	t.Run("remeasure", func(t *testing.T) {
		t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
		code, _, stderr := plangate(t, "check", "--config", cfg, "--shard", "1/2", "--remeasure-baseline", "--baseline-queries", filepath.Join("testdata", "project", "queries"))
		wantErrLine(t, code, stderr, `--shard: the baseline's queries cannot be remeasured in shards`)
	})
}
