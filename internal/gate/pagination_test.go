package gate

import (
	"strings"
	"testing"
)

func TestLabelPaginationCounts(t *testing.T) {
	r := Report{Verdict: VerdictFail, Queries: []Result{
		{Name: "orders [count]", Status: StatusRegressed, Findings: []Finding{{Metric: MetricTempWrittenBytes, Severity: SeverityFail}}},
		{Name: "orders [select orders]", Status: StatusRegressed},
		{Name: "users [count]", Status: StatusPass},
	}}
	got := LabelPaginationCounts(r, map[string]string{"orders [count]": "orders [select orders]", "users [count]": ""})
	f := got.Queries[0].Findings
	if len(f) != 2 || f[0].Metric != MetricTempWrittenBytes || f[1].Metric != MetricPaginationCount ||
		!strings.Contains(f[1].Message, "count for orders [select orders]") || !strings.Contains(f[1].Message, "cursor") {
		t.Errorf("count findings = %+v", f)
	}
	if len(got.Queries[1].Findings) != 0 || len(got.Queries[2].Findings) != 0 {
		t.Errorf("labelled a list query or a passing count: %+v", got.Queries)
	}
	if len(r.Queries[0].Findings) != 1 {
		t.Error("changed its input")
	}
}

func TestLabelEstimateOnly(t *testing.T) {
	r := Report{Queries: []Result{{Name: "a", Status: StatusPass}, {Name: "b", Status: StatusNew}}}
	got := LabelEstimateOnly(r, map[string]bool{"b": true})
	if len(got.Queries[0].Findings) != 0 || len(got.Queries[1].Findings) != 1 || got.Queries[1].Findings[0].Metric != MetricEstimateOnly {
		t.Errorf("got %+v", got.Queries)
	}
}
