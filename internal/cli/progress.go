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

// note prints a line that stays, on a terminal or not.
func (p *progress) note(format string, args ...any) {
	p.clear()
	fmt.Fprintf(p.w, "plangate: "+format+"\n", args...)
}

// warn prints a warning line that stays.
func (p *progress) warn(format string, args ...any) {
	p.note("warning: "+format, args...)
}

func (p *progress) clear() {
	if p.enabled && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// lines returns a writer whose lines become status lines.
func (p *progress) lines() io.Writer {
	if !p.enabled {
		return nil
	}
	return lineWriter(func(line string) { p.stage("%s", line) })
}

func (p *progress) done() { p.clear() }

type lineWriter func(string)

func (f lineWriter) Write(b []byte) (int, error) {
	for _, line := range bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n")) {
		f(string(line))
	}
	return len(b), nil
}
