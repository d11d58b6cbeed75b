package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/gate"
)

// junitDoc is what a JUnit consumer reads back.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Errors   int      `xml:"errors,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			File    string `xml:"file,attr"`
			Time    string `xml:"time,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) junitDoc {
	t.Helper()
	var doc junitDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("junit report does not parse as XML: %v\n%s", err, data)
	}
	return doc
}

// hostileReport has names and messages with everything XML and JSON must
// escape: markup, quotes, a CDATA terminator, control characters and a
// character outside the Basic Multilingual Plane.
func hostileReport() gate.Report {
	return gate.Report{
		Verdict: gate.VerdictFail,
		Queries: []gate.Result{
			{
				Name:     `q<&>"'` + "]]>",
				Status:   gate.StatusRegressed,
				Baseline: &gate.Query{Metrics: map[string]float64{"total_cost": 1}},
				Current:  &gate.Query{Metrics: map[string]float64{"total_cost": 2}},
				Findings: []gate.Finding{{Metric: "total_cost", Baseline: 1, Current: 2, Severity: "fail",
					Message: "total_cost 1 -> 2 \x00\x1b[31m </failure> ]]> 🐘\nsecond line"}},
			},
			{
				Name:    "broken\x07",
				Status:  gate.StatusError,
				Current: &gate.Query{Error: "syntax error at or near \"<\"\n\tline 2\r\n\x01"},
			},
		},
	}
}

func TestJUnit_ParsesBack(t *testing.T) {
	tests := []struct {
		name    string
		report  gate.Report
		sources map[string]string
	}{
		{name: "mixed", report: mixedReport(), sources: testSources},
		{name: "passing", report: passingReport()},
		{name: "empty", report: gate.Report{Verdict: gate.VerdictPass}},
		{name: "hostile", report: hostileReport(), sources: map[string]string{"broken\x07": "a&b/<x>.sql:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, "junit", tt.report, Meta{Postgres: "15.8"}, WithSources(tt.sources)); err != nil {
				t.Fatal(err)
			}
			doc := parseJUnit(t, buf.Bytes())
			if len(doc.Suites) != 1 {
				t.Fatalf("%d testsuites, want 1", len(doc.Suites))
			}
			suite := doc.Suites[0]
			if len(suite.Cases) != len(tt.report.Queries) {
				t.Fatalf("%d testcases for %d queries", len(suite.Cases), len(tt.report.Queries))
			}
			var failures, errs, skipped int
			for i, c := range suite.Cases {
				res := tt.report.Queries[i]
				if want := strings.ToValidUTF8(res.Name, ""); !strings.HasPrefix(want, strings.TrimRight(c.Name, "\uFFFD")) {
					t.Errorf("testcase %d is %q, want %q", i, c.Name, res.Name)
				}
				if c.Time == "" {
					t.Errorf("%s: no time", c.Name)
				}
				kinds := 0
				if c.Failure != nil {
					kinds++
					failures++
					if res.Status != gate.StatusRegressed || c.Failure.Message == "" || c.Failure.Text == "" {
						t.Errorf("%s (%s): failure %+v", c.Name, res.Status, c.Failure)
					}
				}
				if c.Error != nil {
					kinds++
					errs++
					if res.Status != gate.StatusError || c.Error.Message == "" || strings.Contains(c.Error.Message, "\n") {
						t.Errorf("%s (%s): error %+v", c.Name, res.Status, c.Error)
					}
				}
				if c.Skipped != nil {
					kinds++
					skipped++
					if res.Status != gate.StatusRemoved {
						t.Errorf("%s (%s): skipped", c.Name, res.Status)
					}
				}
				if kinds > 1 {
					t.Errorf("%s: %d of failure, error, skipped", c.Name, kinds)
				}
				if src, ok := tt.sources[res.Name]; ok {
					if path, _, _ := splitSource(src); c.File != path {
						t.Errorf("%s: file %q, want %q", c.Name, c.File, path)
					}
				}
			}
			for _, counts := range [][2]int{
				{doc.Tests, len(suite.Cases)}, {suite.Tests, len(suite.Cases)},
				{doc.Failures, failures}, {suite.Failures, failures},
				{doc.Errors, errs}, {suite.Errors, errs},
				{doc.Skipped, skipped}, {suite.Skipped, skipped},
			} {
				if counts[0] != counts[1] {
					t.Errorf("counts attributes %d/%d/%d/%d do not match testcases: %d failures, %d errors, %d skipped",
						doc.Tests, doc.Failures, doc.Errors, doc.Skipped, failures, errs, skipped)
					break
				}
			}
		})
	}
}

func TestJUnit_FailureSaysWhy(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, "junit", mixedReport(), Meta{}); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, buf.Bytes())
	for _, c := range doc.Suites[0].Cases {
		if c.Name != "resources_count" {
			continue
		}
		for _, want := range []string{
			"temp_written_bytes 0 B -> 184 MB",
			"HashAggregate spilled 184 MB to disk in 5 batches",
			"+    Seq Scan on resources",
		} {
			if !strings.Contains(c.Failure.Text, want) {
				t.Errorf("failure text lacks %q:\n%s", want, c.Failure.Text)
			}
		}
		if !strings.Contains(c.Failure.Message, "total_cost 1,205 -> 45,012") {
			t.Errorf("failure message %q lacks the cost finding", c.Failure.Message)
		}
		if !strings.Contains(c.SystemOut, "execution_ms: 812 ms") {
			t.Errorf("system-out lacks the metrics:\n%s", c.SystemOut)
		}
		if c.Time != "0.812" {
			t.Errorf("time = %q, want 0.812 (execution_ms in seconds)", c.Time)
		}
		return
	}
	t.Fatal("no resources_count testcase")
}

func TestXMLText_RoundTrip(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "markup", in: `a < b && c > "d" ]]>`, want: `a < b && c > "d" ]]>`},
		{name: "lines kept", in: "one\n\ttwo\n", want: "one\n\ttwo\n"},
		{name: "carriage return kept", in: "a\r\nb", want: "a\r\nb"},
		{name: "control characters replaced", in: "a\x00b\x1bc", want: "a\uFFFDb\uFFFDc"},
		{name: "invalid UTF-8 replaced", in: "a\xffb", want: "a\uFFFDb"},
		{name: "astral plane kept", in: "🐘", want: "🐘"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got struct {
				Text string `xml:",chardata"`
			}
			if err := xml.Unmarshal([]byte("<a>"+xmlText(tt.in)+"</a>"), &got); err != nil {
				t.Fatalf("xmlText(%q) = %q does not parse: %v", tt.in, xmlText(tt.in), err)
			}
			if got.Text != tt.want {
				t.Errorf("round trip of %q = %q, want %q", tt.in, got.Text, tt.want)
			}
		})
	}
}
