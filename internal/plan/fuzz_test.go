package plan

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds Parse arbitrary input, seeded with the fixtures: it must
// never panic, a successful parse must have a root, and everything derived
// from a parsed plan must be computable.
func FuzzParse(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	// Every supported major's output, too.
	versions, err := filepath.Glob(filepath.Join("testdata", "versions", "*", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	paths = append(paths, versions...)
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"Plan": {"Node Type": "Result"}}`))
	f.Add([]byte(`[{"Plan": {"Node Type": "Hash Join", "Plans": [{"Node Type": "Hash", "Hash Batches": 4}]}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a plan and an error: %v", err)
			}
			return
		}
		if p == nil || p.Root == nil {
			t.Fatal("Parse succeeded without a root node")
		}
		p.Metrics(0)
		p.Spills(0)
		p.Shape()
		p.NodeStats(0)
		for _, s := range p.Spills(0) {
			if s.Description == "" {
				t.Fatalf("spill without a description: %+v", s)
			}
		}
	})
}
