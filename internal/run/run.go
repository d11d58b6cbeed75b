// Package run is plangate's pipeline: it provisions a server, seeds it (from
// the seeded-state cache where the backend has one), replays the queries and
// compares them with the baseline. The commands in cli, plangate-noise and
// the benchmarks all call it; it knows neither flags nor terminals.
package run

import (
	"bytes"
	"fmt"
	"io"
)

// Progress is told what a long run is doing. cli shows stages on one status
// line of a terminal; notes and warnings stay.
type Progress interface {
	// Stage replaces the status line.
	Stage(format string, args ...any)
	// Note prints a line that stays.
	Note(format string, args ...any)
	// Warn prints a warning line that stays.
	Warn(format string, args ...any)
}

// Env is where a run reports to.
type Env struct {
	// Progress is told what the run is doing; nil shows nothing.
	Progress Progress
	// Stderr receives the server's warnings during replay and the data
	// generator's progress; nil discards them.
	Stderr io.Writer
	// Terminal is set when Stderr is a terminal: progress is drawn there.
	Terminal bool
}

func (e Env) progress() Progress {
	if e.Progress == nil {
		return silent{}
	}
	return e.Progress
}

func (e Env) stderr() io.Writer {
	if e.Stderr == nil {
		return io.Discard
	}
	return e.Stderr
}

// lines returns a writer whose lines become status lines, or nil when
// nothing is drawn.
func (e Env) lines() io.Writer {
	if !e.Terminal {
		return nil
	}
	p := e.progress()
	return LineWriter(func(line string) { p.Stage("%s", line) })
}

// warn prints a warning line on Stderr, in plangate's words.
func (e Env) warn(format string, args ...any) {
	fmt.Fprintf(e.stderr(), "plangate: warning: "+format+"\n", args...)
}

type silent struct{}

func (silent) Stage(string, ...any) {}
func (silent) Note(string, ...any)  {}
func (silent) Warn(string, ...any)  {}

// LineWriter is an io.Writer that hands each line written to it to a
// function.
type LineWriter func(string)

func (f LineWriter) Write(b []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		f(string(line))
	}
	return len(b), nil
}
