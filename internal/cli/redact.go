package cli

import (
	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/plan"
	"github.com/plangate/plangate/internal/queryid"
)

// recorded is what a run leaves in a baseline file or a report: the
// measurements with every constant in the plans replaced by "?", since plans
// made with parameter values show those values (keep_params keeps them).
// The SQL is stored normalized, and parameter values themselves never.
func recorded(r *run, cfg config.Config) *baseline.File {
	f := toBaseline(r)
	if cfg.KeepParams {
		return f
	}
	for i := range f.Queries {
		f.Queries[i].Plan = redactLines(f.Queries[i].Plan)
	}
	return f
}

// planLines is p's shape as explain prints it: constants replaced by "?",
// as in a baseline, unless keep_params.
func planLines(p *plan.Plan, keepParams bool) []string {
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
