package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

func TestSpread(t *testing.T) {
	tests := []struct {
		name     string
		values   []float64
		want     spread
		relative float64
	}{
		{name: "steady", values: []float64{5, 5, 5}, want: spread{5, 5, 5}, relative: 0},
		{name: "odd count", values: []float64{12, 10, 11}, want: spread{10, 11, 12}, relative: 2.0 / 11},
		{name: "even count", values: []float64{4, 1, 3, 2}, want: spread{1, 2.5, 4}, relative: 3 / 2.5},
		{name: "all zero", values: []float64{0, 0}, want: spread{0, 0, 0}, relative: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := spreadOf(tt.values)
			if got != tt.want || got.relative() != tt.relative {
				t.Errorf("spreadOf(%v) = %+v (relative %v), want %+v (relative %v)", tt.values, got, got.relative(), tt.want, tt.relative)
			}
		})
	}
}

// writeRun writes one run's baseline with the given cost and temp bytes for
// query q.
func writeRun(t *testing.T, dir, name string, cost, temp float64) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f := &baseline.File{Postgres: "15.8", Queries: []gate.Query{{
		Name: "q", Kind: "select",
		Metrics: map[string]float64{"total_cost": cost, "temp_written_bytes": temp},
		Plan:    []string{"Seq Scan on t"},
		Nodes:   []plan.NodeStat{{Name: "Seq Scan on t", Type: "Seq Scan", Relation: "t", Cost: cost, PlanRows: 10, ActualRows: 10, Loops: 1}},
	}}}
	if err := baseline.Write(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name       string
		costs      []float64
		temps      []float64
		failures   int
		wantOutput []string
	}{
		{
			name: "steady", costs: []float64{5000, 5000, 5000}, temps: []float64{0, 0, 0},
			wantOutput: []string{
				"Baseline files: 1 distinct out of 3 runs",
				"Node records identical in every run: 1 of 1 queries",
				"over 6 ordered pairs of runs: 0 failing findings",
				"PASS",
			},
		},
		{
			// A spill in one run out of three fails the pairs that go
			// from no spill to it: 2 of 6.
			name: "a spill in one run", costs: []float64{5000, 5000, 5100}, temps: []float64{0, 0, 64 << 20},
			failures: 2,
			wantOutput: []string{
				"Baseline files: 2 distinct out of 3 runs",
				"moved: q: node 1 Seq Scan on t: Cost 5000, then 5100",
				"over 6 ordered pairs of runs: 2 failing findings",
				"FAIL run 1 -> run 3: q: temp_written_bytes 0 B -> 64 MB",
				"FAIL: the gate fails",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for i := range tt.costs {
				paths = append(paths, writeRun(t, dir, "run-"+string(rune('a'+i))+".json", tt.costs[i], tt.temps[i]))
			}
			res, err := analyze(paths)
			if err != nil {
				t.Fatal(err)
			}
			if res.failures != tt.failures {
				t.Errorf("failures = %d, want %d", res.failures, tt.failures)
			}
			var out bytes.Buffer
			res.write(&out)
			for _, want := range tt.wantOutput {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
