package capture

import "bytes"

// The csvlog columns read here; they have kept their places since
// PostgreSQL 9.0, later versions only add columns at the end.
const (
	csvSeverity = 11
	csvMessage  = 13
	csvDetail   = 14
	csvApp      = 22
	csvMinCols  = csvDetail + 1
)

// parseCSVLog reads a log in the csvlog format: one CSV record per entry,
// the message and its detail in their own columns. A record spans several
// lines when a quoted field holds newlines.
func parseCSVLog(lr *lineReader, c *logCollector) {
	var (
		fields  [csvApp + 1][]byte
		scratch [3][]byte
		record  []byte // a record that spans lines, gathered
		inside  bool   // a quoted field of record has not ended
		quotes  int
		start   int
	)
	handle := func(rec []byte) {
		n, ok := splitCSV(rec, fields[:])
		if !ok || n < csvMinCols {
			return
		}
		var app []byte
		if n > csvApp {
			app = unquoteCSV(fields[csvApp], &scratch[2])
		}
		c.record(fields[csvSeverity], unquoteCSV(fields[csvMessage], &scratch[0]),
			unquoteCSV(fields[csvDetail], &scratch[1]), app, start)
	}
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if !inside {
			start = lr.line
			quotes = bytes.Count(line, []byte{'"'})
			if quotes%2 == 0 {
				handle(line)
				continue
			}
			record = append(record[:0], line...)
			inside = true
			continue
		}
		record = append(record, '\n')
		record = append(record, line...)
		quotes += bytes.Count(line, []byte{'"'})
		if quotes%2 == 0 {
			handle(record)
			inside = false
		}
	}
	// A record still open at the end was cut short: it is left out.
}

// splitCSV splits one CSV record into up to len(fields) raw fields (quoted
// fields keep their quotes) and returns how many it found. A record with
// more fields fills fields and reports len(fields). It fails on a quote
// that does not close.
func splitCSV(rec []byte, fields [][]byte) (int, bool) {
	n := 0
	for pos := 0; n < len(fields); {
		if pos < len(rec) && rec[pos] == '"' {
			end := pos + 1
			for {
				i := bytes.IndexByte(rec[end:], '"')
				if i < 0 {
					return n, false
				}
				end += i + 1
				if end < len(rec) && rec[end] == '"' {
					end++
					continue
				}
				break
			}
			fields[n] = rec[pos:end]
			n++
			pos = end
		} else {
			i := bytes.IndexByte(rec[pos:], ',')
			if i < 0 {
				i = len(rec) - pos
			}
			fields[n] = rec[pos : pos+i]
			n++
			pos += i
		}
		if pos >= len(rec) {
			return n, true
		}
		if rec[pos] != ',' {
			return n, false
		}
		pos++
		if pos == len(rec) && n < len(fields) {
			fields[n] = nil
			return n + 1, true
		}
	}
	return n, true
}

// unquoteCSV returns the value of a raw CSV field, using *scratch when a
// doubled quote must be undone.
func unquoteCSV(f []byte, scratch *[]byte) []byte {
	if len(f) < 2 || f[0] != '"' {
		return f
	}
	f = f[1 : len(f)-1]
	if bytes.IndexByte(f, '"') < 0 {
		return f
	}
	b := (*scratch)[:0]
	for {
		i := bytes.Index(f, []byte(`""`))
		if i < 0 {
			b = append(b, f...)
			break
		}
		b = append(b, f[:i+1]...)
		f = f[i+2:]
	}
	*scratch = b
	return b
}

// looksLikeCSVLog reports whether line starts a csvlog record: a severity
// where csvlog puts it. The message that follows may go on over more lines.
func looksLikeCSVLog(line []byte) bool {
	var fields [csvSeverity + 1][]byte
	n, _ := splitCSV(line, fields[:])
	return n > csvSeverity && severityOf(fields[csvSeverity]) != sevNone
}
