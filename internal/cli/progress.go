package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/plangate/plangate/internal/run"
)

// progress shows what a long run is doing on one status line of a terminal,
// and stays quiet when stderr is not a terminal (CI logs). It is the
// pipeline's run.Progress.
type progress struct {
	w       io.Writer
	enabled bool
	start   time.Time
	shown   bool
}

func newProgress(s *streams) *progress {
	return &progress{w: s.err, enabled: s.errTTY, start: time.Now()}
}

// env is the pipeline's view of the streams, reporting to p.
func (s *streams) env(p *progress) run.Env {
	return run.Env{Progress: p, Stderr: s.err, Terminal: s.errTTY}
}

// Stage replaces the status line.
func (p *progress) Stage(format string, args ...any) {
	if !p.enabled {
		return
	}
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(p.w, "\r\033[K%5.1fs  %s", time.Since(p.start).Seconds(), msg)
	p.shown = true
}

// Note prints a line that stays, on a terminal or not.
func (p *progress) Note(format string, args ...any) {
	p.clear()
	fmt.Fprintf(p.w, "plangate: "+format+"\n", args...)
}

// Warn prints a warning line that stays.
func (p *progress) Warn(format string, args ...any) {
	p.Note("warning: "+format, args...)
}

func (p *progress) clear() {
	if p.enabled && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *progress) done() { p.clear() }
