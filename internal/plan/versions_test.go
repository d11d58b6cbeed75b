package plan

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// versionMajors are the majors whose plans fixtures/explain/capture-versions.sh
// captured into testdata/versions/MAJOR.
var versionMajors = []int{13, 15, 17, 18}

func parseVersionFixture(t *testing.T, major int, name string) *Plan {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "versions", strconv.Itoa(major), name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("%d/%s: %v", major, name, err)
	}
	return p
}

// find returns the first node, in Walk order, of the type.
func find(p *Plan, nodeType string) *Node {
	var out *Node
	p.Walk(func(n *Node, _ int) {
		if out == nil && n.NodeType == nodeType {
			out = n
		}
	})
	return out
}

// TestVersions_Common checks what every supported major agrees on: the
// same statements on the same data return the same rows, and the parser
// takes every version's output.
func TestVersions_Common(t *testing.T) {
	rows := map[string]float64{
		"hashagg_spill": 8000, "sort_spill": 200000, "hash_join": 40000, "nested_loop": 250,
		"index_scan": 1, "update": 15567, "partition_pruned": 3, "partition_runtime_pruned": 3,
		"disabled_seq_scan": 1, "cte_spill": 1,
	}
	for _, major := range versionMajors {
		for name, want := range rows {
			p := parseVersionFixture(t, major, name)
			m := p.Metrics(0)
			if !p.Analyzed || !p.HasBuffers || !p.HasWAL {
				t.Errorf("%d/%s: Analyzed, HasBuffers, HasWAL = %v, %v, %v", major, name, p.Analyzed, p.HasBuffers, p.HasWAL)
			}
			if m[MetricRows] != want {
				t.Errorf("%d/%s: rows = %v, want %v", major, name, m[MetricRows], want)
			}
		}
		if n := parseVersionFixture(t, major, "sort_spill").Root; n.SortMethod != "external merge" || n.SortSpaceType != "Disk" {
			t.Errorf("%d/sort_spill: %s %s, want an external merge on disk", major, n.SortMethod, n.SortSpaceType)
		}
		if u := parseVersionFixture(t, major, "update"); u.Root.Operation != "Update" || u.Root.WALBytes == 0 {
			t.Errorf("%d/update: %s with %d WAL bytes", major, u.Root.Operation, u.Root.WALBytes)
		}
		if a := find(parseVersionFixture(t, major, "partition_runtime_pruned"), "Append"); a == nil || a.SubplansRemoved != 4 {
			t.Errorf("%d/partition_runtime_pruned: Append %+v, want 4 subplans removed", major, a)
		}
		// Pruned at plan time: one partition, no Append.
		if s := parseVersionFixture(t, major, "partition_pruned").Shape(); strings.Contains(strings.Join(s, "\n"), "Append") {
			t.Errorf("%d/partition_pruned: shape %q has an Append", major, s)
		}
		if len(parseVersionFixture(t, major, "cte_spill").Spills(0)) == 0 {
			t.Errorf("%d/cte_spill: no spill", major)
		}
	}
}

// TestVersions_HashAggregate: 13 sorts (an Incremental Sort over the
// user_id index) where 15 on hashes and spills to disk.
func TestVersions_HashAggregate(t *testing.T) {
	for _, major := range versionMajors {
		p := parseVersionFixture(t, major, "hashagg_spill")
		if major == 13 {
			if p.Root.Strategy != "Sorted" || find(p, "Incremental Sort") == nil {
				t.Errorf("13: %s %s, want a sorted aggregate over an Incremental Sort", p.Root.NodeType, p.Root.Strategy)
			}
			continue
		}
		n := p.Root
		if n.Strategy != "Hashed" || n.DiskUsage == 0 || n.HashAggBatches <= 1 || len(p.Spills(0)) != 1 {
			t.Errorf("%d: %s %s disk %d kB, %d batches, spills %v: want a HashAggregate that spilled", major,
				n.NodeType, n.Strategy, n.DiskUsage, n.HashAggBatches, p.Spills(0))
		}
	}
}

