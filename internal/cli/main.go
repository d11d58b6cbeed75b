// Package cli is plangate's command line: commands, flags, configuration
// merging and exit codes. It wires the pipeline's stages together and is the
// only package that knows cobra.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/gate"
)

// Exit codes, a contract with users' scripts.
const (
	ExitPass      = 0
	ExitRegressed = 1
	ExitError     = 2
)

// Version is plangate's version, set at build time with
// -ldflags "-X github.com/plangate/plangate/internal/cli.Version=v1.2.3".
var Version = "dev"

// streams are the reader and writers a command talks to.
type streams struct {
	in       io.Reader
	out, err io.Writer
	// errTTY is set when err is a terminal: progress and colour go there.
	errTTY bool
	// outTTY is set when out is a terminal.
	outTTY bool
	// colorMode is --color: auto, always or never.
	colorMode string
}

// color says whether the report written to out carries ANSI colours.
func (s *streams) color() bool {
	return useColor(s.colorMode, s.outTTY, os.Getenv)
}

// Main runs plangate with args and returns the process exit code: 0 pass,
// 1 regression, 2 usage, input or infrastructure error.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := &streams{in: stdin, out: stdout, err: stderr, errTTY: isTerminal(stderr), outTTY: isTerminal(stdout)}
	root := newRootCmd(s)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return ExitPass
	case errors.Is(err, gate.ErrRegressed):
		return ExitRegressed
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(stderr, "plangate: interrupted; servers and temporary files were removed")
		return ExitError
	}
	// A command plangate ran for the user (plangate capture -- COMMAND)
	// passes its own exit status on.
	var child interface{ ExitCode() int }
	if errors.As(err, &child) {
		return child.ExitCode()
	}
	fmt.Fprintln(stderr, "plangate: "+oneLine(err.Error()))
	return ExitError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRootCmd(s *streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "plangate",
		Short: "A CI gate for PostgreSQL query plans",
		Long: `plangate replays your application's SQL with EXPLAIN ANALYZE against a seeded
PostgreSQL, turns each plan into metrics (cost, temp-file bytes, buffers, WAL,
rows, misestimates) and fails when a change regresses them against a committed
baseline.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&s.colorMode, "color", colorAuto, "colour the text report: auto (a terminal, unless NO_COLOR is set), always or never")
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return checkColorMode(s.colorMode) }
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: see plangate --help", err)
	})
	root.AddCommand(newBaselineCmd(s), newCheckCmd(s), newExplainCmd(s), newSeedCmd(s), newStatsCmd(s), newCommentCmd(s), newGHAReportCmd(s), newCaptureCmd(s), newMigrateCmd(s), newMergeCmd(s))
	return root
}
