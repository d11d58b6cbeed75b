package run

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/report"
)

// shardProject is testdata/shard measured once: its baseline's queries
// (base.jsonl, which pass) and a release's (v2.jsonl: a regressed list
// count and aggregate, an N+1, a renamed query paired by structure, a
// removed one, new ones, one of them outweighing the rest of its group).
type shardProject struct {
	base *baseline.File
	sets map[string]shardSet
}

type shardSet struct {
	cfg     config.Config
	queries []Query
	result  *Result
}

var (
	shardOnce     sync.Once
	shardMeasured shardProject
	shardErr      error
)

// measureShardProject measures testdata/shard's two query sets on one
// seeded database, once per test binary.
func measureShardProject(t *testing.T) shardProject {
	t.Helper()
	if _, err := localBinaries(context.Background(), config.Defaults()); err != nil {
		if os.Getenv("PLANGATE_REQUIRE_POSTGRES") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	shardOnce.Do(func() {
		cache, err := os.MkdirTemp("/tmp", "plangate-run-test-")
		if err != nil {
			shardErr = err
			return
		}
		defer os.RemoveAll(cache)
		if err := os.Chmod(cache, 0o755); err != nil {
			shardErr = err
			return
		}
		cfg, err := config.Load(filepath.Join("testdata", "shard", "plangate.yaml"), true)
		if err != nil {
			shardErr = err
			return
		}
		cfg.Cache.Dir = cache
		p := shardProject{sets: map[string]shardSet{}}
		if p.base, err = baseline.Read(cfg.Baseline); err != nil {
			shardErr = err
			return
		}
		names := []string{"base.jsonl", "v2.jsonl"}
		var sets [][]Query
		for _, name := range names {
			c := cfg
			c.Queries = []string{filepath.Join(cfg.Dir, name)}
			qs, err := LoadQueries(c)
			if err != nil {
				shardErr = err
				return
			}
			p.sets[name] = shardSet{cfg: c, queries: qs}
			sets = append(sets, qs)
		}
		results, err := Measure(context.Background(), cfg, Env{}, sets...)
		if err != nil {
			shardErr = err
			return
		}
		for i, name := range names {
			s := p.sets[name]
			s.result = results[i]
			p.sets[name] = s
		}
		shardMeasured = p
	})
	if shardErr != nil {
		t.Fatal(shardErr)
	}
	return shardMeasured
}

// checkShard judges shard s of set as check --shard does, on the
// measurements of the whole set cut down to the shard's queries, and
// returns its JSON report, carrying the shard's record.
func checkShard(t *testing.T, p shardProject, set shardSet, s Shard) (*Checked, []byte) {
	t.Helper()
	rules, err := checkRules(set.cfg)
	if err != nil {
		t.Fatal(err)
	}
	share := shardQueries(set.queries, p.base, s, set.cfg.Replay.GenericPlans)
	mine := map[string]bool{}
	for _, q := range withGenericVariants(share, set.cfg.Replay.GenericPlans) {
		mine[q.Name] = true
	}
	sub := *set.result
	sub.Measurements = nil
	for _, m := range set.result.Measurements {
		if mine[m.Name] {
			sub.Measurements = append(sub.Measurements, m)
		}
	}
	checked, err := judgeRun(set.cfg, rules, share, set.queries, p.base, []*Result{&sub}, nil, &s)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(checked.Shard)
	if err != nil {
		t.Fatal(err)
	}
	meta := reportMeta(checked)
	meta.Shard = raw
	var buf bytes.Buffer
	if err := report.Write(&buf, "json", checked.Report, meta); err != nil {
		t.Fatal(err)
	}
	return checked, buf.Bytes()
}

func reportMeta(c *Checked) report.Meta {
	return report.Meta{Postgres: c.Result.Postgres, Backend: c.Result.Server, Baseline: RelativePath(c.Baseline)}
}

// mergeReports merges shard JSON reports as plangate merge reads them.
func mergeReports(t *testing.T, reports map[string][]byte) (*Checked, error) {
	t.Helper()
	dir := t.TempDir()
	var files []ShardFile
	for _, name := range slices.Sorted(maps.Keys(reports)) {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, reports[name], 0o644); err != nil {
			t.Fatal(err)
		}
		_, meta, err := report.ReadJSON(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, ShardFile{Path: name, Record: meta.Shard})
	}
	return Merge(files)
}

