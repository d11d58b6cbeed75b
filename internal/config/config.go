// Package config reads plangate.yaml and merges it with command-line flags
// into one Config. Flags win over the file; paths in the file are relative to
// the file's directory.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Version is the plangate.yaml format version this build reads.
const Version = 1

// DefaultFile is the configuration file read when --config is not given.
const DefaultFile = "plangate.yaml"

// Config is everything a plangate run needs to know.
type Config struct {
	// Version is the file format version; 0 means not given (current).
	Version int `yaml:"version"`
	// Schema lists SQL files or directories applied first, in order.
	Schema []string `yaml:"schema"`
	// Seed lists SQL files or directories applied after the schema.
	Seed []string `yaml:"seed"`
	// DeferIndexes drops every table's indexes and foreign keys before the
	// seed files run and rebuilds them after, as a restore does: faster for
	// seed files that insert many rows, the same database in the end, and a
	// row breaking a key still fails, once all the files have run. Seed files
	// using INSERT ... ON CONFLICT need it off (the default).
	DeferIndexes bool `yaml:"defer_indexes"`
	// Data is a data spec (YAML) generating rows after the seed files.
	Data string `yaml:"data"`
	// Scale multiplies the data spec's row counts (default 1).
	Scale float64 `yaml:"scale"`
	// DataSeed overrides the data spec's seed value; 0 keeps the spec's.
	DataSeed int64 `yaml:"data_seed"`
	// Stats is a planner statistics file (plangate stats export) applied
	// to the seeded database; PostgreSQL 18 or later, or 13 to 17 with the
	// plangate_stats server extension (ext/plangate_stats).
	Stats string `yaml:"stats"`
	// KeepParams keeps constants (parameter values among them) in the plans
	// stored in baselines and reports; by default they are replaced by "?".
	KeepParams bool `yaml:"keep_params"`
	// Cache configures the seeded-state cache of the local backend.
	Cache Cache `yaml:"cache"`
	// Queries lists query sources: directories of .sql files, captures, logs.
	Queries []string `yaml:"queries"`
	// Baseline is the baseline file.
	Baseline string `yaml:"baseline"`
	// Format is the report format: text, markdown or json.
	Format string `yaml:"format"`
	// Output is where the report goes; empty means stdout.
	Output string `yaml:"output"`
	// Backend is auto, docker, local or dsn.
	Backend string `yaml:"backend"`
	// DSN names the server for the dsn backend.
	DSN string `yaml:"dsn"`
	// AllowRemote lets the dsn backend use a server on another host.
	AllowRemote bool `yaml:"allow_remote"`
	// Postgres configures the server plangate starts.
	Postgres Postgres `yaml:"postgres"`
	// Replay configures how statements are replayed.
	Replay Replay `yaml:"replay"`
	// Thresholds override the default rule of a metric, by metric name.
	Thresholds map[string]Threshold `yaml:"thresholds"`
	// Overrides holds per-query thresholds: query name -> metric -> rule.
	Overrides map[string]map[string]Threshold `yaml:"overrides"`
	// Findings tune the named findings (seq_scan, spill, ...), by kind.
	Findings map[string]Finding `yaml:"findings"`
	// Accept lists known regressions that warn instead of failing.
	Accept []Acceptance `yaml:"accept"`
	// Totals override the rules of the workload's totals (overall and per
	// group), by metric name.
	Totals map[string]Threshold `yaml:"totals"`
	// Match pins or forbids pairings of a renamed query with its former
	// self.
	Match Match `yaml:"match"`
	// Migrations are the pull request's schema changes: check runs them
	// before replaying the queries, and migrate runs them alone.
	Migrations Migrations `yaml:"migrations"`

	// Dir is the directory of the configuration file (or the working
	// directory when there is none); not read from the file.
	Dir string `yaml:"-"`
	// Path is the configuration file read, if any; not read from the file.
	Path string `yaml:"-"`
}

// Cache configures the seeded-state cache.
type Cache struct {
	// Disabled seeds afresh on every run.
	Disabled bool `yaml:"disabled"`
	// Dir holds the cache (default $PLANGATE_CACHE_DIR, else
	// $XDG_CACHE_HOME/plangate or ~/.cache/plangate; /var/cache/plangate for
	// root, whose home the server's user cannot reach).
	Dir string `yaml:"dir"`
}

