package cli

import (
	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/config"
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
		plan := make([]string, len(f.Queries[i].Plan))
		for j, line := range f.Queries[i].Plan {
			plan[j] = queryid.RedactConstants(line)
		}
		f.Queries[i].Plan = plan
	}
	return f
}
