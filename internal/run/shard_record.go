package run

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
	"github.com/plangate/plangate/internal/seed"
)

// ShardFormatVersion is the version of the ShardRecord format this
// plangate writes and merges.
const ShardFormatVersion = 1

// ShardRecord is what a shard of a run (check --shard K/N) hands to Merge,
// inside its JSON report: its queries' measurements in full, its share of
// the baseline, the rules it judged by, and digests of what every shard of
// one run has in common. Merge judges the whole run from the records of all
// its shards, as one unsharded check would have judged the same
// measurements.
type ShardRecord struct {
	FormatVersion int `json:"format_version"`
	// Index and Count are the shard's K and N.
	Index int `json:"index"`
	Count int `json:"count"`
	// Config is a digest of everything that decides measurements and
	// verdicts: the seeded state's inputs, the server's settings, the
	// replay's settings and the rules.
	Config string `json:"config"`
	// QuerySet is a digest of every query the whole run replays (names,
	// statements, calls and groups), and QueryCount how many there are.
	QuerySet   string `json:"query_set"`
	QueryCount int    `json:"query_count"`
	// Rules are the configuration's sections that decide verdicts.
	Rules shardRules `json:"rules"`
	// Baseline is the shard's share of the baseline: the baseline queries
	// its queries are compared with, and for shard 1 also those no query
	// of the run is compared with (the removed ones).
	Baseline shardBaseline `json:"baseline"`
	// Server is the server the shard replayed its queries on.
	Server shardServer `json:"server"`
	// Queries are the shard's queries as measured, timings included.
	Queries []recordedQuery `json:"queries"`
	// Spreads are each query's metrics' spreads over repeated runs
	// (--repeat), by query name and metric.
	Spreads     map[string]map[string]float64 `json:"spreads,omitempty"`
	Annotations annotations                   `json:"annotations"`
	// Migrations are the pull request's migrations as the shard judged
	// them (every shard runs them, so that its queries meet the migrated
	// schema).
	Migrations []gate.Migration `json:"migrations,omitempty"`
}

// shardRules are the configuration's sections that decide verdicts, so
// that Merge judges by the rules the shards ran under.
type shardRules struct {
	Thresholds map[string]config.Threshold            `json:"thresholds,omitempty"`
	Overrides  map[string]map[string]config.Threshold `json:"overrides,omitempty"`
	Findings   map[string]config.Finding              `json:"findings,omitempty"`
	Accept     []config.Acceptance                    `json:"accept,omitempty"`
	Totals     map[string]config.Threshold            `json:"totals,omitempty"`
	Match      config.Match                           `json:"match"`
}

// config is the configuration these rules come from, for checkRules.
func (r shardRules) config() config.Config {
	return config.Config{Thresholds: r.Thresholds, Overrides: r.Overrides, Findings: r.Findings, Accept: r.Accept,
		Totals: r.Totals, Match: r.Match}
}

type shardBaseline struct {
	// Digest is a digest of the whole baseline file's content.
	Digest string `json:"digest"`
	// Path is the baseline file as reports name it.
	Path     string            `json:"path"`
	Postgres string            `json:"postgres,omitempty"`
	Settings map[string]string `json:"settings,omitempty"`
	Queries  []recordedQuery   `json:"queries"`
}

type shardServer struct {
	Postgres  string            `json:"postgres"`
	BlockSize int               `json:"block_size"`
	Describe  string            `json:"describe"`
	Settings  map[string]string `json:"settings,omitempty"`
}

// recordedQuery is a gate.Query with what its JSON leaves out, so that a
// report rendered from it is the report rendered from the query itself.
type recordedQuery struct {
	gate.Query
	Explicit bool           `json:"explicit,omitempty"`
	Nodes    []recordedNode `json:"nodes,omitempty"`
}

type recordedNode struct {
	plan.NodeStat
	Depth        int     `json:"depth"`
	Relationship string  `json:"relationship,omitempty"`
	TimeMS       float64 `json:"time_ms,omitempty"`
}

func recordQueries(qs []gate.Query) []recordedQuery {
	out := make([]recordedQuery, len(qs))
	for i, q := range qs {
		r := recordedQuery{Query: q, Explicit: q.Explicit}
		for _, n := range q.Nodes {
			r.Nodes = append(r.Nodes, recordedNode{NodeStat: n, Depth: n.Depth, Relationship: n.Relationship, TimeMS: n.TimeMS})
		}
		r.Query.Nodes = nil
		out[i] = r
	}
	return out
}

