// Command plangate-bench-shards measures what splitting a check over shards
// gains. It writes a project of -statements distinct named statements (point
// lookups, ranges, sorts, aggregates and joins, one in ten an UPDATE; a fifth
// have parameters and so are also replayed as generic plans) over a seeded
// database,
// records its baseline, and then times, each as its own plangate process on
// a local cluster started from the seeded-state cache:
//
//   - one unsharded check;
//   - each of -shards shards alone, one after another: the longest is the
//     wall time of a CI matrix running them on as many machines, the sum
//     the machine time it uses;
//   - all shards at once on this machine;
//   - plangate merge of the shards' reports,
//
// and compares the merged report with the unsharded one, timings aside.
//
//	go run ./cmd/plangate-bench-shards [-statements 1000] [-shards 4] [-rows 200000] [-keep DIR]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plangate/plangate/internal/cli"
)

// execEnv set in the environment makes this program plangate itself: the
// benchmark runs each plangate process as itself, with no other build.
const execEnv = "PLANGATE_BENCH_SHARDS_EXEC"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if os.Getenv(execEnv) == "1" {
		code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "plangate-bench-shards: "+err.Error())
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plangate-bench-shards", flag.ContinueOnError)
	fs.SetOutput(stderr)
	statements := fs.Int("statements", 1000, "distinct named statements in the suite")
	shards := fs.Int("shards", 4, "shards to split the check into")
	rows := fs.Int("rows", 200000, "rows of the items table (owners get a twentieth)")
	keep := fs.String("keep", "", "write the project and reports in this directory and keep them (default: a temporary one, removed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *statements < 1 || *shards < 1 || *rows < 100 {
		return errors.New("-statements and -shards must be at least 1, -rows at least 100")
	}
	dir := *keep
	if dir == "" {
		// Under root the server runs as another user, who must reach the
		// seeded-state cache: not under a private temporary directory.
		d, err := os.MkdirTemp("/tmp", "plangate-bench-shards-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if err := os.MkdirAll(filepath.Join(dir, "cache"), 0o755); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	n, err := writeProject(dir, *statements, *rows)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	b := bench{ctx: ctx, self: self, dir: dir, stderr: stderr}

	fmt.Fprintf(stdout, "suite: %d statements (%d replays, with the generic plans of those with parameters), %d rows; %d CPUs\n",
		*statements, n, *rows+*rows/20, runtime.NumCPU())
	d, err := b.plangate(0, "baseline")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "baseline (seeding and caching the data first):  %s\n", secs(d))

	whole, err := b.plangate(0, "check", "--format", "json", "--output", "unsharded.json")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "unsharded check:                                 %s\n", secs(whole))

	var alone []time.Duration
	for k := 1; k <= *shards; k++ {
		d, err := b.plangate(0, shardArgs(k, *shards, "alone")...)
		if err != nil {
			return err
		}
		alone = append(alone, d)
	}
	var sum time.Duration
	for _, d := range alone {
		sum += d
	}
	parts := make([]string, len(alone))
	for i, d := range alone {
		parts[i] = secs(d)
	}
	fmt.Fprintf(stdout, "%d shards, one at a time:                         %s each\n", *shards, strings.Join(parts, ", "))
	fmt.Fprintf(stdout, "  longest shard (a CI matrix on %d machines):     %s  (speed-up %.2fx)\n",
		*shards, secs(slices.Max(alone)), whole.Seconds()/slices.Max(alone).Seconds())
	fmt.Fprintf(stdout, "  sum of the shards (machine time):              %s  (%.2fx the unsharded check's)\n", secs(sum), sum.Seconds()/whole.Seconds())

	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, *shards)
	for k := 1; k <= *shards; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[k-1] = b.plangate(0, shardArgs(k, *shards, "together")...)
		}()
	}
	wg.Wait()
	together := time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d shards at once on this machine:               %s  (speed-up %.2fx)\n",
		*shards, secs(together), whole.Seconds()/together.Seconds())

	var reports []string
	for k := 1; k <= *shards; k++ {
		reports = append(reports, fmt.Sprintf("shard-%d-alone.json", k))
	}
	d, err = b.plangate(0, append([]string{"merge", "--format", "json", "--output", "merged.json"}, reports...)...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "merge of the %d reports:                          %s\n", *shards, secs(d))

	cmp, same, err := compareReports(filepath.Join(dir, "unsharded.json"), filepath.Join(dir, "merged.json"))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, cmp)
	if !same {
		return errors.New("the merged report judges differently from the unsharded one")
	}
	return nil
}

