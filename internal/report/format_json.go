package report

import (
	"encoding/json"
	"io"
	"maps"

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
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
