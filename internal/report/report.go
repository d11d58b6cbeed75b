// Package report renders the gate's decisions for people and machines: a
// table for terminals, a pull-request comment, JSON for scripts.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// Meta describes the run a report comes from.
type Meta struct {
	// Postgres is the server version the queries ran on, e.g. "15.8".
	Postgres string
	// Backend is how the server was provided: docker, local or dsn.
	Backend string
	// Baseline is the path of the baseline file compared against.
	Baseline string
	// Version is plangate's own version.
	Version string
	// Shard is the record a shard of a run (check --shard K/N) hands to
	// plangate merge, carried as it is by the JSON format only; nil for a
	// whole run.
	Shard json.RawMessage
}

// Option configures Write.
type Option func(*options)

type options struct {
	color   bool
	sources map[string]string // query name -> "path" or "path:line"; see WithSources
}

// WithColor turns ANSI colours on or off in the text format (other formats
// ignore it). The caller decides, typically from whether the output is a
// terminal; the default is off.
func WithColor(on bool) Option { return func(o *options) { o.color = on } }

// writer renders one format.
type writer func(w io.Writer, r gate.Report, meta Meta, o options) error

// writers maps each format name to its renderer, one file per format.
var writers = map[string]writer{
	"text":     writeText,
	"markdown": writeMarkdown,
	"json":     writeJSON,
	"junit":    writeJUnit,
	"sarif":    writeSARIF,
	"html":     writeHTML,
	"github":   writeGitHub,
}

// Formats returns the names of the formats Write knows, sorted.
func Formats() []string {
	names := make([]string, 0, len(writers))
	for n := range writers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Write renders r in format (one of Formats) to w.
func Write(w io.Writer, format string, r gate.Report, meta Meta, opts ...Option) error {
	render, ok := writers[format]
	if !ok {
		return fmt.Errorf("report: unknown format %q (known: %s)", format, strings.Join(Formats(), ", "))
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if err := render(w, r, meta, o); err != nil {
		return fmt.Errorf("report: %s: %w", format, err)
	}
	return nil
}

// metricsOf returns a side's metrics, or nil when the side is missing.
func metricsOf(q *gate.Query) map[string]float64 {
	if q == nil {
		return nil
	}
	return q.Metrics
}

// metricUnion returns the metrics either side has, in report order.
func metricUnion(res gate.Result) []string {
	var names []string
	for _, m := range []map[string]float64{metricsOf(res.Baseline), metricsOf(res.Current)} {
		for n := range m {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	gate.SortMetrics(names)
	return names
}

// findingFor returns the most severe finding about metric, if any; findings
// come sorted by severity.
func findingFor(res gate.Result, metric string) (gate.Finding, bool) {
	for _, f := range res.Findings {
		if f.Metric == metric {
			return f, true
		}
	}
	return gate.Finding{}, false
}

// countsLine lists the non-zero counts in status order, e.g.
// "1 regressed, 2 errors, 3 passed".
func countsLine(r gate.Report) string {
	counts := r.Counts()
	var parts []string
	for _, s := range gate.Statuses() {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, statusWord(s, n)))
		}
	}
	if n := len(regressedTotals(r)); n > 0 {
		parts = append(parts, fmt.Sprintf("%d workload %s regressed", n, plural(n, "total", "totals")))
	}
	if m := migrationsLine(r); m != "" {
		parts = append(parts, m)
	}
	if len(parts) == 0 {
		return "no queries"
	}
	return strings.Join(parts, ", ")
}

func statusWord(s gate.Status, n int) string {
	switch s {
	case gate.StatusPass:
		return "passed"
	case gate.StatusError:
		if n == 1 {
			return "error"
		}
		return "errors"
	}
	return string(s)
}

// metaParts lists what is known of the run, in a fixed order.
func metaParts(meta Meta, code func(string) string) []string {
	var parts []string
	if meta.Postgres != "" {
		parts = append(parts, "PostgreSQL "+meta.Postgres)
	}
	if meta.Backend != "" {
		parts = append(parts, "backend "+code(meta.Backend))
	}
	if meta.Baseline != "" {
		parts = append(parts, "baseline "+code(meta.Baseline))
	}
	if meta.Version != "" {
		parts = append(parts, "plangate "+meta.Version)
	}
	return parts
}

// rerecordHint tells how to accept intended changes.
const rerecordHint = "If these changes are intended, re-record the baseline with `plangate baseline` and commit it."

// MatchNote says how a query was tied to its baseline when their names
// differ: "matched by structure to articles list by id, 64% similar"; empty
// when they share the name.
func MatchNote(res gate.Result) string {
	m := res.Match
	if m == nil {
		return ""
	}
	switch m.By {
	case gate.MatchPinned:
		return fmt.Sprintf("pinned to %s by plangate.yaml, %.0f%% similar", m.Baseline, m.Similarity*100)
	case gate.MatchFingerprint:
		return "matched by fingerprint to " + m.Baseline
	}
	return fmt.Sprintf("matched by %s to %s, %.0f%% similar", m.By, m.Baseline, m.Similarity*100)
}

// regressedTotals returns the totals that regressed.
func regressedTotals(r gate.Report) []gate.TotalResult {
	var out []gate.TotalResult
	for _, t := range r.Totals {
		if t.Status == gate.StatusRegressed {
			out = append(out, t)
		}
	}
	return out
}
