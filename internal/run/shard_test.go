package run

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/gate"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"1/1", Shard{1, 1}, true},
		{"2/4", Shard{2, 4}, true},
		{"4/4", Shard{4, 4}, true},
		{"0/4", Shard{}, false},
		{"5/4", Shard{}, false},
		{"-1/4", Shard{}, false},
		{"1/0", Shard{}, false},
		{"x", Shard{}, false},
		{"2", Shard{}, false},
		{"2/", Shard{}, false},
		{"a/b", Shard{}, false},
		{"", Shard{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseShard(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

// weightedBaseline is a baseline of n queries of varied weight, and the
// queries as partition takes them: shared blocks spread over four orders of
// magnitude, a few with temporary files and, with writes, every seventh a
// write.
func weightedBaseline(n int, writes bool) (*baseline.File, []shardItem) {
	f := &baseline.File{FormatVersion: baseline.FormatVersion}
	var items []shardItem
	r := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		q := gate.Query{Name: fmt.Sprintf("q%04d", i), Kind: "select", Metrics: map[string]float64{
			gate.MetricSharedBlocks: float64(r.IntN(10000)) * float64(1+i%4*10),
		}}
		if writes && i%7 == 0 {
			q.Kind = "update"
		}
		if i%50 == 0 {
			q.Metrics[gate.MetricTempWrittenBytes] = 8 << 20
		}
		f.Queries = append(f.Queries, q)
		items = append(items, shardItem{name: q.Name, names: []string{q.Name}, changes: q.Kind == "update"})
	}
	return f, items
}

func TestPartition_EveryQueryOnce(t *testing.T) {
	base, items := weightedBaseline(1000, true)
	for _, n := range []int{1, 2, 3, 4, 7, 1000, 1500} {
		shares := partition(items, base, n)
		if len(shares) != n {
			t.Fatalf("n=%d: %d shares", n, len(shares))
		}
		seen := map[string]int{}
		for _, s := range shares {
			for _, name := range s {
				seen[name]++
			}
		}
		for _, it := range items {
			if seen[it.name] != 1 {
				t.Errorf("n=%d: %s is in %d shares", n, it.name, seen[it.name])
			}
		}
		if len(seen) != len(items) {
			t.Errorf("n=%d: %d names in the shares, want %d", n, len(seen), len(items))
		}
	}
}

func TestPartition_Deterministic(t *testing.T) {
	base, items := weightedBaseline(500, true)
	want := partition(items, base, 4)
	r := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		shuffled := slices.Clone(items)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		rebase := *base
		rebase.Queries = slices.Clone(base.Queries)
		r.Shuffle(len(rebase.Queries), func(i, j int) { rebase.Queries[i], rebase.Queries[j] = rebase.Queries[j], rebase.Queries[i] })
		if diff := cmp.Diff(want, partition(shuffled, &rebase, 4)); diff != "" {
			t.Fatalf("the split depends on the order of queries or baseline (-want +got):\n%s", diff)
		}
	}
}

func TestPartition_Balanced(t *testing.T) {
	base, items := weightedBaseline(1000, false)
	weight := map[string]float64{}
	var total, heaviest float64
	for _, q := range base.Queries {
		weight[q.Name] = replayWeight(q)
		total += weight[q.Name]
		heaviest = max(heaviest, weight[q.Name])
	}
	for _, n := range []int{2, 4, 8} {
		var most, least float64 = 0, total
		for _, s := range partition(items, base, n) {
			var load float64
			for _, name := range s {
				load += weight[name]
			}
			most, least = max(most, load), min(least, load)
		}
		// Longest processing time first is within a third of the optimum;
		// on many small items it is within one item of the mean.
		if mean := total / float64(n); most > mean+heaviest || most > 1.02*mean {
			t.Errorf("n=%d: heaviest share %.1f, lightest %.1f, mean %.1f, heaviest query %.1f", n, most, least, mean, heaviest)
		}
	}
}

// TestPartition_WritesTogether: the queries that change pages go to one
// share, whole; the others balance the rest around them.
func TestPartition_WritesTogether(t *testing.T) {
	base, items := weightedBaseline(700, true)
	var writes, total float64
	weight := map[string]float64{}
	for _, q := range base.Queries {
		weight[q.Name] = replayWeight(q)
		total += weight[q.Name]
		if q.Kind == "update" {
			writes += weight[q.Name]
		}
	}
	for _, n := range []int{2, 4, 8} {
		shares := partition(items, base, n)
		holding := -1
		var most float64
		for i, s := range shares {
			var load float64
			for _, name := range s {
				load += weight[name]
			}
			for _, it := range items {
				if it.changes && slices.Contains(s, it.name) {
					if holding >= 0 && holding != i {
						t.Fatalf("n=%d: writes in shares %d and %d", n, holding+1, i+1)
					}
					holding = i
				}
			}
			most = max(most, load)
		}
		if mean := total / float64(n); most > max(writes, 1.02*mean) {
			t.Errorf("n=%d: heaviest share %.1f, mean %.1f, the writes together %.1f", n, most, mean, writes)
		}
	}
}

func TestPartition_NewQueriesCountAsMedian(t *testing.T) {
	base := &baseline.File{Queries: []gate.Query{
		{Name: "a", Metrics: map[string]float64{gate.MetricSharedBlocks: 1000}},
		{Name: "b", Metrics: map[string]float64{gate.MetricSharedBlocks: 3000}},
		{Name: "c", Metrics: map[string]float64{gate.MetricSharedBlocks: 9000}},
	}}
	items := []shardItem{{"a", []string{"a"}, false}, {"b", []string{"b"}, false}, {"c", []string{"c"}, false}, {"new", []string{"new"}, false}}
	// Weights (replayWeight): c 41, b 17, new 17 (the median, as it has no
	// record), a 9. Longest first: c to the first share; b, new (a tie, by
	// name) and a each to the second, which stays the lighter.
	got := partition(items, base, 2)
	want := [][]string{{"c"}, {"a", "b", "new"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("partition (-want +got):\n%s", diff)
	}
	// A generic-plan variant adds its own weight to its query's.
	items[0].names = []string{"a", "a [generic plan]"}
	if got := partition(items, base, 2); !slices.Contains(got[1], "a") {
		t.Errorf("partition with a variant: %v", got)
	}
}

func TestPartition_NoBaseline(t *testing.T) {
	items := []shardItem{{"d", []string{"d"}, false}, {"a", []string{"a"}, false}, {"c", []string{"c"}, false}, {"b", []string{"b"}, false}, {"e", []string{"e"}, false}}
	got := partition(items, nil, 2)
	want := [][]string{{"a", "c", "e"}, {"b", "d"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("partition without a baseline: by name, in turn (-want +got):\n%s", diff)
	}
}
