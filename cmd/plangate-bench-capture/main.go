// Command plangate-bench-capture measures how fast plangate reads a
// PostgreSQL log, next to pgbadger (the usual log analyser) and grep (the
// floor: reading the file and finding lines, nothing more).
//
// It reads the log once to bring it into the page cache, then times, on the
// whole file, capture.ParsePGLog and `grep -c execute`, and, on a prefix of
// the file cut at a line end (pgbadger manages about a megabyte a second),
// `pgbadger -j 1` and capture.ParsePGLog again, so that the two are compared
// on the same bytes.
//
//	plangate-bench-capture -log /tmp/plangate-bench/pgbench.log
//
// .ci/bench-capture makes a log with pgbench and runs this on it.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/plangate/plangate/internal/capture"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "plangate-bench-capture:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("plangate-bench-capture", flag.ContinueOnError)
	logPath := fs.String("log", "", "the PostgreSQL stderr log to read (required)")
	prefix := fs.String("prefix", "%m [%p] ", "the log_line_prefix the log was written with, for pgbadger")
	badgerBytes := fs.Int64("pgbadger-bytes", 100_000_000, "time pgbadger on this many bytes of the log (0: all of it)")
	skipBadger := fs.Bool("skip-pgbadger", false, "do not run pgbadger")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *logPath == "" {
		return errors.New("-log is required")
	}
	info, err := os.Stat(*logPath)
	if err != nil {
		return err
	}
	size := info.Size()
	if err := warm(*logPath); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "log: %s (%s)\n\n", *logPath, mb(size))

	parse, stmts, err := timeParse(*logPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-28s %10s  %8.2fs  %9.1f MB/s  (%d statements)\n",
		"plangate ParsePGLog", mb(size), parse.Seconds(), rate(size, parse), stmts)

	grepTime, out, err := timeCommand(ctx, "grep", "-c", "execute", *logPath)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%-28s %10s  %8.2fs  %9.1f MB/s  (%s matching lines)\n",
		"grep -c execute", mb(size), grepTime.Seconds(), rate(size, grepTime), strings.TrimSpace(out))

	var badgerRate, parsePartRate float64
	if !*skipBadger {
		part, partSize, cleanup, err := cutPrefix(*logPath, *badgerBytes)
		if err != nil {
			return err
		}
		defer cleanup()
		report := filepath.Join(filepath.Dir(part), "pgbadger-report.html")
		badger, _, err := timeCommand(ctx, "pgbadger", "-j", "1", "-q", "-f", "stderr", "-p", *prefix, "-o", report, part)
		if err != nil {
			return err
		}
		badgerRate = rate(partSize, badger)
		parsePart, _, err := timeParse(part)
		if err != nil {
			return err
		}
		parsePartRate = rate(partSize, parsePart)
		label := "the whole log"
		if partSize < size {
			label = "the first " + mb(partSize)
		}
		fmt.Fprintf(stdout, "%-28s %10s  %8.2fs  %9.1f MB/s  (on %s)\n",
			"pgbadger -j 1", mb(partSize), badger.Seconds(), badgerRate, label)
		fmt.Fprintf(stdout, "%-28s %10s  %8.2fs  %9.1f MB/s  (on %s)\n",
			"plangate ParsePGLog", mb(partSize), parsePart.Seconds(), parsePartRate, label)
	}

	fmt.Fprintln(stdout)
	parseRate := rate(size, parse)
	if badgerRate > 0 {
		fmt.Fprintf(stdout, "plangate / pgbadger: %6.1fx faster (same bytes; goal >= 50x)\n", parsePartRate/badgerRate)
	}
	fmt.Fprintf(stdout, "grep / plangate:     %6.1fx slower than grep (goal <= 10x); %.0f MB/s (goal >= 65 MB/s)\n",
		rate(size, grepTime)/parseRate, parseRate)
	return nil
}

// timeParse reads the log at path with capture.ParsePGLog.
func timeParse(path string) (time.Duration, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	start := time.Now()
	stmts, err := capture.ParsePGLog(f, path)
	elapsed := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	return elapsed, len(stmts), nil
}

// timeCommand runs a command and returns how long it took and its output.
func timeCommand(ctx context.Context, name string, args ...string) (time.Duration, string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	var exit *exec.ExitError
	if name == "grep" && errors.As(err, &exit) && exit.ExitCode() == 1 {
		err = nil // no line matched
	}
	if err != nil {
		return 0, "", fmt.Errorf("%s: %w", name, err)
	}
	return elapsed, out.String(), nil
}

// warm reads the file once so that every timing starts from the page cache.
func warm(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}

// cutPrefix copies the first n bytes of the log, up to a line end, to a
// temporary file; n <= 0 or beyond the end means the whole log.
func cutPrefix(path string, n int64) (string, int64, func(), error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", 0, nil, err
	}
	if n <= 0 || n >= info.Size() {
		return path, info.Size(), func() {}, nil
	}
	dir, err := os.MkdirTemp("", "plangate-bench-capture")
	if err != nil {
		return "", 0, nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	in, err := os.Open(path)
	if err != nil {
		cleanup()
		return "", 0, nil, err
	}
	defer in.Close()
	part := filepath.Join(dir, "prefix.log")
	out, err := os.Create(part)
	if err != nil {
		cleanup()
		return "", 0, nil, err
	}
	w := bufio.NewWriter(out)
	r := bufio.NewReader(in)
	written, err := io.CopyN(w, r, n)
	if err == nil {
		var rest []byte
		rest, err = r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			err = nil
		}
		m, _ := w.Write(rest)
		written += int64(m)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		cleanup()
		return "", 0, nil, err
	}
	return part, written, cleanup, nil
}

func rate(bytes int64, d time.Duration) float64 {
	return float64(bytes) / 1e6 / d.Seconds()
}

func mb(bytes int64) string {
	return fmt.Sprintf("%.0f MB", float64(bytes)/1e6)
}
