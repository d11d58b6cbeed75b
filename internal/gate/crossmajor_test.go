package gate_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/gate"
)

func TestAcrossMajors(t *testing.T) {
	across := func(r *gate.Rules) { *r = gate.AcrossMajors(*r) }
	runFindingCases(t, []findingCase{
		{
			// Another major may plan the statement another way: the lost
			// index is pointed at, and the cost and buffers are reported,
			// without failing.
			name: "a plan change only warns",
			base: "index_scan", current: "index_scan_lost",
			rules: across,
			want:  []string{"warn misestimate node 1", "warn seq_scan node 1"},
		},
		{
			name: "rows touched still fail",
			base: "update", current: "update_all", kind: "update",
			rules:    across,
			want:     []string{"fail bulk_write", "fail bulk_write"},
			regresed: true,
		},
		{
			name: "a new spill still fails on its bytes",
			base: "hashagg_memory", current: "hashagg_spill",
			rules:    across,
			want:     []string{"warn spill node 1"},
			regresed: true,
		},
	})
}

func TestAcrossMajors_Rules(t *testing.T) {
	rules := gate.DefaultRules()
	rules.Queries = map[string]map[string]gate.Rule{
		"report": {
			gate.MetricTotalCost: {Absolute: 50000},
			gate.MetricRows:      {Absolute: 1e6},
		},
	}
	got := gate.AcrossMajors(rules)
	for _, m := range gate.VersionDependentMetrics() {
		if r, _ := got.For("any", m); r.Gate {
			t.Errorf("%s: gated across majors", m)
		}
		if r, ok := got.Totals[m]; ok && r.Gate {
			t.Errorf("totals %s: gated across majors", m)
		}
	}
	if r, _ := got.For("report", gate.MetricTotalCost); r.Gate || r.Absolute != 50000 || r.Relative != 0.5 {
		t.Errorf("report total_cost = %+v, want the override's absolute 50000 on the default's relative 0.5, not gated", r)
	}
	for _, m := range []string{gate.MetricRows, gate.MetricTempWrittenBytes, gate.MetricTempReadBytes, gate.MetricQueryCount} {
		if r, _ := got.For("report", m); !r.Gate {
			t.Errorf("%s: not gated across majors", m)
		}
	}
	for _, m := range gate.PlanDependentMetrics() {
		if !got.SameShapeOnly[m] {
			t.Errorf("%s: gated across majors whatever the plan", m)
		}
		if r := got.Totals[m]; r.Gate {
			t.Errorf("totals %s: gated across majors", m)
		}
	}
	if r, _ := rules.For("any", gate.MetricTotalCost); !r.Gate {
		t.Error("AcrossMajors changed the rules it was given")
	}
	if got.Findings.BulkWrite.Severity != gate.SeverityFail || got.Findings.SeqScan.Severity != gate.SeverityWarn {
		t.Errorf("bulk_write, seq_scan = %s, %s, want fail, warn", got.Findings.BulkWrite.Severity, got.Findings.SeqScan.Severity)
	}
}

// versionsDir holds the same statements' plans captured on every supported
// major (fixtures/explain/capture-versions.sh), relative to fixtureDir.
const versionsDir = "../../internal/plan/testdata/versions"

// TestAcrossMajors_Versions compares every statement captured on one major
// with the same statement on every other, as plangate check does with a
// baseline recorded on another major: an unchanged statement never
// regresses under AcrossMajors, while the default rules alone fail some of
// them on the version's doing (13 sorts where 15 hashes and spills; 18
// costs a disabled scan without the 10^10 penalty).
func TestAcrossMajors_Versions(t *testing.T) {
	majors := []string{"13", "15", "17", "18"}
	paths, err := filepath.Glob(filepath.Join(fixtureDir, versionsDir, "13", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures of 13: %v", err)
	}
	failsByDefault := 0
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		kind := "select"
		if name == "update" {
			kind = "update"
		}
		for _, a := range majors {
			for _, b := range majors {
				if a == b {
					continue
				}
				base := filepath.Join(versionsDir, a, name)
				cur := filepath.Join(versionsDir, b, name)
				if res := comparePlans(t, base, cur, kind, gate.DefaultRules()); res.Status == gate.StatusRegressed {
					failsByDefault++
				}
				res := comparePlans(t, base, cur, kind, gate.AcrossMajors(gate.DefaultRules()))
				if res.Status == gate.StatusRegressed {
					t.Errorf("%s from %s to %s: regressed across majors:%s", name, a, b, messages(res))
				}
			}
		}
	}
	if failsByDefault == 0 {
		t.Error("no statement regressed between majors under the default rules: the fixtures no longer show why AcrossMajors is needed")
	}
	t.Logf("%d of %d comparisons between majors regress under the default rules", failsByDefault, len(paths)*len(majors)*(len(majors)-1))
}
