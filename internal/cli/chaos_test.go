package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
)

// TestChaos interrupts baseline, check and seed runs at random points (INT,
// TERM, KILL of plangate, kill -9 of its postmaster, a disk that fills up),
// each followed by a normal run, and checks after every iteration that
//
//   - an interrupted run exits 2 with one clear line, or gives its normal
//     result (the fault came too late);
//   - after the next run no postgres process, cluster or build directory,
//     data copy, scratch database or run role is left;
//   - the baseline file is byte-identical;
//   - the next run's result is a clean run's (no cache was poisoned).
//
// It runs only with PLANGATE_CHAOS set: to 1 (a budget of 5 minutes) or to
// a duration. PLANGATE_CHAOS_SEED replays a sequence of faults.
func TestChaos(t *testing.T) {
	budget := chaosBudget(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PLANGATE_CHAOS_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("PLANGATE_CHAOS_SEED: %v", err)
		}
	}
	t.Logf("seed %d (PLANGATE_CHAOS_SEED replays it), budget %s", seed, budget)
	c := newChaos(t, rand.New(rand.NewPCG(seed, seed)))

	faults := []chaosFault{
		{"SIGINT", c.signalFault(syscall.SIGINT)},
		{"SIGTERM", c.signalFault(syscall.SIGTERM)},
		{"SIGKILL", c.signalFault(syscall.SIGKILL)},
		{"kill -9 postmaster", c.postmasterFault},
		{"disk full", c.diskFullFault},
	}
	stats := map[string]*chaosStats{}
	for _, f := range faults {
		stats[f.name] = &chaosStats{}
	}
	deadline := time.Now().Add(budget)
	for round := 0; round == 0 || time.Now().Before(deadline); round++ {
		for _, f := range faults {
			st := stats[f.name]
			st.iterations++
			what := f.run(t)
			problems := c.afterFault(t)
			t.Logf("%s #%d: %s; %s", f.name, st.iterations, what, strings.Join(append([]string{"ok"}, problems...), "; "))
			for _, p := range problems {
				switch {
				case strings.HasPrefix(p, "leftover"):
					st.leftovers++
				case strings.HasPrefix(p, "poisoned"):
					st.poisoned++
				}
				t.Errorf("%s #%d: %s", f.name, st.iterations, p)
			}
		}
	}
	for _, f := range faults {
		st := stats[f.name]
		t.Logf("%-20s iterations %d, leftovers after the next run %d, poisoned caches %d", f.name, st.iterations, st.leftovers, st.poisoned)
	}
}

type chaosFault struct {
	name string
	// run runs one faulted command, checks what it said, and returns what
	// it did, for the log.
	run func(t *testing.T) string
}

type chaosStats struct{ iterations, leftovers, poisoned int }

func chaosBudget(t *testing.T) time.Duration {
	v := os.Getenv("PLANGATE_CHAOS")
	if v == "" {
		t.Skip("set PLANGATE_CHAOS=1 (or a duration, e.g. 10m) to run the chaos test")
	}
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return 5 * time.Minute
}

// chaos is the test's project, its cache, a server for the dsn backend and
// what a clean run gives.
type chaos struct {
	rng       *rand.Rand
	bin       string // plangate: this test binary under that name
	work, tmp string
	cache     string
	env       []string
	dsn       string
	admin     *pgx.Conn
	baseline  []byte
	reference string
	// took is how long a normal run of each command took, for picking
	// the moment of a fault.
	took map[string]time.Duration
}

