package gate_test

import (
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
	for _, m := range []string{gate.MetricRows, gate.MetricTempWrittenBytes, gate.MetricTempReadBytes, gate.MetricWALBytes, gate.MetricQueryCount} {
		if r, _ := got.For("report", m); !r.Gate {
			t.Errorf("%s: not gated across majors", m)
		}
	}
	if r, _ := rules.For("any", gate.MetricTotalCost); !r.Gate {
		t.Error("AcrossMajors changed the rules it was given")
	}
	if got.Findings.BulkWrite.Severity != gate.SeverityFail || got.Findings.SeqScan.Severity != gate.SeverityWarn {
		t.Errorf("bulk_write, seq_scan = %s, %s, want fail, warn", got.Findings.BulkWrite.Severity, got.Findings.SeqScan.Severity)
	}
}
