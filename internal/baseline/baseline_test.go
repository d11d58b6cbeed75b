package baseline

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

var update = flag.Bool("update", false, "rewrite golden files")

// writeEnv makes the test binary write a baseline to the path it names and
// exit, so a test can run Write as another user.
const writeEnv = "PLANGATE_TEST_WRITE_BASELINE"

func TestMain(m *testing.M) {
	if path := os.Getenv(writeEnv); path != "" {
		if err := Write(path, &File{Queries: []gate.Query{{Name: "replacement"}}}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// recorded is a baseline as the CLI would hand it to Write: queries in
// capture order, float noise, timings.
func recorded() *File {
	return &File{
		FormatVersion: FormatVersion,
		Postgres:      "15.8",
		Settings:      map[string]string{"work_mem": "4MB", "random_page_cost": "1.1", "enable_seqscan": "on"},
		Queries: []gate.Query{
			{
				Name:        "resources_count",
				Fingerprint: "a0b1c2d3e4f5a6b7",
				SQL:         "SELECT count(*) FROM (SELECT owner_id, count(*) FROM resources WHERE created_at > $1 GROUP BY owner_id) AS sub",
				Kind:        "select",
				Metrics: map[string]float64{
					"total_cost":          45012.337999999996,
					"temp_written_bytes":  192937984,
					"temp_read_bytes":     192937984,
					"shared_blocks":       20834,
					"rows":                1,
					"max_row_misestimate": 0.1 + 0.2,
					"execution_ms":        812.4413,
					"planning_ms":         0.219,
				},
				Plan: []string{
					"Aggregate",
					"  HashAggregate (Group Key: resources.owner_id)",
					"    Seq Scan on resources (Filter: created_at > $1)",
				},
				Spills: []string{"HashAggregate spilled 184 MB to disk in 5 batches"},
				Nodes: []plan.NodeStat{
					{Name: "Aggregate", Type: "Aggregate", Cost: 45012.337999999996, PlanRows: 1, ActualRows: 1, Loops: 1,
						SharedBlocks: 20834, TimeMS: 812.2},
					{Name: "HashAggregate", Type: "Aggregate", Depth: 1, Cost: 44000.5, PlanRows: 200, ActualRows: 120000, Loops: 1,
						SharedBlocks: 20834, TempWrittenBytes: 192937984, HashBatches: 5,
						Spill: "HashAggregate spilled 184 MB to disk in 5 batches", SpillBytes: 192937984, TimeMS: 790.1},
					{Name: "Seq Scan on resources", Type: "Seq Scan", Relation: "resources", Depth: 2, Cost: 30000, PlanRows: 1e6,
						ActualRows: 999999.99999, Loops: 1, SharedBlocks: 20834, RowsRemovedByFilter: 1000, TimeMS: 120.7},
				},
			},
			{
				Name:    "bulk_sync",
				Kind:    "update",
				SQL:     "UPDATE accounts SET synced_at = now() WHERE synced_at < $1",
				Metrics: map[string]float64{"rows": 80000, "wal_bytes": 12582912, "total_cost": math.Copysign(0, -1)},
			},
			{
				Name:  "broken_report",
				Kind:  "select",
				SQL:   "SELECT * FROM reports WHERE x < 1 & 2",
				Error: "canceling statement due to statement timeout",
			},
		},
	}
}

func TestMarshal_Golden(t *testing.T) {
	got, err := Marshal(recorded())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "recorded", "plangate.baseline.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("Marshal (-want +got):\n%s", diff)
	}
}

func TestMarshal_Deterministic(t *testing.T) {
	a := recorded()
	b := recorded()
	// The same results in another order, as another capture run would give.
	b.Queries[0], b.Queries[2] = b.Queries[2], b.Queries[0]
	b.Queries[0].Metrics = nil
	b.Queries[2].Metrics["total_cost"] = 45012.34000001
	ga, err := Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	gb, err := Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(ga), string(gb)); diff != "" {
		t.Errorf("same results, different bytes (-first +second):\n%s", diff)
	}
	for _, unwanted := range []string{"execution_ms", "planning_ms", `\u003c`, "-0", ".0,"} {
		if bytes.Contains(ga, []byte(unwanted)) {
			t.Errorf("output contains %q:\n%s", unwanted, ga)
		}
	}
	if !bytes.HasSuffix(ga, []byte("}\n")) {
		t.Errorf("output does not end in a newline")
	}
	if len(a.Queries[0].Metrics) != 8 || a.Queries[0].Name != "resources_count" {
		t.Errorf("Marshal modified its argument")
	}
}

func TestWriteRead_RoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plangate.baseline.json")
	if err := Write(path, recorded()); err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &File{
		FormatVersion: 1,
		Postgres:      "15.8",
		Settings:      map[string]string{"work_mem": "4MB", "random_page_cost": "1.1", "enable_seqscan": "on"},
		Queries: []gate.Query{
			{Name: "broken_report", Kind: "select", SQL: "SELECT * FROM reports WHERE x < 1 & 2",
				Error: "canceling statement due to statement timeout"},
			{Name: "bulk_sync", Kind: "update", SQL: "UPDATE accounts SET synced_at = now() WHERE synced_at < $1",
				Metrics: map[string]float64{"rows": 80000, "wal_bytes": 12582912, "total_cost": 0}},
			recorded().Queries[0],
		},
	}
	want.Queries[2].Metrics = map[string]float64{
		"total_cost": 45012.34, "temp_written_bytes": 192937984, "temp_read_bytes": 192937984,
		"shared_blocks": 20834, "rows": 1, "max_row_misestimate": 0.3,
	}
	// Times are not stored; numbers keep two decimals.
	want.Queries[2].Nodes = slices.Clone(want.Queries[2].Nodes)
	for i := range want.Queries[2].Nodes {
		want.Queries[2].Nodes[i].TimeMS = 0
	}
	want.Queries[2].Nodes[0].Cost = 45012.34
	want.Queries[2].Nodes[2].ActualRows = 1e6
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("Read after Write (-want +got):\n%s", diff)
	}

	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(first), string(second)); diff != "" {
		t.Errorf("re-recording changed the file (-first +second):\n%s", diff)
	}
	assertOnlyFile(t, filepath.Dir(path), "plangate.baseline.json")
}

