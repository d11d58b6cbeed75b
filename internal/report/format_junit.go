package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// The JUnit XML report is for CI systems that read test results (GitLab's
// merge request widget, Jenkins, CircleCI, Buildkite): one testcase per
// query, and one per workload total (classname plangate.workload). A
// regressed query or total carries a <failure> whose message is its failing
// findings; a query that could not run carries an <error>, which JUnit keeps
// for tests that could not complete; a removed query is <skipped>. Every
// testcase's <system-out> lists its metrics, baseline against current.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut *junitOutput  `xml:"system-out"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	// Text is escaped XML, see xmlText.
	Text string `xml:",innerxml"`
}

type junitOutput struct {
	// Text is escaped XML, see xmlText.
	Text string `xml:",innerxml"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, r gate.Report, meta Meta, o options) error {
	suite := junitSuite{Name: "plangate", Cases: make([]junitCase, 0, len(r.Queries))}
	for _, p := range []junitProperty{
		{Name: "verdict", Value: string(r.Verdict)},
		{Name: "postgres", Value: meta.Postgres},
		{Name: "backend", Value: meta.Backend},
		{Name: "baseline", Value: meta.Baseline},
		{Name: "plangate_version", Value: meta.Version},
	} {
		if p.Value != "" {
			suite.Properties = append(suite.Properties, p)
		}
	}
	var total float64
	for _, res := range r.Queries {
		c, seconds := junitTestcase(res, o)
		total += seconds
		switch {
		case c.Failure != nil:
			suite.Failures++
		case c.Error != nil:
			suite.Errors++
		case c.Skipped != nil:
			suite.Skipped++
		}
		suite.Cases = append(suite.Cases, c)
	}
	if !totalsEmpty(r.Totals) {
		for _, t := range r.Totals {
			c := junitCase{Name: t.Name(), Classname: "plangate.workload", Time: junitSeconds(0)}
			if t.Status == gate.StatusRegressed {
				var failing []string
				for _, f := range t.Findings {
					if f.Severity == gate.SeverityFail {
						failing = append(failing, f.Message)
					}
				}
				c.Failure = &junitProblem{Message: strings.Join(failing, "; "), Type: string(gate.StatusRegressed), Text: xmlText(strings.Join(failing, "\n"))}
				suite.Failures++
			}
			suite.Cases = append(suite.Cases, c)
		}
	}
	for _, m := range r.Migrations {
		c := junitCase{Name: migrationPlace(m), Classname: "plangate.migrations", File: m.File, Time: junitSeconds(m.Seconds),
			SystemOut: &junitOutput{Text: xmlText(firstLine(m.SQL) + "\n" + migrationFacts(m))}}
		total += m.Seconds
		if failing := migrationMessages(m, gate.SeverityFail); len(failing) > 0 {
			c.Failure = &junitProblem{Message: strings.Join(failing, "; "), Type: "dangerous", Text: xmlText(strings.Join(failing, "\n"))}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	suite.Time = junitSeconds(total)
	doc := junitSuites{
		Name:     "plangate",
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Errors:   suite.Errors,
		Skipped:  suite.Skipped,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// junitTestcase renders one query and returns the seconds its replay took.
func junitTestcase(res gate.Result, o options) (junitCase, float64) {
	c := junitCase{Name: res.Name, Classname: "plangate"}
	if path, _, ok := splitSource(o.sources[res.Name]); ok {
		c.File = path
	}
	var seconds float64
	if res.Current != nil {
		seconds = res.Current.Metrics[gate.MetricExecutionMS] / 1000
	}
	c.Time = junitSeconds(seconds)

	switch res.Status {
	case gate.StatusRegressed:
		var failing []string
		for _, f := range res.Findings {
			if f.Severity == gate.SeverityFail {
				failing = append(failing, f.Message)
			}
		}
		c.Failure = &junitProblem{
			Message: strings.Join(failing, "; "),
			Type:    string(gate.StatusRegressed),
			Text:    xmlText(junitDetails(res)),
		}
	case gate.StatusError:
		msg := "the query could not be measured"
		if res.Current != nil && res.Current.Error != "" {
			msg = res.Current.Error
		}
		c.Error = &junitProblem{Message: oneLine(msg), Type: string(gate.StatusError), Text: xmlText(msg)}
	case gate.StatusRemoved:
		c.Skipped = &junitSkipped{Message: "removed: no longer captured; plangate baseline will drop it"}
	}
	if out := junitMetrics(res); out != "" {
		c.SystemOut = &junitOutput{Text: xmlText(out)}
	}
	return c, seconds
}

// junitDetails is the body of a failure: every finding that is not only
// informative, the spills, then the plan diff.
func junitDetails(res gate.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		if f.Severity == gate.SeverityInfo {
			continue
		}
		kind := ""
		if f.Kind != "" {
			kind = "[" + f.Kind + "] "
		}
		fmt.Fprintf(&b, "%s %s%s\n", strings.ToUpper(f.Severity), kind, f.Message)
	}
	if res.Current != nil {
		for _, s := range res.Current.Spills {
			fmt.Fprintf(&b, "spill: %s\n", s)
		}
	}
	if res.Baseline != nil && res.Current != nil && len(res.Baseline.Plan) > 0 && len(res.Current.Plan) > 0 &&
		!slices.Equal(res.Baseline.Plan, res.Current.Plan) {
		b.WriteString("\nplan diff:\n")
		for _, line := range PlanDiff(res.Baseline.Plan, res.Current.Plan) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// junitMetrics lists a query's metrics, one per line:
// "total_cost: 1,205 -> 45,012 (+43,808, +3,637%)".
func junitMetrics(res gate.Result) string {
	var b strings.Builder
	for _, m := range metricUnion(res) {
		base, inBase := metricsOf(res.Baseline)[m]
		cur, inCur := metricsOf(res.Current)[m]
		switch {
		case inBase && inCur:
			fmt.Fprintf(&b, "%s: %s -> %s (%s)\n", m, gate.FormatValue(m, base), gate.FormatValue(m, cur), gate.FormatDelta(m, base, cur))
		case inCur:
			fmt.Fprintf(&b, "%s: %s\n", m, gate.FormatValue(m, cur))
		default:
			fmt.Fprintf(&b, "%s: %s (baseline)\n", m, gate.FormatValue(m, base))
		}
	}
	return b.String()
}

// junitSeconds renders a duration as JUnit wants it: seconds, a dot, no unit.
func junitSeconds(s float64) string {
	return strconv.FormatFloat(s, 'f', 3, 64)
}

// xmlText escapes s as XML character data. Unlike encoding/xml, which writes
// every line break as "&#xA;", it keeps line breaks as they are, so that a
// report opened in an editor reads line by line. Characters XML cannot hold
// (most control characters, invalid UTF-8) become U+FFFD.
func xmlText(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\r':
			b.WriteString("&#xD;")
		case r == '\n' || r == '\t' || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF):
			b.WriteRune(r)
		default:
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}