// Migrations says where a pull request's migrations come from and holds
// them to budgets.
type Migrations struct {
	// Path is a directory of .sql files applied in name order, or one
	// .sql file.
	Path string `yaml:"path"`
	// Command is the project's own migration tool, run against the seeded
	// database through plangate's recording proxy ("python manage.py
	// migrate"); it gets DATABASE_URL and the PG* variables.
	Command string `yaml:"command"`
	// LockHeld is how long a lock that blocks writes may be held on a
	// large table (default 1s).
	LockHeld *Duration `yaml:"lock_held"`
	// MinRows is the smallest table whose locks and rewrites matter
	// (default 10000).
	MinRows *Quantity `yaml:"min_rows"`
	// BackfillRows is the most rows one statement may touch (default
	// 50000).
	BackfillRows *Quantity `yaml:"backfill_rows"`
	// WAL is the most WAL one statement may write (default 64MiB).
	WAL *Quantity `yaml:"wal"`
	// Findings sets the severity of each kind of migration finding
	// (migration_lock: warn, migration_lock_timeout: off, ...).
	Findings map[string]string `yaml:"findings"`
}

// Postgres configures the server.
type Postgres struct {
	// Version is the server's major version (13, 15, 17, 18, ...): the
	// docker backend runs that major's image, the local backend its
	// binaries, and a dsn server must run it. 0 means any: the newest
	// installed for local, 17 for docker.
	Version int `yaml:"version"`
	// BinDir holds initdb and postgres for the local backend.
	BinDir string `yaml:"bin_dir"`
	// Image is the container image for the docker backend; empty means
	// the Version's (plangate/postgres:MAJOR when built locally, else
	// postgres:MAJOR).
	Image string `yaml:"image"`
	// Port numbers the local cluster's unix socket (it opens no TCP
	// port); 0 picks a free one.
	Port int `yaml:"port"`
	// RunAs is the unprivileged user that runs a local cluster under root.
	RunAs string `yaml:"run_as"`
	// Settings are server settings (work_mem, shared_buffers, ...).
	Settings map[string]string `yaml:"settings"`
}

// Replay configures replays.
type Replay struct {
	// StatementTimeout caps each statement (default 60s).
	StatementTimeout Duration `yaml:"statement_timeout"`
	// TempFileLimit caps temporary files per statement (default 1GB).
	TempFileLimit string `yaml:"temp_file_limit"`
	// ParallelWorkers is max_parallel_workers_per_gather (default 0: plans
	// with parallel workers vary with the machine).
	ParallelWorkers int `yaml:"parallel_workers"`
	// Repeat replays each statement this many times after a warm-up run and
	// keeps each metric's median (default 1: once).
	Repeat int `yaml:"repeat"`
	// GenericPlans also replays every query with parameters as a prepared
	// statement's generic plan (default true).
	GenericPlans bool `yaml:"generic_plans"`
}

// Threshold overrides parts of a metric's rule; unset fields keep the default.
type Threshold struct {
	// Relative is the relative increase that fails, e.g. 0.5 for +50%.
	Relative *float64 `yaml:"relative" json:"relative,omitempty"`
	// Absolute is the absolute increase that fails (bytes, blocks, cost...).
	Absolute *Quantity `yaml:"absolute" json:"absolute,omitempty"`
	// Budget is the ceiling for a query with no baseline.
	Budget *Quantity `yaml:"budget" json:"budget,omitempty"`
	// Gate decides whether the metric can fail the build.
	Gate *bool `yaml:"gate" json:"gate,omitempty"`
}

// Finding tunes one kind of named finding; each kind takes the keys that
// apply to it (see docs/findings.md).
type Finding struct {
	// Severity is fail, warn, info or off.
	Severity string `yaml:"severity" json:"severity,omitempty"`
	// Options are the finding's thresholds by key (min_rows, min_bytes,
	// factor, ...); which ones a finding takes is the gate's to say.
	Options map[string]Quantity `yaml:",inline" json:"options,omitempty"`
}

