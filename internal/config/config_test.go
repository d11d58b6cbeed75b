package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "plangate.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad_ResolvesPathsAndDefaults(t *testing.T) {
	p := writeConfig(t, `
version: 1
schema: [schema.sql, /abs/more.sql]
defer_indexes: true
queries: [queries]
replay:
  statement_timeout: 5s
thresholds:
  temp_written_bytes: {relative: 0.1, absolute: 8MiB}
totals:
  query_count: {relative: 0.2}
match:
  pin: [{baseline: old, current: new}]
  forbid: [{baseline: a, current: b}]
postgres:
  settings: {work_mem: 4MB}
`)
	cfg, err := Load(p, true)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(p)
	if cfg.Schema[0] != filepath.Join(dir, "schema.sql") || cfg.Schema[1] != "/abs/more.sql" {
		t.Errorf("schema = %v", cfg.Schema)
	}
	if cfg.Baseline != filepath.Join(dir, "plangate.baseline.json") {
		t.Errorf("baseline = %q", cfg.Baseline)
	}
	if time.Duration(cfg.Replay.StatementTimeout) != 5*time.Second || cfg.Replay.TempFileLimit != "1GB" {
		t.Errorf("replay = %+v", cfg.Replay)
	}
	th := cfg.Thresholds["temp_written_bytes"]
	if *th.Relative != 0.1 || float64(*th.Absolute) != 8*1024*1024 || th.Budget != nil {
		t.Errorf("threshold = %+v", th)
	}
	if *cfg.Totals["query_count"].Relative != 0.2 || len(cfg.Match.Pin) != 1 || cfg.Match.Pin[0] != (Pairing{Baseline: "old", Current: "new"}) ||
		len(cfg.Match.Forbid) != 1 {
		t.Errorf("totals = %+v, match = %+v", cfg.Totals, cfg.Match)
	}
	if cfg.Postgres.Settings["work_mem"] != "4MB" || cfg.Backend != "auto" || !cfg.DeferIndexes {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestLoad_Errors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"unknown key", "version: 1\nquerys: [x]\n", `line 2: unknown key "querys"`},
		{"nested unknown key", "postgres:\n  imag: x\n", `unknown key "imag"`},
		{"bad duration", "replay:\n  statement_timeout: soon\n", `"soon" is not a duration`},
		{"bad quantity", "thresholds:\n  wal_bytes: {absolute: lots}\n", `"lots" is not a quantity`},
		{"newer version", "version: 9\n", "upgrade plangate"},
		{"bad backend", "backend: cloud\n", `backend "cloud"`},
		{"dsn without url", "backend: dsn\n", "needs a server"},
		{"not yaml", "schema: [unclosed\n", "yaml"},
		{"accept without reason", "accept:\n  - {query: q, metric: rows}\n", "accept[0]: query, metric and reason"},
		{"accept bad date", "accept:\n  - {query: q, metric: rows, reason: r, expires: soon}\n", `"soon" is not a date`},
		{"pin without current", "match:\n  pin: [{baseline: a}]\n", "match.pin[0]: give both baseline and current"},
		{"unknown match key", "match:\n  pair: []\n", `unknown key "pair"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, tt.body)
			_, err := Load(p, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("want error containing %q, got %v", tt.want, err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
}

func TestLoad_MissingFile(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "plangate.yaml"), false); err != nil {
		t.Errorf("optional missing file: %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), true); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("required missing file: %v", err)
	}
}

func TestParseQuantity(t *testing.T) {
	for in, want := range map[string]float64{"1000": 1000, "8MB": 8 << 20, "64 MiB": 64 << 20, "1.5kB": 1536, "2GiB": 2 << 30, "2GB": 2 << 30, "1tb": 1 << 40} {
		if got, err := ParseQuantity(in); err != nil || got != want {
			t.Errorf("ParseQuantity(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("version: 1\nschema: [a.sql]\nthresholds:\n  rows: {relative: 1, absolute: 10kB}\n")
	f.Add("postgres:\n  settings: {work_mem: 4MB}\nreplay: {statement_timeout: 1s}\n")
	f.Fuzz(func(t *testing.T, s string) {
		var cfg Config
		_ = Decode(strings.NewReader(s), &cfg)
	})
}