// TestParse_NodeDepthFromPlan checks that node records read back carry
// the depth and parent relationship of their plan lines, and lose their
// times.
func TestParse_NodeDepthFromPlan(t *testing.T) {
	f := &File{Queries: []gate.Query{{Name: "a",
		Plan: []string{"Nested Loop", "  Outer: Seq Scan on orders o", "  Inner: Index Scan using users_pkey on users u [Index Cond: (id = o.user_id)]"},
		Nodes: []plan.NodeStat{
			{Name: "Nested Loop", Type: "Nested Loop", ActualRows: 10, Loops: 1},
			{Name: "Seq Scan on orders o", Type: "Seq Scan", Relation: "orders", Depth: 1, Relationship: "Outer", ActualRows: 10, Loops: 1},
			{Name: "Index Scan using users_pkey on users u", Type: "Index Scan", Relation: "users", Index: "users_pkey",
				Depth: 1, Relationship: "Inner", ActualRows: 1, Loops: 10, TimeMS: 0.5},
		}}}}
	data, err := Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	read, err := Parse("b.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(f.Queries[0].Nodes)
	want[2].TimeMS = 0
	if diff := cmp.Diff(want, read.Queries[0].Nodes); diff != "" {
		t.Errorf("nodes read back (-want +got):\n%s", diff)
	}
}

// TestMarshal_NodesOnOneLine checks that each node record is one line, and
// that the file still parses.
func TestMarshal_NodesOnOneLine(t *testing.T) {
	data, err := Marshal(recorded())
	if err != nil {
		t.Fatal(err)
	}
	var nodeLines []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, `"type": `) {
			nodeLines = append(nodeLines, strings.TrimSpace(line))
		}
	}
	want := []string{
		`{"name": "Aggregate", "type": "Aggregate", "cost": 45012.34, "plan_rows": 1, "actual_rows": 1, "loops": 1, "shared_blocks": 20834},`,
		`{"name": "HashAggregate", "type": "Aggregate", "cost": 44000.5, "plan_rows": 200, "actual_rows": 120000, "loops": 1, "shared_blocks": 20834, "temp_written_bytes": 192937984, "hash_batches": 5, "spill": "HashAggregate spilled 184 MB to disk in 5 batches", "spill_bytes": 192937984},`,
		`{"name": "Seq Scan on resources", "type": "Seq Scan", "relation": "resources", "cost": 30000, "plan_rows": 1000000, "actual_rows": 1000000, "loops": 1, "shared_blocks": 20834, "rows_removed_by_filter": 1000}`,
	}
	if diff := cmp.Diff(want, nodeLines); diff != "" {
		t.Errorf("node lines (-want +got):\n%s", diff)
	}
	if _, err := Parse("b.json", data); err != nil {
		t.Errorf("Parse(Marshal()): %v", err)
	}
}

