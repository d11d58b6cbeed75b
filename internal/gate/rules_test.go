package gate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRules_For(t *testing.T) {
	rules := Rules{
		Metrics: map[string]Rule{"rows": {Relative: 1, Absolute: 10000, Budget: 50000, Gate: true}},
		Queries: map[string]map[string]Rule{
			"partial":  {"rows": {Absolute: 1e6, Set: SetAbsolute}},
			"implicit": {"rows": {Relative: 3, Gate: false}},
			"empty":    {"rows": {}},
			"nogate":   {"rows": {Gate: false, Budget: 0, Set: SetGate | SetBudget}},
			"custom":   {"custom_metric": {Absolute: 5, Gate: true}},
		},
	}
	tests := []struct {
		name, query, metric string
		want                Rule
		found               bool
	}{
		{name: "metric rule", query: "other", metric: "rows", want: Rule{Relative: 1, Absolute: 10000, Budget: 50000, Gate: true}, found: true},
		{name: "partial override keeps other fields", query: "partial", metric: "rows", want: Rule{Relative: 1, Absolute: 1e6, Budget: 50000, Gate: true}, found: true},
		{name: "override without Set sets its non-zero fields", query: "implicit", metric: "rows", want: Rule{Relative: 3, Absolute: 10000, Budget: 50000, Gate: true}, found: true},
		{name: "empty override changes nothing", query: "empty", metric: "rows", want: Rule{Relative: 1, Absolute: 10000, Budget: 50000, Gate: true}, found: true},
		{name: "override can clear a bool and a budget", query: "nogate", metric: "rows", want: Rule{Relative: 1, Absolute: 10000}, found: true},
		{name: "override of a metric without rule", query: "custom", metric: "custom_metric", want: Rule{Absolute: 5, Gate: true}, found: true},
		{name: "no rule", query: "other", metric: "custom_metric", found: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := rules.For(tt.query, tt.metric)
			if found != tt.found {
				t.Fatalf("found = %v, want %v", found, tt.found)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rule (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDefaultRules_CoverEveryMetric(t *testing.T) {
	rules := DefaultRules()
	for _, m := range MetricNames() {
		r, ok := rules.Metrics[m]
		if !ok {
			t.Errorf("no default rule for %s", m)
			continue
		}
		if IsTiming(m) && r.Gate {
			t.Errorf("%s is gated by default; timings must only inform", m)
		}
		if !IsTiming(m) && !r.Gate {
			t.Errorf("%s is not gated by default", m)
		}
	}
}
