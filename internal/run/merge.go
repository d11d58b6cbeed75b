package run

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// ShardFile is a shard's record as Merge takes it: the JSON of a
// ShardRecord and the file it came from, for messages.
type ShardFile struct {
	Path   string
	Record json.RawMessage
}

// Merge judges a whole run from the records of all its shards (check
// --shard K/N, each shard once): the same comparison, totals and removed
// queries included, as one unsharded check of the same measurements. It
// refuses shards of different runs (another baseline, configuration,
// query set or server), a shard given twice or missing, and a query in two
// shards.
func Merge(files []ShardFile) (*Checked, error) {
	if len(files) == 0 {
		return nil, errors.New("merge: no shard reports: give the JSON report of every shard (plangate check --shard K/N --format json --output FILE)")
	}
	recs := make([]*ShardRecord, len(files))
	for i, f := range files {
		r, err := decodeShard(f)
		if err != nil {
			return nil, err
		}
		recs[i] = r
	}
	if err := sameRun(files, recs); err != nil {
		return nil, err
	}
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return recs[a].Index - recs[b].Index })
	first := recs[order[0]]

	var current, share []gate.Query
	notes := annotations{PaginationCounts: map[string]string{}, EstimateOnly: map[string]bool{}, Sources: map[string]string{}}
	spreads := map[string]map[string]float64{}
	inShard := map[string]int{} // query name -> index in files
	inShareOf := map[string]int{}
	for _, i := range order {
		r := recs[i]
		for _, q := range r.Queries {
			if j, dup := inShard[q.Name]; dup {
				return nil, fmt.Errorf("merge: query %q is in shard %d/%d (%s) and in shard %d/%d (%s): shards of one run share no query",
					q.Name, recs[j].Index, recs[j].Count, files[j].Path, r.Index, r.Count, files[i].Path)
			}
			inShard[q.Name] = i
		}
		for _, q := range r.Baseline.Queries {
			if j, dup := inShareOf[q.Name]; dup {
				return nil, fmt.Errorf("merge: baseline query %q is in shard %d/%d (%s) and in shard %d/%d (%s): shards of one run share no query",
					q.Name, recs[j].Index, recs[j].Count, files[j].Path, r.Index, r.Count, files[i].Path)
			}
			inShareOf[q.Name] = i
		}
		current = append(current, r.current()...)
		share = append(share, recordedQueries(r.Baseline.Queries)...)
		maps.Copy(notes.PaginationCounts, r.Annotations.PaginationCounts)
		maps.Copy(notes.EstimateOnly, r.Annotations.EstimateOnly)
		maps.Copy(notes.Sources, r.Annotations.Sources)
		maps.Copy(spreads, r.Spreads)
	}
	set, err := querySetDigest(current)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if len(current) != first.QueryCount || set != first.QuerySet {
		return nil, fmt.Errorf("merge: the shards hold %d queries, which are not the %d queries the run replays: a shard's report is incomplete; run its shard again", len(current), first.QueryCount)
	}
	digest, err := baselineDigest(first.Baseline.Postgres, first.Baseline.Settings, share)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	if digest != first.Baseline.Digest {
		return nil, errors.New("merge: the shards' shares of the baseline do not make up the baseline they were compared with: a shard's report is incomplete; run its shard again")
	}
	slices.SortFunc(current, func(a, b gate.Query) int { return strings.Compare(a.Name, b.Name) })

	rules, err := checkRules(first.Rules.config())
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	rules = withSpreads(rules, spreads)
	if acrossMajors(first.Baseline.Postgres, first.Server.Postgres) {
		rules = gate.AcrossMajors(rules)
	}
	rep, err := verdict(gate.Compare(share, current, rules), rules, notes, first.Migrations)
	if err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	result := &Result{Postgres: first.Server.Postgres, BlockSize: first.Server.BlockSize, Server: first.Server.Describe,
		Settings: first.Server.Settings}
	return &Checked{Report: rep, Result: result, BaselinePostgres: first.Baseline.Postgres, Baseline: first.Baseline.Path,
		Sources: notes.Sources}, nil
}

// decodeShard reads a shard's record.
func decodeShard(f ShardFile) (*ShardRecord, error) {
	if len(f.Record) == 0 {
		return nil, fmt.Errorf("merge: %s is not a shard's report: write each shard's with plangate check --shard K/N --format json --output FILE", f.Path)
	}
	var head struct {
		FormatVersion int `json:"format_version"`
	}
	if err := json.Unmarshal(f.Record, &head); err != nil {
		return nil, fmt.Errorf("merge: %s: shard record: %w", f.Path, err)
	}
	if head.FormatVersion != ShardFormatVersion {
		return nil, fmt.Errorf("merge: %s: shard record format %d, this plangate merges format %d: merge with the plangate that ran the shards", f.Path, head.FormatVersion, ShardFormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(f.Record))
	dec.DisallowUnknownFields()
	var r ShardRecord
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("merge: %s: shard record: %w", f.Path, err)
	}
	if r.Count < 1 || r.Index < 1 || r.Index > r.Count {
		return nil, fmt.Errorf("merge: %s: shard %d/%d: want K/N with 1 <= K <= N", f.Path, r.Index, r.Count)
	}
	return &r, nil
}

// sameRun checks that the records are the shards of one run, each once.
func sameRun(files []ShardFile, recs []*ShardRecord) error {
	a, fa := recs[0], files[0].Path
	byIndex := map[int]string{}
	for i, r := range recs {
		f := files[i].Path
		switch {
		case r.Count != a.Count:
			return fmt.Errorf("merge: %s is shard %d/%d but %s is shard %d/%d: shards of different splits", f, r.Index, r.Count, fa, a.Index, a.Count)
		case r.Baseline.Digest != a.Baseline.Digest:
			return fmt.Errorf("merge: %s and %s were compared with different baselines: run every shard on the same commit", fa, f)
		case r.Config != a.Config:
			return fmt.Errorf("merge: %s and %s ran under different configurations (seeded data, server or replay settings, or rules): run every shard on the same commit with the same flags", fa, f)
		case r.QuerySet != a.QuerySet || r.QueryCount != a.QueryCount:
			return fmt.Errorf("merge: %s and %s were cut from different query sets: give every shard the same queries", fa, f)
		case r.Server.Postgres != a.Server.Postgres || r.Server.BlockSize != a.Server.BlockSize || !maps.Equal(r.Server.Settings, a.Server.Settings):
			return fmt.Errorf("merge: %s ran on PostgreSQL %s, %s on PostgreSQL %s (or with other settings): run every shard on the same server version", fa, a.Server.Postgres, f, r.Server.Postgres)
		}
		if prev, dup := byIndex[r.Index]; dup {
			return fmt.Errorf("merge: shard %d/%d is given twice (%s and %s)", r.Index, r.Count, prev, f)
		}
		byIndex[r.Index] = f
	}
	var missing []string
	for k := 1; k <= a.Count; k++ {
		if _, ok := byIndex[k]; !ok {
			missing = append(missing, fmt.Sprintf("%d/%d", k, a.Count))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("merge: shard %s missing: give the JSON report of every shard", strings.Join(missing, ", "))
	}
	return nil
}
