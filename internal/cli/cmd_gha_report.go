package cli

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/github"
	"github.com/plangate/plangate/internal/report"
)

func newGHAReportCmd(s *streams) *cobra.Command {
	var (
		files          reportFiles
		reportPath     string
		maxAnnotations int
	)
	cmd := &cobra.Command{
		Use:   "gha-report",
		Short: "Publish a report to GitHub Actions: job summary, step outputs, annotations",
		Long: `gha-report publishes the report of plangate check in a GitHub Actions step:

  - the job summary ($GITHUB_STEP_SUMMARY): the markdown report. GitHub takes at
    most 1 MiB per step: a longer report is replaced by a digest (verdict,
    counts, failing queries worst first, with their findings) that points to
    the full report (--report-path);
  - step outputs ($GITHUB_OUTPUT): verdict (pass or fail), total, regressed,
    errors (query counts) and report (--report-path);
  - annotations: an error per failing query, worst first, and a warning per
    query with warnings. GitHub shows 10 of each per step: past
    --max-annotations the last one says how many more there are;
  - the text report, in a collapsed group of the log.

It needs the JSON report; the markdown report is rendered from it unless
--markdown is given. Exit status: 0 published, 2 error. It does not judge: the
exit status of plangate check is the verdict.`,
		Example: `  plangate check --format json --output report.json; status=$?
  plangate gha-report --json report.json
  exit $status`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if files.json == "" {
				return errors.New("gha-report: --json FILE is required: the report of plangate check --format json --output FILE")
			}
			if maxAnnotations < 1 {
				return fmt.Errorf("gha-report: --max-annotations %d: want at least 1", maxAnnotations)
			}
			p, err := files.load("gha-report")
			if err != nil {
				return err
			}
			if reportPath == "" {
				reportPath = files.json
				if files.markdown != "" {
					reportPath = files.markdown
				}
			}
			if err := logTextReport(s, *p.report, p.meta); err != nil {
				return err
			}
			for _, a := range report.Annotations(*p.report, maxAnnotations) {
				fmt.Fprintln(s.out, a.String())
			}

			summary, outputs := os.Getenv("GITHUB_STEP_SUMMARY"), os.Getenv("GITHUB_OUTPUT")
			if summary == "" && outputs == "" {
				fmt.Fprintln(s.err, "plangate: gha-report: GITHUB_STEP_SUMMARY and GITHUB_OUTPUT are unset (not in GitHub Actions?): printed the annotations only")
				return nil
			}
			if summary != "" {
				if err := writeSummary(s, summary, p, reportPath); err != nil {
					return err
				}
			}
			if outputs != "" {
				counts := p.report.Counts()
				err := github.WriteOutputs(outputs, []github.Output{
					{Name: "verdict", Value: string(p.report.Verdict)},
					{Name: "total", Value: strconv.Itoa(len(p.report.Queries))},
					{Name: "regressed", Value: strconv.Itoa(counts[gate.StatusRegressed])},
					{Name: "errors", Value: strconv.Itoa(counts[gate.StatusError])},
					{Name: "report", Value: reportPath},
				})
				if err != nil {
					return fmt.Errorf("gha-report: step outputs: %w", err)
				}
			}
			return nil
		},
	}
	files.register(cmd)
	cmd.Flags().StringVar(&reportPath, "report-path", "", "where the full report is, for the step output and a digest's pointer (default the --markdown or --json file)")
	cmd.Flags().IntVar(&maxAnnotations, "max-annotations", report.MaxAnnotations, "most annotations of each level (error, warning)")
	return cmd
}

// writeSummary appends the markdown report, or its digest, to the job
// summary file.
func writeSummary(s *streams, path string, p published, reportPath string) error {
	used, err := github.SummaryUsed(path)
	if err != nil {
		return fmt.Errorf("gha-report: %w", err)
	}
	budget := github.StepSummaryBudget(used)
	note := fmt.Sprintf("This report is longer than a job summary can be (1 MiB): this digest lists the failing queries only. The full report is in `%s`.", reportPath)
	md := report.Fit(p.markdown, budget, p.report, note)
	if md == "" {
		fmt.Fprintln(s.err, "plangate: gha-report: warning: the job summary of this step is full: the report is not in it")
		return nil
	}
	if err := github.AppendStepSummary(path, md); err != nil {
		return fmt.Errorf("gha-report: job summary: %w", err)
	}
	return nil
}

// logTextReport prints the text report in a collapsed group of the log,
// with workflow commands stopped so that nothing in it (a query name, an
// error message) can pass for one.
func logTextReport(s *streams, r gate.Report, meta report.Meta) error {
	var buf bytes.Buffer
	if err := report.Write(&buf, "text", r, meta); err != nil {
		return fmt.Errorf("gha-report: %w", err)
	}
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return fmt.Errorf("gha-report: %w", err)
	}
	stop := "plangate-" + hex.EncodeToString(raw)
	text := buf.String()
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	fmt.Fprintf(s.out, "::group::plangate report\n::stop-commands::%s\n%s::%s::\n::endgroup::\n", stop, text, stop)
	return nil
}