func newChaos(t *testing.T, rng *rand.Rand) *chaos {
	t.Helper()
	ctx := context.Background()
	work := pgtest.ServerReachableDir(t)
	if err := os.CopyFS(work, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	// A generous timeout: a loaded machine must not turn a pass into an
	// error between two runs.
	cfg, err := os.ReadFile(filepath.Join(work, "plangate.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg = bytes.ReplaceAll(cfg, []byte("statement_timeout: 2s"), []byte("statement_timeout: 120s"))
	if err := os.WriteFile(filepath.Join(work, "plangate.yaml"), cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &chaos{rng: rng, work: work, tmp: filepath.Join(work, ".tmp"), took: map[string]time.Duration{}}
	c.cache = filepath.Join(c.tmp, "cache")
	if err := os.MkdirAll(c.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c.bin = filepath.Join(t.TempDir(), "plangate")
	if err := os.Symlink(self, c.bin); err != nil {
		t.Fatal(err)
	}
	c.env = append(os.Environ(), "TMPDIR="+c.tmp, "PLANGATE_CACHE_DIR="+c.cache)

	srv, err := pgserver.StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	c.dsn = srv.ConnString("")
	if c.admin, err = pgx.Connect(ctx, c.dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.admin.Close(context.Background()) })

	for _, args := range [][]string{{"seed"}, {"baseline"}} {
		start := time.Now()
		r := c.run(t, nil, args...)
		c.took[args[0]] = time.Since(start)
		if r.code != 0 {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	if c.baseline, err = os.ReadFile(filepath.Join(work, "plangate.baseline.json")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	c.reference = c.cleanRun(t)
	c.took["check"] = time.Since(start)
	start = time.Now()
	r := c.run(t, nil, "check", "--format", "json", "--no-cache")
	c.took["check --no-cache"] = time.Since(start)
	if got := summary(t, r); got != c.reference {
		t.Fatalf("check --no-cache differs from check:\n%s\n%s", got, c.reference)
	}
	start = time.Now()
	r = c.run(t, nil, "check", "--format", "json", "--backend", "dsn", "--dsn", c.dsn)
	c.took["check --backend dsn"] = time.Since(start)
	if got := summary(t, r); got != c.reference {
		t.Fatalf("check --backend dsn differs from check:\n%s\n%s", got, c.reference)
	}
	t.Logf("a clean run: %s; took %v", c.reference, c.took)
	return c
}

type chaosResult struct {
	code           int
	stdout, stderr string
}

// run runs plangate in the project with args; fault, when set, is called
// with the process once it has started.
func (c *chaos) run(t *testing.T, fault func(*os.Process), args ...string) chaosResult {
	t.Helper()
	cmd := exec.Command(c.bin, args...)
	cmd.Dir, cmd.Env = c.work, c.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if fault != nil {
		fault(cmd.Process)
	}
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return chaosResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// cleanRun runs check and returns its summary.
func (c *chaos) cleanRun(t *testing.T) string {
	t.Helper()
	return summary(t, c.run(t, nil, "check", "--format", "json"))
}

// summary is what of a check's result must not change from run to run: the
// exit code, the verdict, and each query's status and deterministic
// metrics.
func summary(t *testing.T, r chaosResult) string {
	t.Helper()
	var rep struct {
		Verdict string `json:"verdict"`
		Queries []struct {
			Name    string             `json:"name"`
			Status  string             `json:"status"`
			Metrics map[string]float64 `json:"metrics"`
		} `json:"queries"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		return fmt.Sprintf("exit %d, no report (%v): %s", r.code, err, oneLine(r.stderr))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d %s", r.code, rep.Verdict)
	for _, q := range rep.Queries {
		fmt.Fprintf(&b, " %s=%s(cost %g, rows %g, temp %g)", q.Name, q.Status,
			q.Metrics["total_cost"], q.Metrics["rows"], q.Metrics["temp_written_bytes"])
	}
	return b.String()
}

// command picks a command to fault: a check on the warm cache, one that
// builds the cache (cold), one without the cache, one on a server named
// with --dsn, or a baseline.
func (c *chaos) command(t *testing.T) (args []string, took time.Duration) {
	t.Helper()
	switch c.rng.IntN(5) {
	case 0:
		return []string{"check"}, c.took["check"]
	case 1:
		if err := os.RemoveAll(c.cache); err != nil {
			t.Fatal(err)
		}
		return []string{"check"}, c.took["seed"] + c.took["check"]
	case 2:
		return []string{"check", "--no-cache"}, c.took["check --no-cache"]
	case 3:
		return []string{"check", "--backend", "dsn", "--dsn", c.dsn}, c.took["check --backend dsn"]
	default:
		return []string{"baseline"}, c.took["baseline"]
	}
}

// signalFault sends sig to plangate at a random moment of a run.
func (c *chaos) signalFault(sig syscall.Signal) func(t *testing.T) string {
	return func(t *testing.T) string {
		args, took := c.command(t)
		delay := time.Duration(c.rng.Int64N(int64(took) + 1))
		r := c.run(t, func(p *os.Process) {
			time.Sleep(delay)
			_ = p.Signal(sig)
		}, args...)
		if sig != syscall.SIGKILL {
			c.checkExit(t, r, "")
		}
		return fmt.Sprintf("%v after %s: exit %d", args, delay.Round(time.Millisecond), r.code)
	}
}

// postmasterFault kills the postmaster of a run with SIGKILL once it runs.
func (c *chaos) postmasterFault(t *testing.T) string {
	args, _ := c.command(t)
	if args[0] == "check" && len(args) > 1 && args[1] == "--backend" {
		// The dsn server is not the run's to lose.
		args = []string{"check", "--no-cache"}
	}
	delay := time.Duration(c.rng.Int64N(int64(3 * time.Second)))
	killed := 0
	r := c.run(t, func(p *os.Process) {
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if pids := postmasters(c.tmp); len(pids) > 0 {
				time.Sleep(delay)
				for _, pid := range postmasters(c.tmp) {
					if syscall.Kill(pid, syscall.SIGKILL) == nil {
						killed++
					}
				}
				return
			}
		}
	}, args...)
	c.checkExit(t, r, "")
	return fmt.Sprintf("%v, %d postmaster(s) killed %s after start: exit %d %s", args, killed, delay.Round(time.Millisecond), r.code, firstLine(r.stderr))
}

// diskFullFault runs check without the cache on a temporary directory that
// is a small disk (what fills it varies with its size: initdb, the start,
// the seed).
func (c *chaos) diskFullFault(t *testing.T) string {
	if os.Geteuid() != 0 {
		return "skipped: mounting a small disk needs root"
	}
	small := filepath.Join(c.work, ".small")
	if err := os.MkdirAll(small, 0o755); err != nil {
		t.Fatal(err)
	}
	size := 8<<20 + c.rng.IntN(72<<20)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d,mode=0755", size), "tmpfs", small).CombinedOutput(); err != nil {
		return fmt.Sprintf("skipped: cannot mount a tmpfs: %v: %s", err, out)
	}
	defer exec.Command("umount", "-l", small).Run()
	env := c.env
	c.env = append(slices.Clone(env), "TMPDIR="+small)
	r := c.run(t, nil, "check", "--no-cache")
	c.env = env
	c.checkExit(t, r, "disk full")
	if left, _ := os.ReadDir(small); len(left) > 0 {
		t.Errorf("disk full: left on the small disk: %v", left)
	}
	return fmt.Sprintf("TMPDIR of %d MiB: exit %d %s", size>>20, r.code, firstLine(r.stderr))
}

// checkExit checks the output of a run that was interrupted: exit 2 with
// one line (containing want), or the normal result.
func (c *chaos) checkExit(t *testing.T, r chaosResult, want string) {
	t.Helper()
	if r.code == -1 && r.stderr == "" {
		return // the signal came before plangate could catch it: nothing had started
	}
	if r.code != ExitError {
		if r.code != ExitPass && r.code != ExitRegressed {
			t.Errorf("exit %d: %s", r.code, r.stderr)
		}
		return
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	// Notes (a cache entry built or reused) may come before the error.
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "plangate: seeded state ") && !strings.HasPrefix(l, "plangate: warning: ") {
			t.Errorf("exit 2 with more than one line:\n%s", r.stderr)
			break
		}
	}
	if !strings.HasPrefix(last, "plangate: ") || strings.Contains(r.stderr, "goroutine ") || !strings.Contains(last, want) {
		t.Errorf("exit 2, stderr %q (want one line with %q)", r.stderr, want)
	}
}

// afterFault runs check normally and returns what is wrong after it: a
// result that is not a clean run's, anything left behind, a changed
// baseline.
func (c *chaos) afterFault(t *testing.T) []string {
	t.Helper()
	var problems []string
	if got := c.cleanRun(t); got != c.reference {
		problems = append(problems, "poisoned: the next run gave "+got)
	}
	// The dsn server's leftovers are swept by the next run on it.
	if r := c.run(t, nil, "check", "--format", "json", "--backend", "dsn", "--dsn", c.dsn); summary(t, r) != c.reference {
		problems = append(problems, "poisoned: the next dsn run gave "+summary(t, r))
	}
	if got, _ := os.ReadFile(filepath.Join(c.work, "plangate.baseline.json")); !bytes.Equal(got, c.baseline) {
		problems = append(problems, "baseline changed")
		if err := os.WriteFile(filepath.Join(c.work, "plangate.baseline.json"), c.baseline, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, pattern := range []string{"plangate-pg-*", "plangate-data-*", "cache/.build-*"} {
		if left, _ := filepath.Glob(filepath.Join(c.tmp, pattern)); len(left) > 0 {
			problems = append(problems, fmt.Sprintf("leftover directories %v", left))
		}
	}
	locks, _ := filepath.Glob(filepath.Join(c.cache, "*.lock"))
	for _, l := range locks {
		if _, err := os.Stat(strings.TrimSuffix(l, ".lock")); err != nil {
			problems = append(problems, "leftover lock file "+l)
		}
	}
	if pids := postmasters(c.tmp); len(pids) > 0 {
		problems = append(problems, fmt.Sprintf("leftover postmasters %v", pids))
	}
	// The seeded state's template database stays on purpose, one for the
	// run's key; scratch and half-built databases must not.
	var dbs, templates, roles int
	ctx := context.Background()
	if err := c.admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE datname NOT LIKE 'plangate\_template\_%'),
		count(*) FILTER (WHERE datname LIKE 'plangate\_template\_%') FROM pg_database WHERE datname LIKE 'plangate%'`).Scan(&dbs, &templates); err != nil {
		t.Fatal(err)
	}
	if templates > 1 {
		problems = append(problems, fmt.Sprintf("%d template databases on the dsn server, want the run's one", templates))
	}
	if err := c.admin.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'plangate%'").Scan(&roles); err != nil {
		t.Fatal(err)
	}
	if dbs+roles > 0 {
		problems = append(problems, fmt.Sprintf("leftover on the dsn server: %d databases, %d roles", dbs, roles))
	}
	return problems
}

// postmasters returns the ids of the postgres servers running on a data
// directory under dir.
func postmasters(dir string) []int {
	var pids []int
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmdline, err := os.ReadFile(p)
		if err != nil || !bytes.Contains(cmdline, []byte("\x00-D\x00"+dir)) || bytes.Contains(cmdline, []byte("initdb")) {
			continue
		}
		if pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p))); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
