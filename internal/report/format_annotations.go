package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/gate"
)

// MaxAnnotations is how many annotations of each level GitHub Actions shows
// for one step; it drops the rest.
const MaxAnnotations = 10

// Annotation levels, as workflow commands name them.
const (
	LevelError   = "error"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// Annotation is a message GitHub Actions shows on the run's summary and, when
// it has a file, beside that file in the pull request.
type Annotation struct {
	// Level is LevelError, LevelWarning or LevelNotice.
	Level string
	// Title is the annotation's one-line heading.
	Title string
	// Message may span lines.
	Message string
	// File and Line place the annotation; both are optional.
	File string
	Line int
}

// String renders a as the workflow command a step prints on its standard
// output, e.g. "::error title=plangate%3A q regressed::total_cost 1 -> 2".
func (a Annotation) String() string {
	var props []string
	if a.File != "" {
		props = append(props, "file="+escapeProperty(a.File))
		if a.Line > 0 {
			props = append(props, "line="+strconv.Itoa(a.Line))
		}
	}
	if a.Title != "" {
		props = append(props, "title="+escapeProperty(a.Title))
	}
	cmd := "::" + a.Level
	if len(props) > 0 {
		cmd += " " + strings.Join(props, ",")
	}
	return cmd + "::" + escapeData(a.Message)
}

// escapeData escapes a workflow command's message, as @actions/core does.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// Annotations returns what to annotate a run with: an error for each
// workload total that regressed, then for each query that fails the gate,
// worst first (see Failing), and a warning for each
// other query with a warning finding. GitHub shows only so many of each
// level per step: at most perLevel of each are returned (MaxAnnotations
// when perLevel is not positive), the last one then saying how many more
// there are. Annotations carry no file: the JSON report does not say where
// a query comes from.
func Annotations(r gate.Report, perLevel int) []Annotation {
	if perLevel <= 0 {
		perLevel = MaxAnnotations
	}
	var errs []Annotation
	for _, t := range r.Totals {
		if t.Status != gate.StatusRegressed {
			continue
		}
		var lines []string
		for _, f := range t.Findings {
			if f.Severity == gate.SeverityFail {
				lines = append(lines, f.Message)
			}
		}
		errs = append(errs, Annotation{Level: LevelError, Title: "plangate: " + t.Name() + " regressed", Message: strings.Join(lines, "\n")})
	}
	for _, res := range Failing(r) {
		a := Annotation{Level: LevelError}
		if res.Status == gate.StatusError {
			a.Title = "plangate: " + res.Name + " failed to run"
			a.Message = "the query could not be measured"
			if res.Current != nil && res.Current.Error != "" {
				a.Message = res.Current.Error
			}
		} else {
			a.Title = "plangate: " + res.Name + " regressed"
			a.Message = findingLines(res, gate.SeverityFail)
		}
		errs = append(errs, a)
	}
	var warns []Annotation
	for _, m := range r.Migrations {
		file := ""
		if strings.HasSuffix(m.File, ".sql") {
			file = m.File
		}
		if lines := migrationMessages(m, gate.SeverityFail); len(lines) > 0 {
			errs = append(errs, Annotation{Level: LevelError, Title: "plangate: migration " + migrationPlace(m) + " is dangerous",
				Message: strings.Join(lines, "\n"), File: file})
		}
		if lines := migrationMessages(m, gate.SeverityWarn); len(lines) > 0 {
			warns = append(warns, Annotation{Level: LevelWarning, Title: "plangate: migration " + migrationPlace(m),
				Message: strings.Join(lines, "\n"), File: file})
		}
	}
	for _, res := range r.Queries {
		if res.Status == gate.StatusRegressed || res.Status == gate.StatusError {
			continue
		}
		if msg := findingLines(res, gate.SeverityWarn); msg != "" {
			warns = append(warns, Annotation{Level: LevelWarning, Title: "plangate: " + res.Name, Message: msg})
		}
	}
	return append(capLevel(errs, perLevel, "failing"), capLevel(warns, perLevel, "with warnings")...)
}

// capLevel keeps at most n annotations, the last then counting the rest.
func capLevel(as []Annotation, n int, what string) []Annotation {
	if len(as) <= n {
		return as
	}
	rest := len(as) - (n - 1)
	out := slices.Clone(as[:n-1])
	return append(out, Annotation{
		Level:   as[0].Level,
		Title:   fmt.Sprintf("plangate: %d more %s %s", rest, plural(rest, "query", "queries"), what),
		Message: "GitHub shows only a few annotations per step: see the job summary for every query.",
	})
}

// findingLines joins the messages of res's findings of one severity.
func findingLines(res gate.Result, severity string) string {
	var lines []string
	for _, f := range res.Findings {
		if f.Severity == severity {
			lines = append(lines, f.Message)
		}
	}
	return strings.Join(lines, "\n")
}

// Failing returns the queries of r that fail the gate, worst first: those
// that could not run at all (a timeout, temp_file_limit: what would take
// production down), then the regressed ones by how many of their failing
// metrics grew from zero (a first spill to disk, a first WAL byte), then by
// how many times worse their worst other failing metric got, then by how
// many metrics failed, then by name.
func Failing(r gate.Report) []gate.Result {
	var out []gate.Result
	for _, res := range r.Queries {
		if res.Status == gate.StatusRegressed || res.Status == gate.StatusError {
			out = append(out, res)
		}
	}
	slices.SortStableFunc(out, func(a, b gate.Result) int {
		if ea, eb := a.Status == gate.StatusError, b.Status == gate.StatusError; ea != eb {
			if ea {
				return -1
			}
			return 1
		}
		wa, wb := worsening(a), worsening(b)
		if c := cmp.Compare(wb.fromZero, wa.fromZero); c != 0 {
			return c
		}
		if c := cmp.Compare(wb.factor, wa.factor); c != 0 {
			return c
		}
		if c := cmp.Compare(wb.failing, wa.failing); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// worse says how much worse a query got.
type worse struct {
	// fromZero counts the failing metrics that grew from zero.
	fromZero int
	// factor is the largest factor by which another failing metric grew
	// against its baseline, or went past its limit when it has none.
	factor float64
	// failing counts the failing findings.
	failing int
}

func worsening(res gate.Result) worse {
	var w worse
	for _, f := range res.Findings {
		if f.Severity != gate.SeverityFail {
			continue
		}
		w.failing++
		ref := f.Baseline
		if ref == 0 && f.Limit > 0 {
			ref = f.Limit
		}
		switch {
		case ref > 0:
			w.factor = max(w.factor, f.Current/ref)
		case f.Current > 0:
			w.fromZero++
		}
	}
	return w
}

// writeGitHub renders the report as GitHub Actions workflow commands, one
// annotation a line (see Annotations): a step that runs plangate check
// with --format github annotates its run without a JSON report between.
func writeGitHub(w io.Writer, r gate.Report, _ Meta, _ options) error {
	bw := bufio.NewWriter(w)
	for _, a := range Annotations(r, 0) {
		fmt.Fprintln(bw, a.String())
	}
	return bw.Flush()
}