// Match pins or forbids pairings of queries by name: a current query whose
// name the baseline lacks is paired with the baseline query it replaces.
type Match struct {
	// Pin pairs these queries whatever their structure.
	Pin []Pairing `yaml:"pin" json:"pin,omitempty"`
	// Forbid never pairs these queries.
	Forbid []Pairing `yaml:"forbid" json:"forbid,omitempty"`
}

// Pairing names a query of the baseline and one of the current run.
type Pairing struct {
	Baseline string `yaml:"baseline" json:"baseline"`
	Current  string `yaml:"current" json:"current"`
}

// Acceptance accepts a regression of one metric of one query on purpose.
type Acceptance struct {
	// Query is the query's name.
	Query string `yaml:"query" json:"query"`
	// Metric is the metric, or "*" for all of the query's metrics.
	Metric string `yaml:"metric" json:"metric"`
	// Reason says why; required, and shown in reports.
	Reason string `yaml:"reason" json:"reason"`
	// Expires is the last day the acceptance holds (YYYY-MM-DD); after it
	// the run fails until the acceptance is removed or moved.
	Expires Date `yaml:"expires" json:"expires"`
}

// Date is a calendar day written as YYYY-MM-DD.
type Date struct{ time.Time }

// UnmarshalYAML reads a YYYY-MM-DD date.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse(time.DateOnly, n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a date: write it as YYYY-MM-DD", n.Line, n.Value)
	}
	d.Time = t
	return nil
}

// MarshalJSON writes the date as YYYY-MM-DD, or "" when it is not set.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte(`""`), nil
	}
	return json.Marshal(d.Format(time.DateOnly))
}

// UnmarshalJSON reads what MarshalJSON writes.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == "" {
		*d = Date{}
		return nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	d.Time = t
	return nil
}

// Duration is a time.Duration written as "30s" or "2m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a duration: write e.g. 30s or 2m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Quantity is a number, optionally with a byte unit: 1000, 8MB, 64 MiB.
type Quantity float64

// UnmarshalYAML reads a number or a size with a unit.
func (q *Quantity) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseQuantity(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*q = Quantity(v)
	return nil
}

var units = []struct {
	suffix string
	factor float64
}{
	{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"TIB", 1 << 40},
	{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"TB", 1 << 40}, {"B", 1},
}

// ParseQuantity parses a number with an optional byte unit. Units are
// binary, as PostgreSQL reads them (work_mem = 4MB is 4,194,304 bytes) and
// as reports print them: kB and KiB are 1024 bytes, MB and MiB 1024², and so
// on up to TB/TiB.
func ParseQuantity(s string) (float64, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	factor := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, factor = strings.TrimSuffix(t, u.suffix), u.factor
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a quantity: write a number, optionally with a unit (8MB, 64MiB)", s)
	}
	return v * factor, nil
}

// Defaults returns the configuration used where neither file nor flags say
// otherwise.
func Defaults() Config {
	return Config{
		Queries:  []string{"queries"},
		Scale:    1,
		Baseline: "plangate.baseline.json",
		Format:   "text",
		Backend:  "auto",
		Replay:   Replay{StatementTimeout: Duration(60 * time.Second), TempFileLimit: "1GB", Repeat: 1, GenericPlans: true},
	}
}

