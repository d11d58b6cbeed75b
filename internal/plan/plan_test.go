package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// fixtureDir holds real EXPLAIN output captured by fixtures/explain/capture.sh.
const fixtureDir = "../../fixtures/explain"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func parseFixture(t testing.TB, name string) *Plan {
	t.Helper()
	p, err := Parse(readFixture(t, name))
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return p
}

// fixtureNames lists every fixture, so that a new one is covered by the
// golden and fuzz tests as soon as it is added.
func fixtureNames(t testing.TB) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no fixtures in %s", fixtureDir)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p[:len(p)-len(".json")])
	}
	return names
}

func TestWalk(t *testing.T) {
	p := parseFixture(t, "cte_spill")
	type visit struct {
		label string
		depth int
	}
	var got []visit
	p.Walk(func(n *Node, depth int) { got = append(got, visit{n.Label(), depth}) })
	want := []visit{
		{"Aggregate", 0},
		{"Seq Scan", 1},
		{"Merge Join", 1},
		{"Sort", 2},
		{"CTE Scan", 3},
		{"Materialize", 2},
		{"Sort", 3},
		{"CTE Scan", 4},
	}
	if len(got) != len(want) {
		t.Fatalf("Walk visited %d nodes, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("visit %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestOwnTempWrittenBlocks(t *testing.T) {
	// cte_spill.json: Sort 2388 over CTE Scan r1 1350; Materialize 648 over
	// Sort 648; the CTE's InitPlan wrote nothing.
	p := parseFixture(t, "cte_spill")
	var got []int64
	p.Walk(func(n *Node, _ int) { got = append(got, n.OwnTempWrittenBlocks()) })
	want := []int64{0, 0, 0, 2388 - 1350, 1350, 0, 648 - 1, 1}
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("own temp written blocks = %v, want %v", got, want)
		}
	}
}
