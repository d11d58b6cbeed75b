package plan

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Bytes are the temp blocks each node wrote itself (its Temp Written Blocks
// less its children's) times 8192; PeakDiskBytes are Sort Space Used and
// Disk Usage in kB times 1024.
func TestSpills(t *testing.T) {
	const bs = 8192
	tests := []struct {
		fixture string
		want    []Spill
	}{
		{fixture: "seq_scan_filter"},
		{fixture: "nested_loop"},
		{fixture: "estimate_only"},
		{fixture: "insert"},
		{
			// The join writes the outer side's batches, the Hash the inner's.
			fixture: "hash_join_batches",
			want: []Spill{{
				Node: "Hash Join", Bytes: (835 - 49 + 49) * bs, Batches: 8,
				Description: "Hash Join spilled 6.5 MB to disk in 8 batches",
			}},
		},
		{
			fixture: "sort_spill",
			want: []Spill{{
				Node: "Sort", Bytes: 8283 * bs, PeakDiskBytes: 15512 * 1024,
				Description: "Sort (external merge) spilled 65 MB to disk",
			}},
		},
		{
			fixture: "hashagg_spill",
			want: []Spill{{
				Node: "HashAggregate", Bytes: 1675 * bs, PeakDiskBytes: 7120 * 1024, Batches: 17,
				Description: "HashAggregate spilled 13 MB to disk in 17 batches",
			}},
		},
		{
			fixture: "count_subquery_spill",
			want: []Spill{{
				Node: "HashAggregate", Bytes: 696 * bs, PeakDiskBytes: 3528 * 1024, Batches: 5,
				Description: "HashAggregate spilled 5.4 MB to disk in 5 batches",
			}},
		},
		{
			// The CTE Scan that read first wrote the CTE's tuplestore.
			fixture: "cte_spill",
			want: []Spill{
				{Node: "Sort", Bytes: (2388 - 1350) * bs, PeakDiskBytes: 2392 * 1024, Description: "Sort (external merge) spilled 8.1 MB to disk"},
				{Node: "CTE Scan", Bytes: 1350 * bs, Description: "CTE Scan on recent r1 spilled 11 MB to disk"},
				{Node: "Sort", Bytes: (648 - 1) * bs, PeakDiskBytes: 1616 * 1024, Description: "Sort (external merge) spilled 5.1 MB to disk"},
				{Node: "CTE Scan", Bytes: 1 * bs, Description: "CTE Scan on recent r2 spilled 8.0 kB to disk"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			p := parseFixture(t, tt.fixture)
			got := p.Spills(bs)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Spills (-want +got):\n%s", diff)
			}
			var sum int64
			for _, s := range got {
				sum += s.Bytes
			}
			if total := p.Metrics(bs)[MetricTempWrittenBytes]; float64(sum) != total {
				t.Errorf("spilled bytes add up to %d, temp_written_bytes is %v", sum, total)
			}
		})
	}
}

func TestSpills_WithoutBuffers(t *testing.T) {
	// Without BUFFERS only the nodes' own reports are left.
	p, err := Parse([]byte(`[{"Plan": {"Node Type": "Sort", "Sort Method": "external sort",
		"Sort Space Used": 2048, "Sort Space Type": "Disk", "Plans": [
		{"Node Type": "Hash Join", "Parent Relationship": "Outer", "Join Type": "Left", "Plans": [
			{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "a"},
			{"Node Type": "Hash", "Parent Relationship": "Inner", "Hash Batches": 4, "Plans": [
				{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "b"}]}]}]}}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Spill{
		{Node: "Sort", Bytes: 2 << 20, PeakDiskBytes: 2 << 20, Description: "Sort (external sort) spilled 2.0 MB to disk"},
		{Node: "Hash Left Join", Batches: 4, Description: "Hash Left Join spilled to disk in 4 batches"},
	}
	if diff := cmp.Diff(want, p.Spills(0)); diff != "" {
		t.Errorf("Spills (-want +got):\n%s", diff)
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		name string
		in   int64
		want string
	}{
		{"zero", 0, "0 B"},
		{"bytes", 512, "512 B"},
		{"just under a kB", 1023, "1023 B"},
		{"one block", 8192, "8.0 kB"},
		{"one decimal under ten", 1536, "1.5 kB"},
		{"rounds up to ten", 10200, "10 kB"},
		{"whole units from ten", 52000 * 1024, "51 MB"},
		{"hash aggregate", 184 << 20, "184 MB"},
		{"rounds into the next unit", 1024*1024 - 1, "1.0 MB"},
		{"gigabytes", 3 << 30, "3.0 GB"},
		{"terabytes", 12 << 40, "12 TB"},
		{"largest", math.MaxInt64, "8.0 EB"},
		{"negative", -8192, "-8.0 kB"},
		{"most negative", math.MinInt64, "-8.0 EB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FormatBytes(tt.in); got != tt.want {
				t.Errorf("FormatBytes(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
