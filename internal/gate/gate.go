// Package gate compares the metrics of a replay with a baseline and decides,
// query by query, whether the change regressed. It is pure: no I/O.
package gate

import (
	"errors"

	"github.com/plangate/plangate/internal/plan"
)

// ErrRegressed is returned (by the CLI) when at least one query regressed. It
// is a result, not a failure: the caller prints the report and exits 1.
var ErrRegressed = errors.New("plan regression")

// Status is the outcome for one query.
type Status string

// The statuses a query can have, as written in the JSON report.
const (
	StatusPass      Status = "pass"
	StatusRegressed Status = "regressed"
	StatusImproved  Status = "improved"
	StatusNew       Status = "new"
	StatusRemoved   Status = "removed"
	StatusError     Status = "error"
)

// Statuses returns every status in the order reports list them: the ones
// that fail first.
func Statuses() []Status {
	return []Status{StatusRegressed, StatusError, StatusNew, StatusImproved, StatusRemoved, StatusPass}
}

// Verdict is the outcome of a whole run.
type Verdict string

// The verdicts of a run.
const (
	VerdictPass Verdict = "pass"
	VerdictFail Verdict = "fail"
)

// The severities of a Finding. Only SeverityFail fails the build.
const (
	SeverityFail = "fail"
	SeverityWarn = "warn"
	SeverityInfo = "info"
)

// Query is what the gate knows about one query on one side of the comparison.
type Query struct {
	// Name identifies the query across edits of its text.
	Name string `json:"name"`
	// Fingerprint is pg_query's fingerprint of the statement; empty when
	// unknown.
	Fingerprint string `json:"fingerprint,omitempty"`
	// SQL is the normalized statement text, for reviewers; empty when
	// unknown.
	SQL string `json:"sql,omitempty"`
	// Kind is the statement kind (select, insert, update, delete, merge,
	// utility), used to word findings; empty when unknown.
	Kind string `json:"kind,omitempty"`
	// Structure is the statement's structural key (queryid.Structure.Key):
	// equal for the statement before and after the edits ORMs make.
	Structure string `json:"structure,omitempty"`
	// Relation is the relation the statement is about, and Role what it
	// does with it (count, list, select; empty for writes): a query is
	// only ever paired with one about the same relation in the same role.
	Relation string `json:"relation,omitempty"`
	Role     string `json:"role,omitempty"`
	// Generic marks the generic-plan variant of a parameterized statement.
	Generic bool `json:"generic,omitempty"`
	// Explicit is set when the name was given (a file's stem, a comment,
	// a capture's name) rather than derived from the structure. It is
	// known of the current run only.
	Explicit bool `json:"-"`
	// Calls is how many times the statement ran in the captured workload,
	// Groups how many times per group (test, endpoint, job); zero Calls
	// leaves the statement out of the workload totals (a generic-plan
	// variant is not a statement the application sent).
	Calls  int            `json:"calls,omitempty"`
	Groups map[string]int `json:"groups,omitempty"`
	// Metrics maps metric names (total_cost, temp_written_bytes, ...) to
	// values. Baselines leave timings out.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Plan is the normalized plan shape, one line per node, used for diffs.
	Plan []string `json:"plan,omitempty"`
	// Spills describes the plan nodes that spilled to disk, e.g.
	// "HashAggregate spilled 184 MB in 5 batches".
	Spills []string `json:"spills,omitempty"`
	// Nodes holds one record per plan node, Nodes[i] describing the node of
	// Plan[i]; nil when unknown (a baseline recorded before node records
	// were kept), in which case named node findings are judged on the plan
	// shape alone.
	Nodes []plan.NodeStat `json:"nodes,omitempty"`
	// Error is set when the query could not be measured (error, timeout,
	// temp_file_limit); Metrics then hold what an estimate-only plan gave.
	Error string `json:"error,omitempty"`
}

// Finding is one reason a query's verdict is what it is: a metric past its
// threshold, or a named finding (see the Finding... kinds) about one plan
// node or the whole statement.
type Finding struct {
	// Metric is the metric the finding is about; for a named finding about
	// a plan node it is the finding's kind (seq_scan, spill, ...).
	Metric   string  `json:"metric"`
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	// Limit is the budget or level the current value was held against, when
	// the finding comes from one rather than from the change since the
	// baseline (a new query over its budget, a misestimate past 100x).
	Limit float64 `json:"limit,omitempty"`
	// Message says what changed, by how much, and why, in one line.
	Message string `json:"message"`
	// Severity is "fail", "warn" or "info"; only "fail" fails the build.
	Severity string `json:"severity"`
	// Kind names a named finding (seq_scan, spill, hash_batches,
	// misestimate, nested_loop, partition_pruning, filter, bulk_write,
	// n_plus_one); empty for a metric past its threshold.
	Kind string `json:"kind,omitempty"`
	// Node is the position of the plan node the finding points at, counted
	// from 1 in the order of the current plan's shape; 0 when the finding
	// is about the whole statement.
	Node int `json:"node,omitempty"`
	// NodeName names that node, e.g. "Seq Scan on accounts".
	NodeName string `json:"node_name,omitempty"`
}

// Result is the gate's decision for one query.
type Result struct {
	Name     string
	Status   Status
	Baseline *Query // nil for a new query
	Current  *Query // nil for a removed query
	Findings []Finding
	// Match says how the current query was tied to a baseline query of
	// another name; nil when both have the same name or either is missing.
	Match *Match
}

// Report is the gate's decision for a whole run, queries sorted by name.
type Report struct {
	Verdict Verdict
	Queries []Result
	// Totals judges the workload as a whole: overall first, then each
	// group by name.
	Totals []TotalResult
	// Migrations are the pull request's migration statements, in the order
	// they ran, when it has any.
	Migrations []Migration
}

// Counts returns how many queries have each status; every status is present,
// zero or not.
func (r Report) Counts() map[Status]int {
	counts := make(map[Status]int, len(Statuses()))
	for _, s := range Statuses() {
		counts[s] = 0
	}
	for _, q := range r.Queries {
		counts[q.Status]++
	}
	return counts
}

// Measured is q with what plan p measured: its metrics, plan shape, spills
// and node records. blockSize is the server's block size in bytes (zero or
// less means plan.DefaultBlockSize). A nil p leaves q as it is.
func Measured(q Query, p *plan.Plan, blockSize int) Query {
	if p == nil {
		return q
	}
	q.Metrics = p.Metrics(blockSize)
	q.Plan = p.Shape()
	q.Nodes = p.NodeStats(blockSize)
	q.Spills = nil
	for _, sp := range p.Spills(blockSize) {
		q.Spills = append(q.Spills, sp.Description)
	}
	return q
}
