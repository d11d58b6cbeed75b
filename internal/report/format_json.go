package report

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/plangate/plangate/internal/gate"
)

// jsonReport is the JSON contract scripts rely on; see DESIGN.md. Keys are
// only ever added.
type jsonReport struct {
	Verdict  gate.Verdict `json:"verdict"`
	Summary  jsonSummary  `json:"summary"`
	Postgres string       `json:"postgres,omitempty"`
	Backend  string       `json:"backend,omitempty"`
	Baseline string       `json:"baseline,omitempty"`
	Version  string       `json:"plangate_version,omitempty"`
	Queries  []jsonQuery  `json:"queries"`
	// Totals are the workload's totals: overall first, then per group.
	Totals []jsonTotal `json:"totals"`
	// Migrations are the pull request's migration statements, in the
	// order they ran; absent without migrations.
	Migrations []gate.Migration `json:"migrations,omitempty"`
	// Shard is a shard's record for plangate merge; absent from the
	// report of a whole run.
	Shard json.RawMessage `json:"shard,omitempty"`
}

type jsonTotal struct {
	// Scope is "overall" or "group"; Group names the group.
	Scope           string             `json:"scope"`
	Group           string             `json:"group,omitempty"`
	Status          gate.Status        `json:"status"`
	Metrics         map[string]float64 `json:"metrics"`
	BaselineMetrics map[string]float64 `json:"baseline_metrics,omitempty"`
	Findings        []gate.Finding     `json:"findings"`
}

type jsonSummary struct {
	Total     int `json:"total"`
	Pass      int `json:"pass"`
	Regressed int `json:"regressed"`
	Improved  int `json:"improved"`
	New       int `json:"new"`
	Removed   int `json:"removed"`
	Error     int `json:"error"`
}

type jsonQuery struct {
	Name   string      `json:"name"`
	Status gate.Status `json:"status"`
	// Metrics are the current values; empty for a removed query.
	Metrics map[string]float64 `json:"metrics"`
	// BaselineMetrics are the baseline's values; absent for a new query
	// and for a baseline that recorded none.
	BaselineMetrics map[string]float64 `json:"baseline_metrics,omitempty"`
	Findings        []gate.Finding     `json:"findings"`
	Error           string             `json:"error,omitempty"`
	// Match says how the query was paired with a baseline query of
	// another name.
	Match *gate.Match `json:"match,omitempty"`
}

func writeJSON(w io.Writer, r gate.Report, meta Meta, _ options) error {
	counts := r.Counts()
	out := jsonReport{
		Verdict: r.Verdict,
		Summary: jsonSummary{
			Total:     len(r.Queries),
			Pass:      counts[gate.StatusPass],
			Regressed: counts[gate.StatusRegressed],
			Improved:  counts[gate.StatusImproved],
			New:       counts[gate.StatusNew],
			Removed:   counts[gate.StatusRemoved],
			Error:     counts[gate.StatusError],
		},
		Postgres: meta.Postgres,
		Backend:  meta.Backend,
		Baseline: meta.Baseline,
		Version:  meta.Version,
		Queries:  make([]jsonQuery, 0, len(r.Queries)),
	}
	for _, res := range r.Queries {
		q := jsonQuery{
			Name:     res.Name,
			Status:   res.Status,
			Metrics:  map[string]float64{},
			Findings: res.Findings,
			Match:    res.Match,
		}
		if res.Current != nil {
			maps.Copy(q.Metrics, res.Current.Metrics)
			q.Error = res.Current.Error
		}
		if res.Baseline != nil {
			q.BaselineMetrics = map[string]float64{}
			maps.Copy(q.BaselineMetrics, res.Baseline.Metrics)
		}
		if q.Findings == nil {
			q.Findings = []gate.Finding{}
		}
		out.Queries = append(out.Queries, q)
	}
	out.Migrations = r.Migrations
	out.Shard = meta.Shard
	out.Totals = make([]jsonTotal, 0, len(r.Totals))
	for _, t := range r.Totals {
		jt := jsonTotal{Scope: "overall", Group: t.Group, Status: t.Status, Metrics: map[string]float64{},
			BaselineMetrics: t.Baseline, Findings: t.Findings}
		if t.Group != "" {
			jt.Scope = "group"
		}
		maps.Copy(jt.Metrics, t.Current)
		if jt.Findings == nil {
			jt.Findings = []gate.Finding{}
		}
		out.Totals = append(out.Totals, jt)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// ReadJSON reads a report written with --format json back into the gate's
// decisions and the run's description, as `plangate comment` and
// `plangate gha-report` render them again. It reads exactly what writeJSON
// writes; keys it does not know are ignored, as the JSON report only ever
// gains keys.
func ReadJSON(path string) (gate.Report, Meta, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return gate.Report{}, Meta{}, fmt.Errorf("json report: %w", err)
	}
	var in jsonReport
	if err := json.Unmarshal(data, &in); err != nil {
		return gate.Report{}, Meta{}, fmt.Errorf("json report %s: %w", path, err)
	}
	if in.Verdict == "" || in.Queries == nil {
		return gate.Report{}, Meta{}, fmt.Errorf("json report %s: no verdict or queries: is it the output of plangate check --format json?", path)
	}
	if in.Verdict != gate.VerdictPass && in.Verdict != gate.VerdictFail {
		return gate.Report{}, Meta{}, fmt.Errorf("json report %s: verdict %q: want pass or fail", path, in.Verdict)
	}
	r := gate.Report{Verdict: in.Verdict, Queries: make([]gate.Result, 0, len(in.Queries))}
	for i, q := range in.Queries {
		if q.Name == "" || !slices.Contains(gate.Statuses(), q.Status) {
			return gate.Report{}, Meta{}, fmt.Errorf("json report %s: query %d: name %q, status %q: want a name and one of %v", path, i+1, q.Name, q.Status, gate.Statuses())
		}
		res := gate.Result{Name: q.Name, Status: q.Status, Findings: q.Findings, Match: q.Match}
		if q.Status != gate.StatusRemoved {
			res.Current = &gate.Query{Name: q.Name, Metrics: q.Metrics, Error: q.Error}
		}
		if q.BaselineMetrics != nil {
			res.Baseline = &gate.Query{Name: q.Name, Metrics: q.BaselineMetrics}
		}
		r.Queries = append(r.Queries, res)
	}
	for _, t := range in.Totals {
		tr := gate.TotalResult{Group: t.Group, Status: t.Status, Baseline: t.BaselineMetrics, Findings: t.Findings}
		if t.Status != gate.StatusRemoved {
			tr.Current = t.Metrics
		}
		r.Totals = append(r.Totals, tr)
	}
	r.Migrations = in.Migrations
	return r, Meta{Postgres: in.Postgres, Backend: in.Backend, Baseline: in.Baseline, Version: in.Version, Shard: in.Shard}, nil
}
