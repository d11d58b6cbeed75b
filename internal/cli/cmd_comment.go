package cli

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/github"
	"github.com/plangate/plangate/internal/report"
)

// reportFiles are the flags naming the reports a GitHub command publishes.
type reportFiles struct {
	markdown string
	json     string
}

func (f *reportFiles) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.markdown, "markdown", "", "markdown report, from plangate check --format markdown")
	cmd.Flags().StringVar(&f.json, "json", "", "JSON report, from plangate check --format json: gives the digest when the markdown is too long, and the markdown when --markdown is not given")
}

// published is a report ready to publish: its markdown and, when the JSON
// report was given, the gate's decisions.
type published struct {
	markdown string
	report   *gate.Report
	meta     report.Meta
}

// load reads the reports. Without --markdown the markdown is rendered from
// the JSON report; it then lacks plan diffs unless the JSON report carries
// plans.
func (f *reportFiles) load(what string) (published, error) {
	var p published
	if f.markdown == "" && f.json == "" {
		return p, fmt.Errorf("%s: give --markdown FILE or --json FILE (reports of plangate check --format markdown|json --output FILE)", what)
	}
	if f.json != "" {
		r, meta, err := report.ReadJSON(f.json)
		if err != nil {
			return p, fmt.Errorf("%s: %w", what, err)
		}
		p.report, p.meta = &r, meta
	}
	if f.markdown != "" {
		data, err := os.ReadFile(f.markdown)
		if err != nil {
			return p, fmt.Errorf("%s: markdown report: %w", what, err)
		}
		p.markdown = string(data)
		return p, nil
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, "markdown", *p.report, p.meta); err != nil {
		return p, fmt.Errorf("%s: %w", what, err)
	}
	p.markdown = buf.String()
	return p, nil
}

func newCommentCmd(s *streams) *cobra.Command {
	var (
		files    reportFiles
		pr       int
		repo     string
		tokenEnv string
		apiURL   string
	)
	cmd := &cobra.Command{
		Use:   "comment",
		Short: "Post the report as one sticky pull request comment, updated on every run",
		Long: `comment posts a markdown report as a comment on a GitHub pull request, or
updates the comment an earlier run posted (the one holding the report's marker),
so a pull request has one plangate comment however often it runs.

In GitHub Actions it needs no flag but the report: the token comes from
$GITHUB_TOKEN (the job needs "permissions: pull-requests: write"), the
repository from $GITHUB_REPOSITORY, the pull request from the event payload at
$GITHUB_EVENT_PATH and the API from $GITHUB_API_URL (GitHub Enterprise Server
included). On an event that is not about a pull request it does nothing.

A comment holds at most 65,536 characters: a longer report is replaced by a
digest (verdict, counts, failing queries worst first, with their findings),
built from the JSON report when --json is given, that points to the job
summary for the full report.

Exit status: 0 posted, updated or nothing to do, 2 error. The gate's verdict is
not its business: run it after plangate check, and do not let its failure
change the check's outcome.`,
		Example: `  plangate check --format json --output report.json
  plangate comment --json report.json
  plangate comment --markdown report.md --json report.json --repo acme/shop --pr 42`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := files.load("comment")
			if err != nil {
				return err
			}
			if repo == "" {
				repo = os.Getenv("GITHUB_REPOSITORY")
			}
			if repo == "" {
				return errors.New("comment: no repository: set GITHUB_REPOSITORY or pass --repo OWNER/NAME")
			}
			r, err := github.ParseRepo(repo)
			if err != nil {
				return fmt.Errorf("comment: %w", err)
			}
			if pr <= 0 {
				event := os.Getenv("GITHUB_EVENT_PATH")
				if event == "" {
					return errors.New("comment: no pull request: pass --pr N (in GitHub Actions it is read from $GITHUB_EVENT_PATH)")
				}
				pr, err = github.PullRequestNumber(event)
				if errors.Is(err, github.ErrNotPullRequest) {
					fmt.Fprintf(s.err, "plangate: comment: the workflow's event (%s) is not about a pull request: nothing to comment on\n", cmp.Or(os.Getenv("GITHUB_EVENT_NAME"), "unknown"))
					return nil
				}
				if err != nil {
					return fmt.Errorf("comment: %w", err)
				}
			}
			token := os.Getenv(tokenEnv)
			if token == "" {
				return fmt.Errorf("comment: no token in $%s: in a workflow, set env %s: ${{ github.token }} and give the job permissions: pull-requests: write", tokenEnv, tokenEnv)
			}
			opts := []github.Option{github.WithUserAgent("plangate/" + version())}
			if apiURL == "" {
				apiURL = os.Getenv("GITHUB_API_URL")
			}
			if apiURL != "" {
				opts = append(opts, github.WithBaseURL(apiURL))
			}
			client, err := github.NewClient(token, opts...)
			if err != nil {
				return fmt.Errorf("comment: %w", err)
			}
			body := report.Fit(p.markdown, github.CommentBudget(), p.report, commentNote(files))
			c, did, err := client.UpsertComment(cmd.Context(), r, pr, report.Marker, body)
			if err != nil {
				return fmt.Errorf("comment: %s#%d: %w", r, pr, err)
			}
			fmt.Fprintf(s.out, "comment %s: %s\n", did, c.HTMLURL)
			return nil
		},
	}
	files.register(cmd)
	cmd.Flags().IntVar(&pr, "pr", 0, "pull request number (default: from the event payload at $GITHUB_EVENT_PATH)")
	cmd.Flags().StringVar(&repo, "repo", "", "repository as OWNER/NAME (default $GITHUB_REPOSITORY)")
	cmd.Flags().StringVar(&tokenEnv, "token-env", "GITHUB_TOKEN", "environment variable that holds the GitHub token")
	cmd.Flags().StringVar(&apiURL, "api-url", "", "GitHub REST API URL (default $GITHUB_API_URL, else https://api.github.com)")
	return cmd
}

// commentNote says, in a digest, where the full report is: the run's job
// summary when running in GitHub Actions, else the report file.
func commentNote(files reportFiles) string {
	note := "This report is too long for a pull request comment: this digest lists the failing queries only."
	server, repo, run := os.Getenv("GITHUB_SERVER_URL"), os.Getenv("GITHUB_REPOSITORY"), os.Getenv("GITHUB_RUN_ID")
	if server != "" && repo != "" && run != "" {
		return note + " The full report is in the [job summary](" + strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + run + ")."
	}
	path := files.markdown
	if path == "" {
		path = files.json
	}
	return note + " The full report is in `" + path + "`."
}
