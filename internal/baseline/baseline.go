// Package baseline reads and writes the committed baseline file: the
// metrics, plan shape and per-node records of every query as last recorded,
// in a versioned format written byte for byte the same for the same
// results, so that its diffs are made for code review.
//
// Format version 1 has grown by optional keys only (a query's "nodes"), so
// older version 1 files are still read as they are.
package baseline

import (
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
	// Queries are the recorded queries, sorted by name when written. The
	// file stores the gate's model of a query as it is: timings, the
	// node records' times and the run-only Explicit are left out.
	Queries []gate.Query `json:"queries"`
}