// TestMerge_SameMeasurements: four shards of a run, merged, give the report
// one unsharded check gives of the same measurements, byte for byte, in
// every format; each shard reports its own queries and nothing of the
// workload as a whole.
func TestMerge_SameMeasurements(t *testing.T) {
	p := measureShardProject(t)
	for _, tt := range []struct {
		set     string
		verdict gate.Verdict
	}{{"base.jsonl", gate.VerdictPass}, {"v2.jsonl", gate.VerdictFail}} {
		t.Run(tt.set, func(t *testing.T) {
			set := p.sets[tt.set]
			rules, err := checkRules(set.cfg)
			if err != nil {
				t.Fatal(err)
			}
			whole, err := judgeRun(set.cfg, rules, set.queries, set.queries, p.base, []*Result{set.result}, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if whole.Report.Verdict != tt.verdict {
				t.Fatalf("unsharded verdict %s, want %s", whole.Report.Verdict, tt.verdict)
			}
			wholeRows := map[string]gate.Result{}
			for _, res := range whole.Report.Queries {
				wholeRows[res.Name] = res
			}

			reports := map[string][]byte{}
			reported := map[string]int{}
			for k := 1; k <= 4; k++ {
				shard, rep := checkShard(t, p, set, Shard{k, 4})
				reports[fmt.Sprintf("shard-%d.json", k)] = rep
				if len(shard.Report.Totals) > 0 {
					t.Errorf("shard %d/4 judged workload totals: %+v", k, shard.Report.Totals)
				}
				for _, res := range shard.Report.Queries {
					reported[res.Name]++
					if res.Status == gate.StatusRemoved {
						t.Errorf("shard %d/4 reports removed query %s", k, res.Name)
					}
					want := wholeRows[res.Name]
					if res.Status != want.Status || !slices.Equal(withoutNewShare(res.Findings), withoutNewShare(want.Findings)) {
						t.Errorf("shard %d/4 judged %s %s with %v; the whole run %s with %v", k, res.Name, res.Status, res.Findings, want.Status, want.Findings)
					}
				}
			}
			for name, res := range wholeRows {
				if n := reported[name]; res.Status != gate.StatusRemoved && n != 1 {
					t.Errorf("%s is reported by %d shards, want 1", name, n)
				}
			}

			merged, err := mergeReports(t, reports)
			if err != nil {
				t.Fatal(err)
			}
			for _, format := range report.Formats() {
				var want, got bytes.Buffer
				if err := report.Write(&want, format, whole.Report, reportMeta(whole), report.WithSources(whole.Sources)); err != nil {
					t.Fatal(err)
				}
				if err := report.Write(&got, format, merged.Report, reportMeta(merged), report.WithSources(merged.Sources)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(want.Bytes(), got.Bytes()) {
					t.Errorf("%s: merged report differs from the unsharded one (-unsharded +merged):\n%s", format, cmp.Diff(want.String(), got.String()))
				}
			}
		})
	}
}

func withoutNewShare(fs []gate.Finding) []gate.Finding {
	var out []gate.Finding
	for _, f := range fs {
		if f.Kind != gate.FindingNewShare {
			out = append(out, f)
		}
	}
	return out
}

// TestMerge_Refuses: merge refuses what is not the shards of one run, each
// once, naming the problem.
func TestMerge_Refuses(t *testing.T) {
	p := measureShardProject(t)
	shards := func(set string, n int) [][]byte {
		var out [][]byte
		for k := 1; k <= n; k++ {
			_, rep := checkShard(t, p, p.sets[set], Shard{k, n})
			out = append(out, rep)
		}
		return out
	}
	four, three, other := shards("v2.jsonl", 4), shards("v2.jsonl", 3), shards("base.jsonl", 4)
	// edit returns a shard's report with its record changed by f.
	edit := func(rep []byte, f func(rec map[string]any)) []byte {
		var top map[string]json.RawMessage
		var rec map[string]any
		if err := json.Unmarshal(rep, &top); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(top["shard"], &rec); err != nil {
			t.Fatal(err)
		}
		f(rec)
		top["shard"], _ = json.Marshal(rec)
		out, _ := json.Marshal(top)
		return out
	}
	var first map[string]any
	edit(four[0], func(rec map[string]any) { first = rec })
	var whole bytes.Buffer
	if err := report.Write(&whole, "json", gate.Report{Verdict: gate.VerdictPass}, report.Meta{}); err != nil {
		t.Fatal(err)
	}
	named := func(reps ...[]byte) map[string][]byte {
		out := map[string][]byte{}
		for i, r := range reps {
			out[string(rune('a'+i))+".json"] = r
		}
		return out
	}

	tests := []struct {
		name    string
		reports map[string][]byte
		want    string
	}{
		{"none", nil, "no shard reports"},
		{"missing", named(four[0], four[1], four[3]), "shard 3/4 missing"},
		{"twice", named(four[0], four[0], four[1], four[2], four[3]), "shard 1/4 is given twice (a.json and b.json)"},
		{"other split", named(four[0], three[1]), "shards of different splits"},
		{"other query set", named(four[0], other[1], four[2], four[3]), "different query sets"},
		{"other baseline", named(four[0], edit(four[1], func(rec map[string]any) {
			rec["baseline"].(map[string]any)["digest"] = "0123"
		}), four[2], four[3]), "a.json and b.json were compared with different baselines"},
		{"other configuration", named(four[0], edit(four[1], func(rec map[string]any) { rec["config"] = "0123" }), four[2], four[3]),
			"ran under different configurations"},
		{"overlapping", named(four[0], edit(four[1], func(rec map[string]any) {
			rec["queries"] = append(rec["queries"].([]any), first["queries"].([]any)[0])
		}), four[2], four[3]), "is in shard 1/4 (a.json) and in shard 2/4 (b.json)"},
		{"incomplete", named(four[0], edit(four[1], func(rec map[string]any) {
			rec["queries"] = rec["queries"].([]any)[1:]
		}), four[2], four[3]), "a shard's report is incomplete"},
		{"not a shard", named(whole.Bytes()), "a.json is not a shard's report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mergeReports(t, tt.reports)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Merge: %v, want one line with %q", err, tt.want)
			}
		})
	}
}
