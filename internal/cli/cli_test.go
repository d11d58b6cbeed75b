package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/plangate/plangate/internal/pgserver"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"plangate": func() {
			// As cmd/plangate does.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs the end-to-end scripts in testdata/scripts, each in a copy
// of testdata/project, against real throwaway PostgreSQL clusters.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/scripts",
		Setup: func(env *testscript.Env) error {
			// Under root the local backend runs postgres as an unprivileged
			// user, which must reach the script's TMPDIR ($WORK/.tmp).
			for _, dir := range []string{filepath.Dir(env.WorkDir), env.WorkDir, filepath.Join(env.WorkDir, ".tmp")} {
				if err := os.Chmod(dir, 0o755); err != nil {
					return err
				}
			}
			env.Setenv("PLANGATE_CACHE_DIR", filepath.Join(env.WorkDir, ".tmp", "cache"))
			return os.CopyFS(env.WorkDir, os.DirFS("testdata/project"))
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"errline":      cmdErrline,
			"jq-like":      cmdQueryStatus,
			"leftovers":    cmdLeftovers,
			"corruptcache": cmdCorruptCache,
			"waitcluster": func(ts *testscript.TestScript, neg bool, args []string) {
				for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
					if clusterRunning(ts) {
						return
					}
				}
				ts.Fatalf("no cluster started within 60s")
			},
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				time.Sleep(d)
			},
		},
		RequireExplicitExec: true,
	})
}

// errline CODE REGEXP: the last command exited with CODE and wrote exactly
// one line to stderr, which matches REGEXP and starts with "plangate: ".
func cmdErrline(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: errline CODE REGEXP")
	}
	stderr := ts.ReadFile("stderr")
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "plangate: ") {
		ts.Fatalf("want one line starting with plangate:, got %q", stderr)
	}
	if !regexp.MustCompile(args[1]).MatchString(lines[0]) {
		ts.Fatalf("stderr %q does not match %q", lines[0], args[1])
	}
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		ts.Fatalf("stack trace on stderr: %q", stderr)
	}
	_ = neg
}

// jq-like FILE NAME STATUS [METRIC...]: in the JSON report FILE, query NAME
// has STATUS and a failing finding for each METRIC. A NAME of "total:"
// names the workload's overall totals, "total:GROUP" a group's.
func cmdQueryStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: jq-like FILE NAME STATUS [METRIC...]")
	}
	type entry struct {
		Name     string `json:"name"`
		Group    string `json:"group"`
		Status   string `json:"status"`
		Findings []struct {
			Metric   string `json:"metric"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
		} `json:"findings"`
	}
	var rep struct {
		Queries []entry `json:"queries"`
		Totals  []entry `json:"totals"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &rep); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	entries := rep.Queries
	if group, ok := strings.CutPrefix(args[1], "total:"); ok {
		entries = nil
		for _, t := range rep.Totals {
			if t.Group == group {
				t.Name = args[1]
				entries = append(entries, t)
			}
		}
	}
	for _, q := range entries {
		if q.Name != args[1] {
			continue
		}
		if q.Status != args[2] {
			ts.Fatalf("%s: status %s, want %s (findings %+v)", q.Name, q.Status, args[2], q.Findings)
		}
		for _, metric := range args[3:] {
			found := false
			for _, f := range q.Findings {
				found = found || (f.Metric == metric && f.Severity == "fail")
			}
			if !found {
				ts.Fatalf("%s: no failing %s finding in %+v", q.Name, metric, q.Findings)
			}
		}
		return
	}
	ts.Fatalf("%s: no query %s", args[0], args[1])
}

// clusterRunning reports whether a postgres server runs from $WORK/.tmp.
func clusterRunning(ts *testscript.TestScript) bool {
	tmp := filepath.Join(ts.Getenv("WORK"), ".tmp")
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmdline, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(cmdline), "\x00-D\x00"+tmp) && !strings.Contains(string(cmdline), "initdb") {
			return true
		}
	}
	return false
}

// leftovers: with !, no cluster directory is left in $WORK/.tmp and no
// postgres process runs from one.
func cmdLeftovers(ts *testscript.TestScript, neg bool, args []string) {
	tmp := filepath.Join(ts.Getenv("WORK"), ".tmp")
	dirs, _ := filepath.Glob(filepath.Join(tmp, "plangate-pg-*"))
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var running []string
	for _, p := range procs {
		cmdline, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(cmdline), tmp) {
			running = append(running, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	found := len(dirs) > 0 || len(running) > 0
	if found != !neg {
		ts.Fatalf("leftovers: directories %v, processes %v", dirs, running)
	}
}

// corruptcache file|nodb: corrupt every seeded-state entry in the script's
// cache: remove one of its files, or drop its seeded database (keeping the
// entry's manifest true, so that only a server on it can tell).
func cmdCorruptCache(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: corruptcache file|nodb")
	}
	entries, _ := filepath.Glob(filepath.Join(ts.Getenv("WORK"), ".tmp", "cache", "*", "data"))
	if len(entries) == 0 {
		ts.Fatalf("no cache entry")
	}
	for _, data := range entries {
		switch args[0] {
		case "file":
			ts.Check(os.Remove(filepath.Join(data, "global", "pg_filenode.map")))
		case "nodb":
			ctx := context.Background()
			srv, err := pgserver.StartLocal(ctx, pgserver.WithDataDir(data))
			ts.Check(err)
			conn, err := pgx.Connect(ctx, srv.ConnString(""))
			ts.Check(err)
			_, err = conn.Exec(ctx, "DROP DATABASE plangate")
			conn.Close(ctx)
			ts.Check(errors.Join(err, srv.Close(ctx)))
			var manifest strings.Builder
			ts.Check(filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return err
				}
				info, err := d.Info()
				if err != nil {
					return err
				}
				rel, _ := filepath.Rel(data, path)
				fmt.Fprintf(&manifest, "%d %s\n", info.Size(), filepath.ToSlash(rel))
				return nil
			}))
			ts.Check(os.WriteFile(filepath.Join(filepath.Dir(data), "manifest"), []byte(manifest.String()), 0o644))
		default:
			ts.Fatalf("corruptcache: unknown way %q", args[0])
		}
	}
}
