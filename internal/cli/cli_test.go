package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
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
			"errline":   cmdErrline,
			"jq-like":   cmdQueryStatus,
			"busyport":  cmdBusyPort,
			"leftovers": cmdLeftovers,
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
// has STATUS and a failing finding for each METRIC.
func cmdQueryStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 {
		ts.Fatalf("usage: jq-like FILE NAME STATUS [METRIC...]")
	}
	var rep struct {
		Queries []struct {
			Name     string `json:"name"`
			Status   string `json:"status"`
			Findings []struct {
				Metric   string `json:"metric"`
				Severity string `json:"severity"`
				Message  string `json:"message"`
			} `json:"findings"`
		} `json:"queries"`
	}
	if err := json.Unmarshal([]byte(ts.ReadFile(args[0])), &rep); err != nil {
		ts.Fatalf("%s: %v", args[0], err)
	}
	for _, q := range rep.Queries {
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

// busyport FILE: hold a TCP port for the rest of the script and write a
// plangate.yaml to FILE that asks the local backend for it.
func cmdBusyPort(ts *testscript.TestScript, neg bool, args []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ts.Fatalf("listen: %v", err)
	}
	ts.Defer(func() { ln.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	body := fmt.Sprintf("version: 1\nschema: [schema.sql]\nbackend: local\npostgres:\n  port: %d\n", port)
	if err := os.WriteFile(filepath.Join(ts.Getenv("WORK"), args[0]), []byte(body), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
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