func TestMarshal_NodesNotLinedUp(t *testing.T) {
	f := &File{Queries: []gate.Query{{Name: "a", Plan: []string{"Result"}, Nodes: []plan.NodeStat{{Name: "Result"}, {Name: "Result"}}}}}
	_, err := Marshal(f)
	if want := `baseline: query "a": 2 node records for 1 plan lines`; err == nil || err.Error() != want {
		t.Errorf("Marshal: err = %v, want %q", err, want)
	}
}

func TestWrite_ReadOnlyDirKeepsOldFile(t *testing.T) {
	base, err := os.MkdirTemp("", "plangate-baseline-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "repo")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "plangate.baseline.json")
	old := []byte("{\"format_version\": 1, \"queries\": []}\n")
	if err := os.WriteFile(path, old, 0o644); err != nil {
		t.Fatal(err)
	}
	write := writer(t, base)

	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := write(path); err == nil {
		t.Fatalf("Write into a read-only directory succeeded")
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("old file changed to %q", got)
	}
	assertOnlyFile(t, dir, "plangate.baseline.json")

	// The same write succeeds once the directory is writable, so the
	// failure above came from the directory and nothing else.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := write(path); err != nil {
		t.Fatalf("Write into a writable directory: %v", err)
	}
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Queries) != 1 || f.Queries[0].Name != "replacement" {
		t.Errorf("after Write, file holds %+v", f)
	}
	assertOnlyFile(t, dir, "plangate.baseline.json")
}

func TestWrite_InvalidKeepsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plangate.baseline.json")
	if err := Write(path, recorded()); err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := recorded()
	bad.Queries[1].Metrics["wal_bytes"] = math.NaN()
	err = Write(path, bad)
	if err == nil || !strings.Contains(err.Error(), `query "bulk_sync": metric wal_bytes`) {
		t.Fatalf("Write with a NaN metric: err = %v", err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, old) {
		t.Errorf("old file changed")
	}
	assertOnlyFile(t, filepath.Dir(path), "plangate.baseline.json")
}

func TestWrite_KeepsPermissions(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.json")
	if err := Write(fresh, recorded()); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dir, "kept.json")
	if err := os.WriteFile(kept, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(kept, recorded()); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]fs.FileMode{fresh: 0o644, kept: 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
		}
	}
}

