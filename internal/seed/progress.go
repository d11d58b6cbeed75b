package seed

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports a long step: on a terminal one line rewritten in place
// a few times a second, with rows/s and ETA; elsewhere (CI logs) a plain
// line every interval. Plain messages go between, on lines of their own.
type progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	label   string
	total   int64
	done    atomic.Int64
	start   time.Time
	stop    chan struct{}
	stopped chan struct{}
	drawn   bool // a terminal line is showing
}

func newProgress(w io.Writer, tty bool) *progress {
	p := &progress{w: w, tty: tty, now: time.Now, interval: 10 * time.Second}
	if tty {
		p.interval = 200 * time.Millisecond
	}
	return p
}

// logf prints a message on a line of its own.
func (p *progress) logf(format string, args ...any) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearLocked()
	fmt.Fprintf(p.w, "seed: "+format+"\n", args...)
	if p.stop != nil && p.tty {
		p.drawLocked()
	}
}

// begin starts reporting a step of total rows.
func (p *progress) begin(label string, total int64) {
	if p == nil || p.w == nil {
		return
	}
	p.mu.Lock()
	p.label, p.total, p.start = label, total, p.now()
	p.done.Store(0)
	p.stop, p.stopped = make(chan struct{}), make(chan struct{})
	stop, stopped := p.stop, p.stopped
	p.mu.Unlock()
	go func() {
		defer close(stopped)
		t := time.NewTicker(p.interval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				p.mu.Lock()
				p.clearLocked()
				p.drawLocked()
				if !p.tty {
					p.drawn = false
				}
				p.mu.Unlock()
			}
		}
	}()
}

// add counts n more rows done.
func (p *progress) add(n int64) {
	if p != nil {
		p.done.Add(n)
	}
}

// end stops reporting the step and prints its final line.
func (p *progress) end() {
	if p == nil || p.w == nil || p.stop == nil {
		return
	}
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stop = nil
	p.clearLocked()
	elapsed := p.now().Sub(p.start)
	done := p.done.Load()
	fmt.Fprintf(p.w, "seed: %s: %s rows in %s (%s rows/s)\n", p.label, humanCount(done), humanDuration(elapsed), humanCount(int64(rate(done, elapsed))))
}

func (p *progress) clearLocked() {
	if p.tty && p.drawn {
		io.WriteString(p.w, "\r\033[K")
		p.drawn = false
	}
}

func (p *progress) drawLocked() {
	line := p.line(p.done.Load(), p.now().Sub(p.start))
	if p.tty {
		io.WriteString(p.w, line)
		p.drawn = true
		return
	}
	io.WriteString(p.w, line+"\n")
}

// line renders the state of the step after elapsed with done rows done.
func (p *progress) line(done int64, elapsed time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed: %s: %s/%s rows", p.label, humanCount(done), humanCount(p.total))
	if p.total > 0 {
		fmt.Fprintf(&b, " (%d%%)", done*100/p.total)
	}
	r := rate(done, elapsed)
	fmt.Fprintf(&b, ", %s rows/s", humanCount(int64(r)))
	if r > 0 && done < p.total {
		eta := time.Duration(float64(p.total-done) / r * float64(time.Second))
		fmt.Fprintf(&b, ", ETA %s", humanDuration(eta))
	}
	return b.String()
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// humanCount writes 1234567 as 1.23M.
func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fG", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// humanDuration writes a duration to the tenth of a second below a minute,
// else as 1m05s.
func humanDuration(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	}
	return fmt.Sprintf("%dm%02ds", m, s)
}
