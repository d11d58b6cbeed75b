package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/spf13/cobra"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/gate"
)

// childStopGrace is how long a command run under capture has to exit after
// it was interrupted before it is killed.
const childStopGrace = 10 * time.Second

func newCaptureCmd(s *streams) *cobra.Command {
	var listen, upstream, out string
	cmd := &cobra.Command{
		Use:   "capture --upstream DSN --out FILE.jsonl [--listen ADDR] [-- COMMAND [ARG...]]",
		Short: "Record the SQL an application sends, through a PostgreSQL proxy",
		Long: `capture runs a PostgreSQL proxy that passes everything between an application
and its database through unchanged and records each statement it runs, with
its bound values and its session's application_name as the group, into a
capture file for --queries. Transaction control, SET, SHOW, DDL and other
statements that cannot be planned are left out.

Without a command, the proxy listens on --listen (default 127.0.0.1 on a free
port) until Ctrl-C. With a command after --, it listens on a free port, runs
the command with PGHOST, PGPORT, PGSSLMODE=disable and DATABASE_URL (and
PGUSER, PGPASSWORD, PGDATABASE when the DSN has them) pointing at the proxy,
and exits with the command's status when it ends.

Clients connect to the proxy without TLS; the proxy reaches the upstream
server with the TLS settings of --upstream (sslmode, sslrootcert, ...).
The capture is written to FILE.jsonl.partial as statements run and renamed to
FILE.jsonl when capture stops.`,
		Example: `  plangate capture --upstream postgres://app@localhost/app --out captures/api.jsonl -- go test ./...
  plangate capture --upstream "$DATABASE_URL" --listen 127.0.0.1:6432 --out capture.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && cmd.ArgsLenAtDash() != 0 {
				return fmt.Errorf("capture: unexpected argument %q: put the command to run after --", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if upstream == "" {
				return errors.New("capture: --upstream is required: give the connection string of the database the application uses")
			}
			if out == "" {
				return errors.New("capture: --out is required: give the capture file to write, such as capture.jsonl")
			}
			return runCapture(cmd.Context(), s, listen, upstream, out, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&listen, "listen", "", "address the proxy listens on (default 127.0.0.1 on a free port)")
	f.StringVar(&upstream, "upstream", "", "connection string of the PostgreSQL server to forward to")
	f.StringVarP(&out, "out", "o", "", "capture file to write (.jsonl)")
	return cmd
}

func runCapture(ctx context.Context, s *streams, listen, upstream, out string, command []string) (err error) {
	upCfg, err := pgconn.ParseConfig(upstream)
	if err != nil {
		return fmt.Errorf("capture: --upstream: %w", err)
	}
	rec, err := capture.CreateRecording(out)
	if err != nil {
		return err
	}
	proxy, err := capture.NewProxy(upstream, capture.WithRecorder(rec.Add), capture.WithProxyLog(linePrefixer{s.err}))
	if err != nil {
		rec.Close()
		return err
	}
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		rec.Close()
		return fmt.Errorf("capture: --listen: %w", err)
	}
	addr := ln.Addr().(*net.TCPAddr)

	proxyCtx, stopProxy := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- proxy.Serve(proxyCtx, ln) }()
	finish := func() error {
		stopProxy()
		serveErr := <-served
		closeErr := rec.Close()
		if closeErr != nil {
			return closeErr
		}
		fmt.Fprintln(s.err, "plangate: "+captureSummary(proxy.Stats(), out))
		return serveErr
	}

	if len(command) == 0 {
		fmt.Fprintf(s.err, "plangate: proxy listening on %s, forwarding to %s; recording to %s; Ctrl-C to stop\n",
			addr, proxy.Upstream(), rec.Path())
		select {
		case <-ctx.Done():
		case err := <-served:
			served <- err
		}
		return finish()
	}

	child := exec.CommandContext(ctx, command[0], command[1:]...)
	child.Stdin, child.Stdout, child.Stderr = s.in, s.out, s.err
	child.Env = capture.ClientEnv(os.Environ(), upCfg, addr)
	// On Ctrl-C the command gets an interrupt, as it would in a terminal,
	// and some time to finish its own cleanup.
	child.Cancel = func() error { return child.Process.Signal(os.Interrupt) }
	child.WaitDelay = childStopGrace
	runErr := child.Run()
	if err := finish(); err != nil {
		return err
	}
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
		return nil
	case errors.As(runErr, &exitErr):
		if code := exitErr.ExitCode(); code > 0 {
			return &childExitError{name: command[0], code: code}
		}
		return fmt.Errorf("capture: %s: %v", command[0], exitErr)
	}
	return fmt.Errorf("capture: %w", runErr)
}

// linePrefixer starts each line the proxy logs, written whole, as plangate
// starts its own.
type linePrefixer struct{ w io.Writer }

func (p linePrefixer) Write(line []byte) (int, error) {
	if _, err := io.WriteString(p.w, "plangate: "+string(line)); err != nil {
		return 0, err
	}
	return len(line), nil
}

// childExitError reports the non-zero exit status of the command capture
// ran; plangate exits with that status.
type childExitError struct {
	name string
	code int
}

func (e *childExitError) Error() string {
	return fmt.Sprintf("capture: %s exited with status %d", e.name, e.code)
}

// ExitCode is the status plangate exits with.
func (e *childExitError) ExitCode() int { return e.code }

// Unwrap makes status 1 read as gate.ErrRegressed, which Main turns into
// exit status 1 without a message: the command has said what failed.
func (e *childExitError) Unwrap() error {
	if e.code == ExitRegressed {
		return gate.ErrRegressed
	}
	return nil
}

// captureSummary says what was recorded, for stderr.
func captureSummary(st capture.ProxyStats, out string) string {
	msg := fmt.Sprintf("captured %s from %s to %s", plural(st.Recorded, "statement"), plural(st.Connections, "connection"), out)
	var skipped []string
	total := 0
	for word, n := range st.Skipped {
		skipped = append(skipped, fmt.Sprintf("%d %s", n, word))
		total += n
	}
	sort.Slice(skipped, func(i, j int) bool {
		a, b := skipped[i], skipped[j]
		na, _ := strconv.Atoi(strings.Fields(a)[0])
		nb, _ := strconv.Atoi(strings.Fields(b)[0])
		if na != nb {
			return na > nb
		}
		return a < b
	})
	if total > 0 {
		msg += fmt.Sprintf("; left out %d (%s)", total, strings.Join(skipped, ", "))
	}
	if st.Failed > 0 {
		msg += fmt.Sprintf("; %s failed and not recorded", plural(st.Failed, "statement"))
	}
	return msg
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
