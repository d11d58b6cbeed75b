package run

import (
	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
	"github.com/plangate/plangate/internal/queryid"
)

// Record is what a run leaves in a baseline file or a report: the
// measurements with every constant in the plans replaced by "?", since plans
// made with parameter values show those values (keep_params keeps them).
// The SQL is stored normalized, and parameter values themselves never.
func Record(r *Result, cfg config.Config) *baseline.File {
	f := toBaseline(r)
	if cfg.KeepParams {
		return f
	}
	for i := range f.Queries {
		f.Queries[i].Plan = redactLines(f.Queries[i].Plan)
	}
	return f
}

// PlanLines is p's shape as explain prints it: constants replaced by "?",
// as in a baseline, unless keep_params.
func PlanLines(p *plan.Plan, keepParams bool) []string {
	if keepParams {
		return p.Shape()
	}
	return redactLines(p.Shape())
}

func redactLines(lines []string) []string {
	out := make([]string, len(lines))
	for i, line := range lines {
		out[i] = queryid.RedactConstants(line)
	}
	return out
}

// toBaseline is the run as the gate's model of its queries.
func toBaseline(r *Result) *baseline.File {
	f := &baseline.File{FormatVersion: baseline.FormatVersion, Postgres: r.Postgres, Settings: r.Settings}
	for _, m := range r.Measurements {
		q := gate.Measured(identity(m.Query), m.Plan, r.BlockSize)
		// Repeated runs (--repeat) keep each metric's median.
		q.Metrics = m.Metrics
		if m.Err != nil {
			q.Error = string(m.Err.Kind) + ": " + m.Err.Message
		}
		f.Queries = append(f.Queries, q)
	}
	return f
}

// identity is q as the gate knows it before it is measured: its name,
// what pg_query tells of it, and how often it ran.
func identity(q Query) gate.Query {
	g := gate.Query{
		Name:        q.Name,
		Fingerprint: q.ID.Fingerprint,
		SQL:         q.ID.Normalized,
		Kind:        string(q.ID.Kind),
		Structure:   q.ID.Structure.Key(),
		Relation:    q.ID.Structure.Relation,
		Role:        string(q.ID.Structure.Role),
		Generic:     q.Generic,
		Explicit:    q.Explicit,
		Calls:       q.Calls,
	}
	if len(q.Groups) > 0 {
		g.Groups = q.Groups
	}
	return g
}
