package capture

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// jsonlRecord is the form of a statement line as capture writers write it:
// the keys ParseJSONL reads, and two it ignores that say how the statement
// ran.
type jsonlRecord struct {
	SQL    string    `json:"sql"`
	Params []*string `json:"params,omitempty"`
	Name   string    `json:"name,omitempty"`
	Group  string    `json:"group,omitempty"`
	Source string    `json:"source,omitempty"`
	Calls  int       `json:"calls,omitempty"`
	// DurationMS is how long the statement took, in milliseconds.
	DurationMS float64 `json:"duration_ms,omitempty"`
	// Note says where the recording may differ from what was sent.
	Note string `json:"note,omitempty"`
}

// jsonlHeader is the header line capture writers start a file with.
var jsonlHeader = fmt.Sprintf("{\"plangate_capture\":%d}\n", CaptureVersion)

// appendJSONLLine appends the line for one statement to buf.
func appendJSONLLine(buf *bytes.Buffer, st Statement, d time.Duration, notes []string) error {
	rec := jsonlRecord{SQL: st.SQL, Name: st.Name, Group: st.Group, Source: st.Source, Calls: st.Count,
		DurationMS: float64(d.Microseconds()) / 1000, Note: strings.Join(notes, "; ")}
	if len(st.Params) > 0 {
		rec.Params = make([]*string, len(st.Params))
		for i, p := range st.Params {
			if !p.Null {
				rec.Params[i] = &p.Value
			}
		}
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	return enc.Encode(rec) // one line, newline included
}

// WriteJSONL writes statements as a capture file that ParseJSONL reads back
// to the same statements: the version header, then one line per statement,
// each value as a JSON string (its text form) or null.
func WriteJSONL(w io.Writer, stmts []Statement) error {
	var buf bytes.Buffer
	buf.WriteString(jsonlHeader)
	for _, st := range stmts {
		if err := appendJSONLLine(&buf, st, 0, nil); err != nil {
			return fmt.Errorf("capture: write: %w", err)
		}
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("capture: write: %w", err)
	}
	return nil
}

// recordingFlushDelay bounds how long an added statement waits in memory
// before it is written to the file: what a crash can lose.
const recordingFlushDelay = 50 * time.Millisecond

// Recording is a capture file being written as statements execute. Lines go
// first to PATH.partial, written out within a few milliseconds of each Add so
// that a crash loses little; Close gives the file its final name at once, so
// that PATH only ever holds a whole capture.
type Recording struct {
	path, partial string

	mu      sync.Mutex
	f       *os.File
	w       *bufio.Writer
	line    bytes.Buffer
	timer   *time.Timer
	pending bool
	n       int
	err     error
	closed  bool
}

// CreateRecording starts a capture file at path, writing to path.partial
// (replacing any left by an earlier run) until Close.
func CreateRecording(path string) (*Recording, error) {
	partial := path + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	r := &Recording{path: path, partial: partial, f: f, w: bufio.NewWriterSize(f, 64<<10)}
	r.timer = time.AfterFunc(time.Hour, r.flushPending)
	r.timer.Stop()
	r.w.WriteString(jsonlHeader)
	if err := r.w.Flush(); err != nil {
		f.Close()
		os.Remove(partial)
		return nil, fmt.Errorf("capture: %s: %w", partial, err)
	}
	return r, nil
}

// Path returns where the capture is being written until Close: path.partial.
func (r *Recording) Path() string { return r.partial }

// Add appends an execution. It is safe for concurrent use. After a write
// error it does nothing, and Close reports the error.
func (r *Recording) Add(e Execution) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.err != nil {
		return
	}
	r.line.Reset()
	if err := appendJSONLLine(&r.line, e.Statement, e.Duration, e.Notes); err != nil {
		r.err = fmt.Errorf("capture: %s: %w", r.partial, err)
		return
	}
	if _, err := r.w.Write(r.line.Bytes()); err != nil {
		r.err = fmt.Errorf("capture: %s: %w", r.partial, err)
		return
	}
	r.n++
	if !r.pending {
		r.pending = true
		r.timer.Reset(recordingFlushDelay)
	}
}

// Len returns the number of statements added so far.
func (r *Recording) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

func (r *Recording) flushPending() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending = false
	if r.closed || r.err != nil {
		return
	}
	if err := r.w.Flush(); err != nil {
		r.err = fmt.Errorf("capture: %s: %w", r.partial, err)
	}
}

// Close writes out what is left, syncs the file and renames it to its final
// path. On a write error it leaves the partial file in place and returns
// the error. Calling Close again does nothing.
func (r *Recording) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return r.err
	}
	r.closed = true
	r.timer.Stop()
	if r.err == nil {
		if err := r.w.Flush(); err != nil {
			r.err = fmt.Errorf("capture: %s: %w", r.partial, err)
		}
	}
	if r.err == nil {
		if err := r.f.Sync(); err != nil {
			r.err = fmt.Errorf("capture: %s: %w", r.partial, err)
		}
	}
	if err := r.f.Close(); err != nil && r.err == nil {
		r.err = fmt.Errorf("capture: %s: %w", r.partial, err)
	}
	if r.err != nil {
		return r.err
	}
	if err := os.Rename(r.partial, r.path); err != nil {
		r.err = fmt.Errorf("capture: %w", err)
		return r.err
	}
	// Make the rename itself durable.
	if d, err := os.Open(filepath.Dir(r.path)); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