func recordedQueries(rs []recordedQuery) []gate.Query {
	out := make([]gate.Query, len(rs))
	for i, r := range rs {
		q := r.Query
		q.Explicit = r.Explicit
		q.Nodes = nil
		for _, n := range r.Nodes {
			ns := n.NodeStat
			ns.Depth, ns.Relationship, ns.TimeMS = n.Depth, n.Relationship, n.TimeMS
			q.Nodes = append(q.Nodes, ns)
		}
		out[i] = q
	}
	return out
}

// current is the shard's queries as measured.
func (r *ShardRecord) current() []gate.Query {
	return recordedQueries(r.Queries)
}

// newShardRecord records shard s of a run over queries, compared with
// base, of which it carries share (see judgeShare), measured as current.
func newShardRecord(cfg config.Config, s Shard, queries []Query, base *baseline.File, share []gate.Query, current *Result,
	notes annotations, migrations []gate.Migration) (*ShardRecord, error) {
	rules := shardRules{Thresholds: cfg.Thresholds, Overrides: cfg.Overrides, Findings: cfg.Findings, Accept: cfg.Accept,
		Totals: cfg.Totals, Match: cfg.Match}
	digest, err := configDigest(cfg, current.Postgres, rules)
	if err != nil {
		return nil, err
	}
	baseDigest, err := baselineDigest(base.Postgres, base.Settings, base.Queries)
	if err != nil {
		return nil, err
	}
	var ids []gate.Query
	for _, q := range withGenericVariants(queries, cfg.Replay.GenericPlans) {
		ids = append(ids, identity(q))
	}
	set, err := querySetDigest(ids)
	if err != nil {
		return nil, err
	}
	rec := &ShardRecord{
		FormatVersion: ShardFormatVersion,
		Index:         s.Index,
		Count:         s.Count,
		Config:        digest,
		QuerySet:      set,
		QueryCount:    len(ids),
		Rules:         rules,
		Baseline: shardBaseline{Digest: baseDigest, Path: RelativePath(cfg.Baseline), Postgres: base.Postgres,
			Settings: base.Settings, Queries: recordQueries(share)},
		Server: shardServer{Postgres: current.Postgres, BlockSize: current.BlockSize, Describe: current.Server,
			Settings: current.Settings},
		Queries:     recordQueries(Current(current, cfg)),
		Spreads:     widestSpreads(current),
		Annotations: notes,
		Migrations:  migrations,
	}
	return rec, nil
}

// configDigest is a digest of what decides a run's measurements and
// verdicts, the same on every machine for the same inputs.
func configDigest(cfg config.Config, postgres string, rules shardRules) (string, error) {
	var spec *seed.Spec
	if cfg.Data != "" {
		var err error
		if spec, err = seed.LoadSpec(cfg.Data); err != nil {
			return "", err
		}
	}
	key := seededStateKey(cfg, spec)
	key.PostgresVersion = postgres
	seeded, err := key.Hash()
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(struct {
		Seeded     string
		Settings   map[string]string
		Image      string
		Replay     config.Replay
		KeepParams bool
		Migrations bool
		Rules      shardRules
	}{seeded, ServerSettings(cfg), cfg.Postgres.Image, cfg.Replay, cfg.KeepParams, HasMigrations(cfg), rules})
	if err != nil {
		return "", fmt.Errorf("shard: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// baselineDigest is a digest of a baseline's content, as baseline.Marshal
// writes it: the same for the file and for the union of its shares.
func baselineDigest(postgres string, settings map[string]string, queries []gate.Query) (string, error) {
	data, err := baseline.Marshal(&baseline.File{FormatVersion: baseline.FormatVersion, Postgres: postgres, Settings: settings, Queries: queries})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// querySetDigest is a digest of a set of queries' identities (see
// identity: names, statements, calls and groups), whatever their order.
func querySetDigest(qs []gate.Query) (string, error) {
	ids := make([]gate.Query, len(qs))
	for i, q := range qs {
		ids[i] = gate.Query{Name: q.Name, Fingerprint: q.Fingerprint, SQL: q.SQL, Kind: q.Kind, Structure: q.Structure,
			Relation: q.Relation, Role: q.Role, Generic: q.Generic, Calls: q.Calls, Groups: q.Groups}
	}
	slices.SortFunc(ids, func(a, b gate.Query) int { return strings.Compare(a.Name, b.Name) })
	data, err := json.Marshal(ids)
	if err != nil {
		return "", fmt.Errorf("shard: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
