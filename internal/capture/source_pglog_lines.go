package capture

import (
	"bytes"
	"errors"
	"io"
)

// lineBufferSize is the initial read buffer of a lineReader: large enough
// that reads are few and most lines are returned without copying.
const lineBufferSize = 256 << 10

// lineReader splits a stream into lines without a per-line allocation. A
// returned line is valid until the next call to next; it has no trailing
// "\n" or "\r\n". Lines of any length are returned whole: the buffer grows to
// hold them.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int
	eof        bool
	err        error
	// line is the 1-based number of the line last returned by next.
	line int
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: make([]byte, lineBufferSize)}
}

// fill reads more input after compacting the buffer, growing it when full.
// It returns false at the end of input or on a read error (kept in lr.err).
func (lr *lineReader) fill() bool {
	if lr.eof {
		return false
	}
	if lr.start > 0 {
		lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.start = 0
	}
	if lr.end == len(lr.buf) {
		grown := make([]byte, 2*len(lr.buf))
		copy(grown, lr.buf[:lr.end])
		lr.buf = grown
	}
	for range 100 {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			lr.eof = true
			if !errors.Is(err, io.EOF) {
				lr.err = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
	lr.eof, lr.err = true, io.ErrNoProgress
	return false
}

// peek returns up to n bytes of the input that next has not returned yet,
// without consuming them.
func (lr *lineReader) peek(n int) []byte {
	for lr.end-lr.start < n && lr.fill() {
	}
	if lr.end-lr.start < n {
		n = lr.end - lr.start
	}
	return lr.buf[lr.start : lr.start+n]
}

// next returns the next line, or false at the end of input or on a read
// error (see lr.err).
func (lr *lineReader) next() ([]byte, bool) {
	scanned := 0
	for {
		if i := bytes.IndexByte(lr.buf[lr.start+scanned:lr.end], '\n'); i >= 0 {
			end := lr.start + scanned + i
			line := lr.buf[lr.start:end]
			lr.start = end + 1
			lr.line++
			return trimCR(line), true
		}
		scanned = lr.end - lr.start
		if !lr.fill() {
			if lr.start == lr.end {
				return nil, false
			}
			line := lr.buf[lr.start:lr.end]
			lr.start = lr.end
			lr.line++
			return trimCR(line), true
		}
	}
}

func trimCR(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\r' {
		return line[:n-1]
	}
	return line
}