type bench struct {
	ctx    context.Context
	self   string
	dir    string
	stderr io.Writer
}

// plangate runs plangate in the project and returns its wall time. Exit 1
// (a regression) is a result; want is the exit code expected.
func (b bench) plangate(want int, args ...string) (time.Duration, error) {
	cmd := exec.CommandContext(b.ctx, b.self, args...)
	cmd.Dir = b.dir
	cmd.Env = append(os.Environ(), execEnv+"=1", "PLANGATE_CACHE_DIR="+filepath.Join(b.dir, "cache"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	var exit *exec.ExitError
	code := 0
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		return d, err
	}
	if code != want {
		return d, fmt.Errorf("plangate %s: exit %d, want %d: %s", strings.Join(args, " "), code, want, strings.TrimSpace(stderr.String()))
	}
	return d, nil
}

func shardArgs(k, n int, tag string) []string {
	return []string{"check", "--shard", fmt.Sprintf("%d/%d", k, n), "--format", "json", "--output", fmt.Sprintf("shard-%d-%s.json", k, tag)}
}

func secs(d time.Duration) string {
	return fmt.Sprintf("%6.2f s", d.Seconds())
}

var timings = regexp.MustCompile(`"(execution_ms|planning_ms)": [-+0-9.eE]+`)

// jsonReport is what compareReports reads of a JSON report.
type jsonReport struct {
	Verdict string `json:"verdict"`
	Queries []struct {
		Name    string             `json:"name"`
		Status  string             `json:"status"`
		Metrics map[string]float64 `json:"metrics"`
	} `json:"queries"`
	Totals []struct {
		Group  string `json:"group"`
		Status string `json:"status"`
	} `json:"totals"`
}

// compareReports says whether two JSON reports are the same but for their
// timings, which vary from run to run, and if not, which values differ; it
// also returns whether the verdict and every status agree.
func compareReports(a, b string) (string, bool, error) {
	var reps [2]jsonReport
	var texts [2]string
	for i, path := range []string{a, b} {
		data, err := os.ReadFile(path)
		if err != nil {
			return "", false, err
		}
		texts[i] = timings.ReplaceAllString(string(data), "")
		if err := json.Unmarshal(data, &reps[i]); err != nil {
			return "", false, fmt.Errorf("%s: %w", path, err)
		}
	}
	if texts[0] == texts[1] {
		return "merged report equals the unsharded one, timings aside: yes", true, nil
	}
	sameStatuses := reps[0].Verdict == reps[1].Verdict && len(reps[0].Queries) == len(reps[1].Queries) && len(reps[0].Totals) == len(reps[1].Totals)
	for i := range reps[0].Totals {
		sameStatuses = sameStatuses && i < len(reps[1].Totals) && reps[0].Totals[i] == reps[1].Totals[i]
	}
	differ := 0
	spread := map[string]float64{}
	for i, q := range reps[0].Queries {
		if i >= len(reps[1].Queries) || reps[1].Queries[i].Name != q.Name {
			sameStatuses = false
			break
		}
		o := reps[1].Queries[i]
		sameStatuses = sameStatuses && o.Status == q.Status
		changed := false
		for m, v := range q.Metrics {
			if m == "execution_ms" || m == "planning_ms" || o.Metrics[m] == v {
				continue
			}
			changed = true
			d := o.Metrics[m] - v
			if d < 0 {
				d = -d
			}
			spread[m] = max(spread[m], d)
		}
		if changed {
			differ++
		}
	}
	var parts []string
	for _, m := range slices.Sorted(maps.Keys(spread)) {
		parts = append(parts, fmt.Sprintf("%s by up to %g", m, spread[m]))
	}
	return fmt.Sprintf("merged report equals the unsharded one, timings aside: no: %d of %d queries measured other values (%s); verdict and every query's and total's status the same: %v",
		differ, len(reps[0].Queries), strings.Join(parts, ", "), sameStatuses), sameStatuses, nil
}

// writeProject writes plangate.yaml, the schema, the seed and a capture of
// n distinct named statements in dir, and returns how many replays they
// make (a statement with parameters is also replayed as a generic plan).
func writeProject(dir string, n, rows int) (int, error) {
	owners := max(rows/20, 10)
	files := map[string]string{
		"plangate.yaml": `version: 1
schema: [schema.sql]
seed: [seed.sql]
queries: [suite.jsonl]
baseline: plangate.baseline.json
backend: local
`,
		"schema.sql": `CREATE TABLE owners (id bigint PRIMARY KEY, region int NOT NULL, name text NOT NULL);
CREATE TABLE items (
    id bigint PRIMARY KEY,
    owner_id bigint NOT NULL REFERENCES owners (id),
    kind int NOT NULL,
    amount numeric NOT NULL,
    note text NOT NULL
);
CREATE INDEX items_owner_id ON items (owner_id);
CREATE INDEX items_kind_amount ON items (kind, amount);
`,
		"seed.sql": fmt.Sprintf(`INSERT INTO owners SELECT g, g %% 20, 'owner ' || g FROM generate_series(1, %d) g;
INSERT INTO items SELECT g, 1 + (g * 7919) %% %d, g %% 100, (g * 104729) %% 100000 / 100.0, md5(g::text)
FROM generate_series(1::bigint, %d) g;
`, owners, owners, rows),
	}
	var capture strings.Builder
	capture.WriteString(`{"plangate_capture": 1}` + "\n")
	replays := 0
	for i := range n {
		st := captured{Name: fmt.Sprintf("q%05d", i), Group: fmt.Sprintf("endpoint %d", i%37), Calls: 1 + i%5}
		st.SQL, st.Params = statement(i, rows, owners)
		line, err := json.Marshal(st)
		if err != nil {
			return 0, err
		}
		capture.Write(append(line, '\n'))
		replays++
		if len(st.Params) > 0 {
			replays++
		}
	}
	files["suite.jsonl"] = capture.String()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			return 0, err
		}
	}
	return replays, nil
}

