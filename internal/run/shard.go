package run

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/queryid"
)

// Shard names one share of a run split over several machines or jobs:
// the Index-th of Count, counted from 1.
type Shard struct {
	Index, Count int
}

// String writes the shard as --shard takes it: "2/4".
func (s Shard) String() string {
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// ParseShard reads a shard written K/N, with 1 <= K <= N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	ki, kerr := strconv.Atoi(k)
	ni, nerr := strconv.Atoi(n)
	if !ok || kerr != nil || nerr != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("--shard %s: want K/N with 1 <= K <= N, e.g. --shard 2/4 for the second of four shares", s)
	}
	return Shard{Index: ki, Count: ni}, nil
}

// Replay cost estimates, in milliseconds, for balancing shards. Baselines
// hold no timings (they vary from run to run and would make every
// re-recording a diff), so the weight of a query is estimated from what the
// baseline recorded of it, which does not vary: a fixed cost per replay (the
// round trips of a transaction and EXPLAIN), the buffers it touched, the
// temporary files it wrote and read, and for a write the checkpoint before
// it and the vacuum after it. The figures are what plangate-bench-shards
// measured on its suite of 1,000 statements, on two cores.
const (
	replayOverheadMS = 5.0
	blockMS          = 0.004     // a shared buffer hit or read
	tempByteMS       = 2.0 / 1e6 // 2 ms a megabyte of temporary file
	writeCleanupMS   = 40.0
)

// replayWeight estimates how long replaying q takes, from its baseline
// record.
func replayWeight(q gate.Query) float64 {
	m := q.Metrics
	w := replayOverheadMS + blockMS*m[gate.MetricSharedBlocks] +
		tempByteMS*(m[gate.MetricTempWrittenBytes]+m[gate.MetricTempReadBytes])
	if queryid.Kind(q.Kind).Writes() {
		w += writeCleanupMS
	}
	return w
}

// shardItem is a query as partition takes it: its name, the names it is
// replayed under (its generic-plan variant's too), and whether it changes
// the database's pages.
type shardItem struct {
	name    string
	names   []string
	changes bool
}

// partition splits items into n shares of about equal replay time,
// estimated from base (replayWeight): longest first, each to the share with
// the least so far, ties broken by name and then by the lower share. A name
// base lacks (a new query) counts as the median of the names it has, or 1
// when it has none. The result depends only on the items' names and base,
// never on their order, so every shard of a run computes the same split.
//
// The items that change pages (writes, SELECT ... FOR UPDATE) stay together,
// as one: a rolled-back write leaves its pages a little changed even after
// the vacuum that follows it, so a write's buffers and WAL depend on the
// writes replayed before it. Together, in the order an unsharded run
// replays them, they measure what they measure there.
func partition(items []shardItem, base *baseline.File, n int) [][]string {
	recorded := map[string]float64{}
	if base != nil {
		for _, q := range base.Queries {
			recorded[q.Name] = replayWeight(q)
		}
	}
	median := 1.0
	if len(recorded) > 0 {
		ws := make([]float64, 0, len(recorded))
		for _, w := range recorded {
			ws = append(ws, w)
		}
		slices.Sort(ws)
		median = ws[len(ws)/2]
		if len(ws)%2 == 0 {
			median = (ws[len(ws)/2-1] + ws[len(ws)/2]) / 2
		}
	}
	// unit is what goes to one share whole: a query, or all those that
	// change pages; key is its first name, for ties.
	type unit struct {
		key    string
		names  []string
		weight float64
	}
	// Sums in name order, whatever the order of items.
	items = slices.SortedFunc(slices.Values(items), func(a, b shardItem) int { return cmp.Compare(a.name, b.name) })
	var units []*unit
	var changing *unit
	for _, it := range items {
		var w float64
		for _, name := range it.names {
			if r, ok := recorded[name]; ok {
				w += r
			} else {
				w += median
			}
		}
		u := &unit{key: it.name, names: []string{it.name}, weight: w}
		if it.changes {
			if changing != nil {
				changing.names = append(changing.names, it.name)
				changing.weight += w
				continue
			}
			changing = u
		}
		units = append(units, u)
	}
	slices.SortFunc(units, func(a, b *unit) int {
		if c := cmp.Compare(b.weight, a.weight); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	shares := make([][]string, n)
	load := make([]float64, n)
	for _, u := range units {
		least := 0
		for i := 1; i < n; i++ {
			if load[i] < load[least] {
				least = i
			}
		}
		shares[least] = append(shares[least], u.names...)
		load[least] += u.weight
	}
	for _, s := range shares {
		slices.Sort(s)
	}
	return shares
}

// shardItems lists queries as partition takes them: each with the names it
// is replayed under.
func shardItems(queries []Query, genericPlans bool) []shardItem {
	items := make([]shardItem, 0, len(queries))
	for _, q := range queries {
		it := shardItem{name: q.Name, changes: q.ID.LocksRows()}
		for _, v := range withGenericVariants([]Query{q}, genericPlans) {
			it.names = append(it.names, v.Name)
		}
		items = append(items, it)
	}
	return items
}

// shardQueries returns the queries of shard s: its share of queries, split
// by partition.
func shardQueries(queries []Query, base *baseline.File, s Shard, genericPlans bool) []Query {
	mine := map[string]bool{}
	for _, name := range partition(shardItems(queries, genericPlans), base, s.Count)[s.Index-1] {
		mine[name] = true
	}
	var out []Query
	for _, q := range queries {
		if mine[q.Name] {
			out = append(out, q)
		}
	}
	return out
}
