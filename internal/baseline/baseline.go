// Package baseline reads and writes the committed baseline file: the
// metrics, plan shape and per-node records of every query as last recorded,
// in a versioned format written byte for byte the same for the same
// results, so that its diffs are made for code review.
//
// Format version 1 has grown by optional keys only (a query's "nodes"), so
// older version 1 files are still read as they are.
package baseline

import (
	"maps"
	"slices"

	"github.com/plangate/plangate/internal/gate"
)

// FormatVersion is the version of the baseline format this plangate reads
// and writes.
const FormatVersion = 1

// File is the content of a baseline file.
type File struct {
	// FormatVersion is the file format's version; Write always writes
	// FormatVersion.
	FormatVersion int `json:"format_version"`
	// Postgres is the server version the baseline was recorded on, e.g. "15.8".
	Postgres string `json:"postgres,omitempty"`
	// Settings are the planner settings in effect while recording, as
	// EXPLAIN (SETTINGS) reports them.
	Settings map[string]string `json:"settings,omitempty"`
	// Queries are the recorded queries, sorted by name when written.
	Queries []Query `json:"queries"`
}

// Query is one recorded query.
type Query struct {
	// Name identifies the query across edits of its text.
	Name string `json:"name"`
	// Fingerprint identifies the query's normalized text.
	Fingerprint string `json:"fingerprint,omitempty"`
	// SQL is the normalized statement text, for reviewers.
	SQL string `json:"sql,omitempty"`
	// Kind is the statement kind (select, insert, update, delete, merge,
	// utility).
	Kind string `json:"kind,omitempty"`
	// Structure is the statement's structural key, Relation the relation
	// it is about and Role its role: what pairs it with its edited self
	// when its name changes.
	Structure string `json:"structure,omitempty"`
	Relation  string `json:"relation,omitempty"`
	Role      string `json:"role,omitempty"`
	// Generic marks the generic-plan variant of a parameterized statement.
	Generic bool `json:"generic,omitempty"`
	// Calls is how many times the statement ran in the captured workload
	// and Groups how many times per group; the workload's totals are
	// summed from them.
	Calls  int            `json:"calls,omitempty"`
	Groups map[string]int `json:"groups,omitempty"`
	// Metrics maps metric names to values; timings are never stored.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Plan is the normalized plan shape, one line per node.
	Plan []string `json:"plan,omitempty"`
	// Spills describes the plan nodes that spilled to disk.
	Spills []string `json:"spills,omitempty"`
	// Nodes holds one record per plan node, Nodes[i] describing the node of
	// Plan[i] (see Node). Optional: baselines recorded before node records
	// were kept have none.
	Nodes []Node `json:"nodes,omitempty"`
	// Error is set when the query could not be measured while recording.
	Error string `json:"error,omitempty"`
}

// GateQueries returns the file's queries as the gate compares them.
func (f *File) GateQueries() []gate.Query {
	out := make([]gate.Query, 0, len(f.Queries))
	for _, q := range f.Queries {
		out = append(out, gate.Query{
			Name:    q.Name,
			Kind:    q.Kind,
			Metrics: maps.Clone(q.Metrics),
			Plan:    slices.Clone(q.Plan),
			Spills:  slices.Clone(q.Spills),
			Nodes:   gateNodes(q.Nodes, q.Plan),
			Error:   q.Error,

			Fingerprint: q.Fingerprint,
			SQL:         q.SQL,
			Structure:   q.Structure,
			Relation:    q.Relation,
			Role:        q.Role,
			Generic:     q.Generic,
			Calls:       q.Calls,
			Groups:      maps.Clone(q.Groups),
		})
	}
	return out
}