// captured is one line of a capture .jsonl.
type captured struct {
	Name   string `json:"name"`
	SQL    string `json:"sql"`
	Params []any  `json:"params,omitempty"`
	Group  string `json:"group"`
	Calls  int    `json:"calls"`
}

// statement is the i-th statement of the suite and its parameters' values.
func statement(i, rows, owners int) (string, []any) {
	k := i % 100
	id := 1 + (i*7919)%rows
	switch i % 10 {
	case 0:
		return fmt.Sprintf("SELECT * FROM items WHERE id = $1 AND kind >= %d", k%3), []any{id}
	case 1:
		return fmt.Sprintf("SELECT count(*) FROM items WHERE kind = %d", k), nil
	case 2:
		return fmt.Sprintf("SELECT id, note FROM items WHERE id BETWEEN %d AND %d ORDER BY note", id, id+500), nil
	case 3:
		return fmt.Sprintf("SELECT kind, count(*), avg(amount) FROM items WHERE id < %d GROUP BY kind", 1000+(i*97)%rows), nil
	case 4:
		return fmt.Sprintf("SELECT i.id, o.name FROM items i JOIN owners o ON o.id = i.owner_id WHERE o.region = $1 AND i.kind = %d LIMIT 50", k), []any{i % 20}
	case 5:
		return fmt.Sprintf("SELECT * FROM items WHERE kind = %d ORDER BY amount DESC LIMIT %d", k, 10+i%40), nil
	case 6:
		return fmt.Sprintf("SELECT o.region, sum(i.amount) FROM items i JOIN owners o ON o.id = i.owner_id WHERE i.kind = %d GROUP BY o.region", k), nil
	case 7:
		return fmt.Sprintf("UPDATE items SET amount = amount + 1 WHERE id = %d", id), nil
	case 8:
		return fmt.Sprintf("SELECT id, amount FROM items WHERE owner_id IN (%d, %d, %d)", 1+i%owners, 1+(i*3)%owners, 1+(i*7)%owners), nil
	}
	return fmt.Sprintf("SELECT count(*) FROM items WHERE note LIKE '%02x%%'", i%256), nil
}
