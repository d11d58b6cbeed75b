package cli

import (
	"bytes"
	"fmt"
	"io"
	"time"
)

// progress shows what a long run is doing on one status line of a terminal,
// and stays quiet when stderr is not a terminal (CI logs).
type progress struct {
	w       io.Writer
	enabled bool
	start   time.Time
	shown   bool
}

func newProgress(s *streams) *progress {
	return &progress{w: s.err, enabled: s.errTTY, start: time.Now()}
}

func (p *progress) stage(format string, args ...any) {
	if !p.enabled {
		return
	}
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(p.w, "\r\033[K%5.1fs  %s", time.Since(p.start).Seconds(), msg)
	p.shown = true
}

// lines returns a writer whose lines become status lines.
func (p *progress) lines() io.Writer {
	if !p.enabled {
		return nil
	}
	return lineWriter(func(line string) { p.stage("%s", line) })
}

func (p *progress) done() {
	if p.enabled && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

type lineWriter func(string)

func (f lineWriter) Write(b []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		f(string(line))
	}
	return len(b), nil
}
