package seed

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer the ticker goroutine may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgress_Line(t *testing.T) {
	p := &progress{label: "loading orders", total: 30_000_000}
	tests := []struct {
		name    string
		done    int64
		elapsed time.Duration
		want    string
	}{
		{"start", 0, 0, "seed: loading orders: 0/30.00M rows (0%), 0 rows/s"},
		{"under way", 12_000_000, 10 * time.Second, "seed: loading orders: 12.00M/30.00M rows (40%), 1.20M rows/s, ETA 15.0s"},
		{"long ETA", 1_000_000, 10 * time.Second, "seed: loading orders: 1.00M/30.00M rows (3%), 100.0k rows/s, ETA 4m50s"},
		{"done", 30_000_000, 20 * time.Second, "seed: loading orders: 30.00M/30.00M rows (100%), 1.50M rows/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.line(tt.done, tt.elapsed); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestProgress_Output(t *testing.T) {
	for _, tty := range []bool{false, true} {
		var out syncBuffer
		p := newProgress(&out, tty)
		p.interval = 5 * time.Millisecond
		p.begin("loading t", 100)
		p.add(40)
		time.Sleep(30 * time.Millisecond)
		p.logf("loaded t")
		p.add(60)
		p.end()
		s := out.String()
		if !strings.Contains(s, "seed: loading t: 40/100 rows (40%)") {
			t.Errorf("tty=%v: no periodic line in %q", tty, s)
		}
		if !strings.Contains(s, "seed: loaded t\n") || !strings.HasSuffix(s, "rows/s)\n") || !strings.Contains(s, "seed: loading t: 100 rows in ") {
			t.Errorf("tty=%v: messages or final line missing in %q", tty, s)
		}
		if got := strings.Contains(s, "\r\033[K"); got != tty {
			t.Errorf("tty=%v: line rewriting = %v in %q", tty, got, s)
		}
	}
	// No writer: every call is a no-op.
	var p *progress
	p.begin("x", 1)
	p.add(1)
	p.logf("x")
	p.end()
}
