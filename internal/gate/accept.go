package gate

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Acceptance turns a known, intended regression of one metric of one query
// into a warning, for a reason and optionally until a date.
type Acceptance struct {
	// Query is the query's name.
	Query string
	// Metric is the metric accepted, or "*" for all of the query's metrics.
	Metric string
	// Reason says why the regression is accepted; it is shown in reports.
	Reason string
	// Expires is the last day the acceptance holds; zero means never.
	Expires time.Time
}

// ExpiredError lists acceptances past their date. They fail the run
// whether or not the query still regresses, so that none is forgotten.
type ExpiredError struct {
	Expired []Acceptance
}

func (e *ExpiredError) Error() string {
	parts := make([]string, len(e.Expired))
	for i, a := range e.Expired {
		parts[i] = fmt.Sprintf("%s %s expired on %s (%s)", a.Query, a.Metric, a.Expires.Format(time.DateOnly), a.Reason)
	}
	return "accept: " + strings.Join(parts, "; ") + ": remove the acceptance, or move its date if the regression is still intended"
}

// Accept applies acceptances to a report: a failing finding on an accepted
// metric becomes a warning that names the reason, and a query left without
// failing findings passes. Acceptances that expired before today are
// returned as an *ExpiredError.
func Accept(r Report, accepted []Acceptance, today time.Time) (Report, error) {
	var expired []Acceptance
	day := today.Truncate(24 * time.Hour)
	for _, a := range accepted {
		if !a.Expires.IsZero() && a.Expires.Before(day) {
			expired = append(expired, a)
		}
	}
	if len(expired) > 0 {
		sort.Slice(expired, func(i, j int) bool { return expired[i].Query < expired[j].Query })
		return r, &ExpiredError{Expired: expired}
	}
	out := Report{Verdict: VerdictPass, Queries: make([]Result, len(r.Queries)), Totals: make([]TotalResult, len(r.Totals))}
	for i, res := range r.Queries {
		res.Findings = accepting(res.Findings, accepted, res.Name)
		if res.Status == StatusRegressed && !hasSeverity(res.Findings, SeverityFail) {
			res.Status = StatusPass
		}
		if res.Status == StatusRegressed || res.Status == StatusError {
			out.Verdict = VerdictFail
		}
		out.Queries[i] = res
	}
	for i, t := range r.Totals {
		t.Findings = accepting(t.Findings, accepted, t.Name())
		if t.Status == StatusRegressed && !hasSeverity(t.Findings, SeverityFail) {
			t.Status = StatusPass
		}
		if t.Status == StatusRegressed {
			out.Verdict = VerdictFail
		}
		out.Totals[i] = t
	}
	return out, nil
}

// accepting returns a copy of the findings about query (a query's name, or
// "workload" or "group NAME" for totals) with the failing ones that an
// acceptance covers turned into warnings that say why.
func accepting(findings []Finding, accepted []Acceptance, query string) []Finding {
	out := append([]Finding(nil), findings...)
	for j, f := range out {
		if f.Severity != SeverityFail {
			continue
		}
		if a, ok := acceptanceFor(accepted, query, f.Metric); ok {
			f.Severity = SeverityWarn
			f.Message += " (accepted: " + a.Reason
			if !a.Expires.IsZero() {
				f.Message += ", until " + a.Expires.Format(time.DateOnly)
			}
			f.Message += ")"
			out[j] = f
		}
	}
	return out
}

func acceptanceFor(accepted []Acceptance, query, metric string) (Acceptance, bool) {
	for _, a := range accepted {
		if a.Query == query && (a.Metric == metric || a.Metric == "*") {
			return a, true
		}
	}
	return Acceptance{}, false
}
