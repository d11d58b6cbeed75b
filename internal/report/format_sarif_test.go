package report

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/gate"
)

// testSources are where mixedReport's queries come from; orders_by_user and
// the others have no known source and fall back to the baseline file.
var testSources = map[string]string{
	"resources_count":  "queries/resources_count.sql:1",
	"broken_report":    "capture/app.jsonl:12",
	"users_lookup":     "queries/users lookup.sql",
	"audit_log_insert": "/srv/app/queries/audit_log_insert.sql:1",
}

// sarifDoc holds the fields SARIF 2.1.0 requires, and those GitHub code
// scanning needs to show an alert.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID               string `json:"id"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
					Help struct {
						Text string `json:"text"`
					} `json:"help"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex *int   `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Properties          struct {
				Query  string `json:"query"`
				Metric string `json:"metric"`
			} `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

// checkSARIF fails t unless data is a SARIF 2.1.0 log GitHub accepts, and
// returns it.
func checkSARIF(t *testing.T, data []byte) sarifDoc {
	t.Helper()
	var doc sarifDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("sarif report is not JSON: %v", err)
	}
	if doc.Version != "2.1.0" || doc.Schema == "" {
		t.Errorf("version %q, $schema %q", doc.Version, doc.Schema)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	run := doc.Runs[0]
	if run.Tool.Driver.Name == "" {
		t.Error("tool.driver.name is empty")
	}
	var ids []string
	for _, r := range run.Tool.Driver.Rules {
		if r.ID == "" || r.ShortDescription.Text == "" || r.Help.Text == "" {
			t.Errorf("rule %+v lacks an id, a description or help", r)
		}
		if slices.Contains(ids, r.ID) {
			t.Errorf("rule %s twice", r.ID)
		}
		ids = append(ids, r.ID)
	}
	seen := map[string]bool{}
	for _, res := range run.Results {
		if res.RuleIndex == nil || *res.RuleIndex < 0 || *res.RuleIndex >= len(ids) || ids[*res.RuleIndex] != res.RuleID {
			t.Errorf("result %q: ruleIndex %v does not point at rule %q in %v", res.Message.Text, res.RuleIndex, res.RuleID, ids)
		}
		if !slices.Contains([]string{"none", "note", "warning", "error"}, res.Level) {
			t.Errorf("result %q: level %q", res.Message.Text, res.Level)
		}
		if res.Message.Text == "" {
			t.Errorf("result for rule %s without message", res.RuleID)
		}
		for _, loc := range res.Locations {
			uri := loc.PhysicalLocation.ArtifactLocation.URI
			if _, err := url.Parse(uri); err != nil || uri == "" {
				t.Errorf("result %q: uri %q: %v", res.Message.Text, uri, err)
			}
			if loc.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("result %q: startLine %d", res.Message.Text, loc.PhysicalLocation.Region.StartLine)
			}
		}
		fp := res.PartialFingerprints["plangateQuery/v1"]
		if fp == "" || seen[fp] {
			t.Errorf("result %q: fingerprint %q empty or repeated", res.Message.Text, fp)
		}
		seen[fp] = true
	}
	return doc
}

func TestSARIF_Valid(t *testing.T) {
	tests := []struct {
		name        string
		report      gate.Report
		wantResults int
	}{
		// Three failing findings of resources_count and broken_report's error.
		{name: "mixed", report: mixedReport(), wantResults: 4},
		{name: "passing", report: passingReport(), wantResults: 0},
		{name: "empty", report: gate.Report{Verdict: gate.VerdictPass}, wantResults: 0},
		{name: "hostile", report: hostileReport(), wantResults: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			meta := Meta{Baseline: "plangate.baseline.json", Version: "v1.2.3"}
			if err := Write(&buf, "sarif", tt.report, meta, WithSources(testSources)); err != nil {
				t.Fatal(err)
			}
			doc := checkSARIF(t, buf.Bytes())
			if got := len(doc.Runs[0].Results); got != tt.wantResults {
				t.Errorf("%d results, want %d", got, tt.wantResults)
			}
			for _, res := range doc.Runs[0].Results {
				if len(res.Locations) != 1 {
					t.Errorf("result %q: %d locations; code scanning shows only located results", res.Message.Text, len(res.Locations))
				}
			}
		})
	}
}

func TestSARIF_Locations(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "sarif", mixedReport(), Meta{Baseline: "db/plangate.baseline.json"}, WithSources(testSources)); err != nil {
		t.Fatal(err)
	}
	doc := checkSARIF(t, buf.Bytes())
	type loc struct {
		Query, Rule, URI, Base string
		Line                   int
	}
	var got []loc
	for _, res := range doc.Runs[0].Results {
		pl := res.Locations[0].PhysicalLocation
		got = append(got, loc{res.Properties.Query, res.RuleID, pl.ArtifactLocation.URI, pl.ArtifactLocation.URIBaseID, pl.Region.StartLine})
	}
	want := []loc{
		{"broken_report", "query_error", "capture/app.jsonl", "%SRCROOT%", 12},
		{"resources_count", "total_cost", "queries/resources_count.sql", "%SRCROOT%", 1},
		{"resources_count", "temp_written_bytes", "queries/resources_count.sql", "%SRCROOT%", 1},
		{"resources_count", "temp_read_bytes", "queries/resources_count.sql", "%SRCROOT%", 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}

	// Without a source, the result is located at the baseline file.
	buf.Reset()
	if err := Write(&buf, "sarif", mixedReport(), Meta{Baseline: "db/plangate.baseline.json"}); err != nil {
		t.Fatal(err)
	}
	doc = checkSARIF(t, buf.Bytes())
	for _, res := range doc.Runs[0].Results {
		if uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "db/plangate.baseline.json" {
			t.Errorf("%s: uri %q, want the baseline file", res.Message.Text, uri)
		}
	}
}

func TestSplitSource(t *testing.T) {
	tests := []struct {
		name, in string
		path     string
		line     int
		ok       bool
	}{
		{name: "path and line", in: "queries/a.sql:1", path: "queries/a.sql", line: 1, ok: true},
		{name: "jsonl line", in: "capture.jsonl:120", path: "capture.jsonl", line: 120, ok: true},
		{name: "path alone", in: "queries/a.sql", path: "queries/a.sql", line: 1, ok: true},
		{name: "colon in the name", in: "logs/12:30.log", path: "logs/12:30.log", line: 1, ok: true},
		{name: "zero line", in: "a.sql:0", path: "a.sql:0", line: 1, ok: true},
		{name: "empty", in: "", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, line, ok := splitSource(tt.in)
			if path != tt.path || line != tt.line || ok != tt.ok {
				t.Errorf("splitSource(%q) = %q, %d, %v; want %q, %d, %v", tt.in, path, line, ok, tt.path, tt.line, tt.ok)
			}
		})
	}
}

func TestSARIFURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{in: "queries/a.sql", want: "queries/a.sql"},
		{in: "queries/users lookup.sql", want: "queries/users%20lookup.sql"},
		{in: "/srv/app/a.sql", want: "file:///srv/app/a.sql"},
		{in: "c:d/a.sql", want: "./c:d/a.sql"},
	}
	for _, tt := range tests {
		if got := sarifURI(tt.in); got != tt.want {
			t.Errorf("sarifURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSARIF_NamedFinding checks that a named finding about a plan node has
// its own rule, and says which node.
func TestSARIF_NamedFinding(t *testing.T) {
	r := gate.Report{Verdict: gate.VerdictFail, Queries: []gate.Result{{
		Name:   "orders_sorted",
		Status: gate.StatusRegressed,
		Findings: []gate.Finding{{Metric: "spill", Kind: "spill", Node: 1, NodeName: "Sort", Current: 65 << 20, Severity: gate.SeverityFail,
			Message: "node 1: Sort (external merge) spilled 65 MB to disk (the baseline did not spill)"}},
	}}}
	var buf bytes.Buffer
	if err := Write(&buf, "sarif", r, Meta{Baseline: "plangate.baseline.json"}); err != nil {
		t.Fatal(err)
	}
	doc := checkSARIF(t, buf.Bytes())
	rules := doc.Runs[0].Tool.Driver.Rules
	if len(rules) != 1 || rules[0].ID != "spill" || rules[0].ShortDescription.Text != "Sort or aggregate spills to disk" {
		t.Errorf("rules %+v, want the spill rule", rules)
	}
	var raw struct {
		Runs []struct {
			Results []struct {
				Properties map[string]any `json:"properties"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	props := raw.Runs[0].Results[0].Properties
	if props["kind"] != "spill" || props["node"] != float64(1) || props["node_name"] != "Sort" {
		t.Errorf("properties %v, want the kind and node", props)
	}
}