func TestMarshal_Errors(t *testing.T) {
	tests := []struct {
		name    string
		queries []gate.Query
		want    string
	}{
		{name: "no name", queries: []gate.Query{{}}, want: "baseline: a query has no name"},
		{name: "duplicate", queries: []gate.Query{{Name: "a"}, {Name: "a"}},
			want: `baseline: query "a": recorded twice; query names must be unique`},
		{name: "unknown metric", queries: []gate.Query{{Name: "a", Metrics: map[string]float64{"rowz": 1}}},
			want: `baseline: query "a": unknown metric "rowz"`},
		{name: "infinite", queries: []gate.Query{{Name: "a", Metrics: map[string]float64{"max_row_misestimate": math.Inf(1)}}},
			want: `baseline: query "a": metric max_row_misestimate: +Inf is not a number that can be stored`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Marshal(&File{Queries: tt.queries})
			if err == nil {
				t.Fatalf("Marshal succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("err = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestRead_Missing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "plangate.baseline.json")
	_, err := Read(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want one matching fs.ErrNotExist", err)
	}
	var nf *NotFoundError
	if !errors.As(err, &nf) || nf.Path != path {
		t.Errorf("err = %#v, want a *NotFoundError for %s", err, path)
	}
	if want := "record one with `plangate baseline`"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to say %q", err, want)
	}
}

func TestParse_Errors(t *testing.T) {
	const fix = ": fix it or re-record it with `plangate baseline`"
	tests := []struct {
		name    string
		data    string
		want    string
		version bool // a *VersionError rather than a *DecodeError
	}{
		{
			name: "unknown query key",
			data: "{\n  \"format_version\": 1,\n  \"queries\": [\n    {\n      \"name\": \"a\",\n      \"metricz\": {}\n    }\n  ]\n}\n",
			want: `baseline: b.json: line 6: unknown key "metricz" in a query (known: name, fingerprint, sql, kind, structure, relation, role, generic, calls, groups, metrics, plan, spills, nodes, error)` + fix,
		},
		{
			name: "unknown node key",
			data: "{\"format_version\": 1, \"queries\": [{\"name\": \"a\", \"plan\": [\"Result\"],\n\"nodes\": [\n{\"name\": \"Result\", \"rowz\": 1}]}]}",
			want: `baseline: b.json: line 3: unknown key "rowz" in a node (known: name, type, relation, index, cost, plan_rows, actual_rows, loops, may_stop_early, shared_blocks, temp_written_bytes, wal_bytes, rows_removed_by_filter, rows_removed_by_join_filter, hash_batches, subplans_removed, spill, spill_bytes)` + fix,
		},
		{
			name: "node flag not a boolean",
			data: "{\"format_version\": 1, \"queries\": [{\"name\": \"a\", \"plan\": [\"Result\"],\n\"nodes\": [{\"name\": \"Result\", \"may_stop_early\": 1}]}]}",
			want: `baseline: b.json: line 2: "may_stop_early" is a number, want a boolean` + fix,
		},
		{
			name: "nodes not lined up with the plan",
			data: "{\"format_version\": 1, \"queries\": [\n{\"name\": \"a\", \"plan\": [\"Limit\", \"  Outer: Result\"],\n\"nodes\": [{\"name\": \"Limit\", \"type\": \"Limit\"}]}]}",
			want: `baseline: b.json: line 2: query "a" has 1 node records for 2 plan lines` + fix,
		},
		{
			name: "unknown top-level key",
			data: "{\n  \"format_version\": 1,\n  \"querys\": []\n}\n",
			want: `baseline: b.json: line 3: unknown key "querys" in the file (known: format_version, postgres, settings, queries)` + fix,
		},
		{
			name: "unknown metric",
			data: "{\"format_version\": 1,\n\"queries\": [{\"name\": \"a\",\n\"metrics\": {\"rows\": 1,\n\"temp_writen_bytes\": 5}}]}",         //nolint:misspell // the typo under test
			want: `baseline: b.json: line 4: unknown metric "temp_writen_bytes" (known: ` + strings.Join(gate.MetricNames(), ", ") + ")" + fix, //nolint:misspell // the typo under test
		},
		{
			name: "repeated key",
			data: "{\"format_version\": 1, \"queries\": [{\"name\": \"a\",\n\"name\": \"b\"}]}",
			want: `baseline: b.json: line 2: key "name" appears twice` + fix,
		},
		{
			name: "duplicate query",
			data: "{\n\"format_version\": 1,\n\"queries\": [\n{\"name\": \"a\"},\n{\"name\": \"b\"},\n  {\"name\": \"a\"}\n]}",
			want: `baseline: b.json: line 6: query "a" is recorded twice (first at line 4)` + fix,
		},
		{
			name: "no name",
			data: "{\"format_version\": 1, \"queries\": [\n{\"kind\": \"select\"}]}",
			want: `baseline: b.json: line 2: a query has no name` + fix,
		},
		{
			name: "wrong type",
			data: "{\"format_version\": 1, \"queries\": [\n{\"name\": \"a\",\n\"metrics\": {\"rows\": \"many\"}}]}",
			want: `baseline: b.json: line 3: "rows" is a string, want a number` + fix,
		},
		{
			name: "wrong element type",
			data: "{\"format_version\": 1, \"queries\": [\n{\"name\": \"a\",\n\"plan\": [\"Seq Scan\", 3]}]}",
			want: `baseline: b.json: line 3: an element of "plan" is a number, want a string` + fix,
		},
		{
			name: "null name",
			data: "{\"format_version\": 1, \"queries\": [{\"name\": null}]}",
			want: `baseline: b.json: line 1: "name" is null, want a string` + fix,
		},
		{
			name: "object for a list",
			data: "{\"format_version\": 1,\n\"queries\": {}}",
			want: `baseline: b.json: line 2: "queries" is an object, want a list` + fix,
		},
		{
			name: "setting not a string",
			data: "{\"format_version\": 1, \"settings\": {\"work_mem\": 4}, \"queries\": []}",
			want: `baseline: b.json: line 1: "work_mem" is a number, want a string` + fix,
		},
		{
			name: "syntax",
			data: "{\"format_version\": 1,\n\"queries\": [\n{\"name\": \"a\",}]}",
			want: `baseline: b.json: line 3: invalid JSON: invalid character '}' looking for beginning of object key string` + fix,
		},
		{
			name: "truncated",
			data: "{\"format_version\": 1,\n\"queries\": [",
			want: `baseline: b.json: line 2: invalid JSON: unexpected end of JSON input` + fix,
		},
		{
			name: "empty",
			data: "",
			want: `baseline: b.json: line 1: invalid JSON: unexpected end of JSON input` + fix,
		},
		{
			name: "not an object",
			data: "[]",
			want: `baseline: b.json: line 1: the file: got a JSON array, want an object` + fix,
		},
		{
			name: "no version",
			data: `{"queries": []}`,
			want: `baseline: b.json: line 1: no format_version: this is not a plangate baseline` + fix,
		},
		{
			name: "no queries",
			data: `{"format_version": 1}`,
			want: `baseline: b.json: line 1: no "queries" list` + fix,
		},
		{
			name:    "newer version",
			data:    `{"format_version": 2, "queries": [], "shiny_new_key": true}`,
			want:    `baseline: b.json: format_version 2 is newer than this plangate reads (1): upgrade plangate`,
			version: true,
		},
		{
			name:    "invalid version",
			data:    `{"format_version": 0, "queries": []}`,
			want:    `baseline: b.json: format_version 0 is not a valid version (this plangate reads 1)` + fix,
			version: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("b.json", []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("err =\n  %s\nwant\n  %s", err, tt.want)
			}
			var ve *VersionError
			var de *DecodeError
			if tt.version && !errors.As(err, &ve) {
				t.Errorf("err is %T, want *VersionError", err)
			}
			if !tt.version && !errors.As(err, &de) {
				t.Errorf("err is %T, want *DecodeError", err)
			}
		})
	}
}

func TestParse_Minimal(t *testing.T) {
	f, err := Parse("b.json", []byte(`{"format_version": 1, "queries": []}`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&File{FormatVersion: 1, Queries: []gate.Query{}}, f); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

// writer returns a function that runs Write(path, ...) as a user without
// privileges when the tests run as root, who could write anywhere.
func writer(t *testing.T, scratch string) func(path string) error {
	t.Helper()
	if os.Geteuid() != 0 {
		return func(path string) error {
			return Write(path, &File{Queries: []gate.Query{{Name: "replacement"}}})
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	// The test binary may live where others cannot reach it.
	bin := filepath.Join(scratch, "baseline.test")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return func(path string) error { return runAsNobody(bin, path) }
}

func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{name}, names); diff != "" {
		t.Errorf("files in %s (-want +got):\n%s", dir, diff)
	}
}