// TestVersions_FractionalRows: from 18 on Actual Rows is the exact average
// per loop (12.5 here); before, it is rounded to an integer.
func TestVersions_FractionalRows(t *testing.T) {
	for _, major := range versionMajors {
		p := parseVersionFixture(t, major, "nested_loop")
		inner := find(p, "Bitmap Heap Scan")
		if inner == nil || inner.ActualLoops != 20 {
			t.Fatalf("%d: inner side %+v, want a Bitmap Heap Scan run 20 times", major, inner)
		}
		fractional := inner.ActualRows != math.Trunc(inner.ActualRows)
		if fractional != (major >= 18) {
			t.Errorf("%d: inner Actual Rows = %v", major, inner.ActualRows)
		}
		if major >= 18 && inner.ActualRows*inner.ActualLoops != p.Root.ActualRows {
			t.Errorf("%d: %v rows x %v loops, want the join's %v", major, inner.ActualRows, inner.ActualLoops, p.Root.ActualRows)
		}
	}
}

// TestVersions_Disabled: 18 marks the node the planner took although it
// was disabled, and no longer adds disable_cost (10^10) to its cost.
func TestVersions_Disabled(t *testing.T) {
	for _, major := range versionMajors {
		p := parseVersionFixture(t, major, "disabled_seq_scan")
		scan := find(p, "Seq Scan")
		if scan.Disabled != (major >= 18) {
			t.Errorf("%d: Disabled = %v", major, scan.Disabled)
		}
		if penalized := p.Root.TotalCost >= 1e10; penalized != (major < 18) {
			t.Errorf("%d: total cost %v", major, p.Root.TotalCost)
		}
		var disabled int
		p.Walk(func(n *Node, _ int) {
			if n.Disabled {
				disabled++
			}
			if _, ok := n.Extra["Disabled"]; ok {
				t.Errorf("%d: Disabled left in Extra", major)
			}
		})
		if want := map[bool]int{true: 1, false: 0}[major >= 18]; disabled != want {
			t.Errorf("%d: %d disabled nodes, want %d", major, disabled, want)
		}
	}
}

// TestVersions_New18 checks the fields 18 adds: index searches, WAL
// buffers full, and a tuplestore's storage.
func TestVersions_New18(t *testing.T) {
	if n := parseVersionFixture(t, 18, "index_scan").Root; n.IndexSearches != 1 {
		t.Errorf("index_scan: IndexSearches = %d, want 1", n.IndexSearches)
	}
	if n := find(parseVersionFixture(t, 18, "nested_loop"), "Bitmap Index Scan"); n.IndexSearches != 20 {
		t.Errorf("nested_loop: IndexSearches = %d, want 20 (one per loop)", n.IndexSearches)
	}
	if n := parseVersionFixture(t, 18, "update").Root; n.WALBuffersFull == 0 {
		t.Error("update: WALBuffersFull = 0")
	}
	p := parseVersionFixture(t, 18, "cte_spill")
	cte := find(p, "CTE Scan")
	if cte.StorageType != "Disk" || cte.MaxStorage == 0 {
		t.Errorf("CTE Scan storage %q %d kB, want Disk", cte.StorageType, cte.MaxStorage)
	}
	// The CTE Scan that filled the shared tuplestore wrote it; the hash
	// join spilled as well.
	var tuplestore bool
	for _, sp := range p.Spills(0) {
		if sp.Node == "CTE Scan" && sp.PeakDiskBytes == cte.MaxStorage*1024 && sp.Bytes > sp.PeakDiskBytes/2 {
			tuplestore = true
		}
	}
	if !tuplestore {
		t.Errorf("spills %+v, want the CTE's tuplestore of %d kB", p.Spills(0), cte.MaxStorage)
	}
	for _, major := range []int{13, 15, 17} {
		if n := parseVersionFixture(t, major, "index_scan").Root; n.IndexSearches != 0 {
			t.Errorf("%d: IndexSearches = %d before 18", major, n.IndexSearches)
		}
	}
}

// TestVersions_SerializeMemory: EXPLAIN's SERIALIZE and MEMORY options,
// new in 17.
func TestVersions_SerializeMemory(t *testing.T) {
	for _, major := range []int{17, 18} {
		p := parseVersionFixture(t, major, "serialize_memory")
		if s := p.Serialization; s == nil || s.Format != "text" || s.OutputKB == 0 {
			t.Errorf("%d: Serialization = %+v", major, s)
		}
		if m := p.PlanningMemory; m == nil || m.UsedKB == 0 || m.AllocatedKB < m.UsedKB {
			t.Errorf("%d: PlanningMemory = %+v", major, m)
		}
		if p.Planning == nil || p.Planning.SharedHitBlocks == 0 {
			t.Errorf("%d: Planning buffers = %+v", major, p.Planning)
		}
		if _, ok := p.Extra["Serialization"]; ok {
			t.Errorf("%d: Serialization left in Extra", major)
		}
	}
}
