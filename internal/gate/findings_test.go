package gate_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/baseline"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// fixtureDir holds real PostgreSQL 15 EXPLAIN output, captured by
// fixtures/explain/capture.sh.
const fixtureDir = "../../fixtures/explain"

// fixtureQuery measures a fixture the way plangate does, as query name of
// the given kind: plan, metrics, shape, spills and node records.
func fixtureQuery(t *testing.T, fixture, name, kind string) gate.Query {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir, fixture+".json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", fixture, err)
	}
	return gate.Measured(gate.Query{Name: name, Kind: kind}, p, 0)
}

// comparePlans compares fixture current with fixture base (none when empty)
// as one query. The baseline side goes through a baseline file and back, as
// in plangate check.
func comparePlans(t *testing.T, base, current, kind string, rules gate.Rules) gate.Result {
	t.Helper()
	var baseQueries []gate.Query
	if base != "" {
		data, err := baseline.Marshal(&baseline.File{Queries: []gate.Query{fixtureQuery(t, base, "q", kind)}})
		if err != nil {
			t.Fatal(err)
		}
		f, err := baseline.Parse("plangate.baseline.json", data)
		if err != nil {
			t.Fatal(err)
		}
		baseQueries = f.Queries
	}
	cur := []gate.Query{fixtureQuery(t, current, "q", kind)}
	rep := gate.Compare(baseQueries, cur, rules)
	if len(rep.Queries) != 1 {
		t.Fatalf("Compare returned %d results", len(rep.Queries))
	}
	return rep.Queries[0]
}

// named lists a result's named findings as "severity kind" or, for a node,
// "severity kind node N".
func named(res gate.Result) []string {
	var out []string
	for _, f := range res.Findings {
		if f.Kind == "" {
			continue
		}
		s := f.Severity + " " + f.Kind
		if f.Node > 0 {
			s += fmt.Sprintf(" node %d", f.Node)
		}
		out = append(out, s)
	}
	return out
}

type findingCase struct {
	name     string
	base     string // baseline fixture; empty for a new query
	current  string
	kind     string // statement kind; select when empty
	rules    func(*gate.Rules)
	want     []string // named findings, as named() lists them
	message  string   // a substring of the first named finding's message
	regresed bool
}

func runFindingCases(t *testing.T, tests []findingCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := gate.DefaultRules()
			if tt.rules != nil {
				tt.rules(&rules)
			}
			kind := tt.kind
			if kind == "" {
				kind = "select"
			}
			res := comparePlans(t, tt.base, tt.current, kind, rules)
			if diff := cmp.Diff(tt.want, named(res)); diff != "" {
				t.Errorf("named findings (-want +got):\n%s\nall findings: %s", diff, messages(res))
			}
			if tt.message != "" {
				var first string
				for _, f := range res.Findings {
					if f.Kind != "" {
						first = f.Message
						break
					}
				}
				if !strings.Contains(first, tt.message) {
					t.Errorf("message %q does not contain %q", first, tt.message)
				}
			}
			if got := res.Status == gate.StatusRegressed; got != tt.regresed {
				t.Errorf("status %s, regressed = %v, want %v: %s", res.Status, got, tt.regresed, messages(res))
			}
		})
	}
}

func messages(res gate.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "\n  %s %s: %s", f.Severity, f.Metric, f.Message)
	}
	return b.String()
}

// onlyNamed turns every metric rule off, so a case shows what the named
// findings decide on their own.
func onlyNamed(r *gate.Rules) { r.Metrics = nil }

// TestFindings_Unchanged checks, on every fixture, that a plan compared
// with itself raises no finding at all.
func TestFindings_Unchanged(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(fixtureDir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			res := comparePlans(t, name, name, "update", gate.DefaultRules())
			for _, f := range res.Findings {
				if f.Severity != gate.SeverityInfo && !gate.IsTiming(f.Metric) {
					t.Errorf("finding on an unchanged plan: %s %s: %s", f.Severity, f.Metric, f.Message)
				}
			}
		})
	}
}

// TestFindingRules_Configure checks that every finding's options are
// reachable by their plangate.yaml keys, and the errors a user sees.
func TestFindingRules_Configure(t *testing.T) {
	r := gate.DefaultFindingRules()
	if err := r.Configure(gate.FindingMisestimate, gate.SeverityFail, map[string]float64{"factor": 10, "min_rows": 5}); err != nil {
		t.Fatal(err)
	}
	if r.Misestimate != (gate.MisestimateRule{Severity: gate.SeverityFail, Factor: 10, MinRows: 5}) {
		t.Errorf("misestimate = %+v", r.Misestimate)
	}
	if err := r.Configure(gate.FindingBulkWrite, "", map[string]float64{"rows": 0}); err != nil || r.BulkWrite.Rows != 0 || r.BulkWrite.Severity != gate.SeverityFail {
		t.Errorf("bulk_write = %+v (err %v): an empty severity keeps the default", r.BulkWrite, err)
	}
	errs := map[string]struct {
		kind, severity string
		options        map[string]float64
	}{
		`seq_scan takes no factor (it takes severity, min_rows)`:                        {gate.FindingSeqScan, "", map[string]float64{"factor": 1}},
		`partition_pruning takes no min_rows (it takes severity)`:                       {gate.FindingPartitionPruning, "", map[string]float64{"min_rows": 1}},
		`unknown kind "seqscan": use one of ` + strings.Join(gate.FindingKinds(), ", "): {"seqscan", "", nil},
		`spill: severity "fatal": use fail, warn, info or off`:                          {gate.FindingSpill, "fatal", nil},
		`n_plus_one is tuned by thresholds.query_count`:                                 {gate.FindingNPlusOne, "warn", nil},
	}
	for want, c := range errs {
		if err := r.Configure(c.kind, c.severity, c.options); err == nil || err.Error() != want {
			t.Errorf("Configure(%s) = %v, want %q", c.kind, err, want)
		}
	}
	for _, kind := range gate.FindingKinds() {
		if kind == gate.FindingNPlusOne {
			continue
		}
		if err := r.Configure(kind, gate.SeverityOff, nil); err != nil {
			t.Errorf("finding %s cannot be configured: %v", kind, err)
		}
	}
}