// Load reads the configuration file at path. A missing file is not an error
// when required is false (the default plangate.yaml need not exist); the
// defaults are returned then, with Dir set to the working directory.
func Load(path string, required bool, opts ...LoadOption) (Config, error) {
	cfg := Defaults()
	for _, o := range opts {
		o(&cfg)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && !required {
			cfg.Dir, _ = os.Getwd()
			return cfg, nil
		}
		if errors.Is(err, os.ErrNotExist) {
			return cfg, fmt.Errorf("config: %s: no such file: check --config", path)
		}
		return cfg, fmt.Errorf("config: %w", err)
	}
	if err := Decode(bytes.NewReader(data), &cfg); err != nil {
		return cfg, fmt.Errorf("config: %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	cfg.Path, cfg.Dir = path, filepath.Dir(abs)
	cfg.resolve()
	return cfg, cfg.Validate()
}

// LoadOption sets a default that the file, then the flags, override.
type LoadOption func(*Config)

// WithDefaultDSN makes url the server of the dsn backend unless the file or
// a flag names one (the command line passes $DATABASE_URL).
func WithDefaultDSN(url string) LoadOption {
	return func(c *Config) { c.DSN = url }
}

// Decode strictly decodes YAML onto cfg: an unknown key is an error.
func Decode(r io.Reader, cfg *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return cleanYAMLError(err)
	}
	if cfg.Version > Version {
		return fmt.Errorf("version %d is newer than this plangate understands (%d): upgrade plangate", cfg.Version, Version)
	}
	return nil
}

// cleanYAMLError turns yaml.v3's multi-line TypeError into one line and
// names the fix for the commonest mistake.
func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msg := strings.TrimPrefix(te.Errors[0], "yaml: ")
	if strings.Contains(msg, "not found in type") {
		field := msg[strings.Index(msg, "field ")+len("field ") : strings.Index(msg, " not found")]
		return fmt.Errorf("%s: unknown key %q: see the README for the keys plangate.yaml takes",
			msg[:strings.Index(msg, ":")], field)
	}
	return errors.New(msg)
}

// resolve makes the file's relative paths relative to its directory.
func (c *Config) resolve() {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(c.Dir, p)
	}
	for _, list := range [][]string{c.Schema, c.Seed, c.Queries} {
		for i := range list {
			list[i] = abs(list[i])
		}
	}
	c.Baseline, c.Output, c.Postgres.BinDir = abs(c.Baseline), abs(c.Output), abs(c.Postgres.BinDir)
	c.Data, c.Stats, c.Cache.Dir = abs(c.Data), abs(c.Stats), abs(c.Cache.Dir)
	c.Migrations.Path = abs(c.Migrations.Path)
}

// Validate checks values that have a closed set of choices.
func (c *Config) Validate() error {
	switch c.Backend {
	case "auto", "docker", "local", "dsn":
	default:
		return fmt.Errorf("config: backend %q: choose auto, docker, local or dsn", c.Backend)
	}
	if c.Backend == "dsn" && c.DSN == "" {
		return errors.New("config: backend dsn needs a server: give --dsn URL, dsn in plangate.yaml or DATABASE_URL")
	}
	for i, a := range c.Accept {
		if a.Query == "" || a.Metric == "" || a.Reason == "" {
			return fmt.Errorf("config: accept[%d]: query, metric and reason are all required (metric may be \"*\")", i)
		}
	}
	for kind, list := range map[string][]Pairing{"pin": c.Match.Pin, "forbid": c.Match.Forbid} {
		for i, p := range list {
			if p.Baseline == "" || p.Current == "" {
				return fmt.Errorf("config: match.%s[%d]: give both baseline and current, the two queries' names", kind, i)
			}
		}
	}
	if c.Migrations.Path != "" && c.Migrations.Command != "" {
		return errors.New("config: migrations: give path or command, not both")
	}
	for kind, sev := range c.Migrations.Findings {
		switch sev {
		case "fail", "warn", "info", "off":
		default:
			return fmt.Errorf("config: migrations.findings.%s = %q: choose fail, warn, info or off", kind, sev)
		}
	}
	if c.Scale <= 0 {
		return fmt.Errorf("config: scale = %v: give a positive factor, e.g. 0.05 on a laptop, 1 in the nightly job", c.Scale)
	}
	if c.Replay.Repeat < 1 || c.Replay.Repeat > 1000 {
		return fmt.Errorf("config: replay.repeat = %d: give a count from 1 to 1000", c.Replay.Repeat)
	}
	// EXPLAIN's WAL option, which every replay uses, is new in 13.
	if v := c.Postgres.Version; v != 0 && (v < 13 || v > 99) {
		return fmt.Errorf("config: postgres.version = %d: give a PostgreSQL major version from 13 on (13, 15, 17, 18, ...)", v)
	}
	if c.Replay.ParallelWorkers < 0 {
		return errors.New("config: replay.parallel_workers must be 0 or more")
	}
	return nil
}
