package capture

import (
	"bytes"
	"encoding/json"
)

// parseJSONLog reads a log in the jsonlog format of PostgreSQL 15 and later:
// one JSON object per line, with error_severity, message, detail and
// application_name among its keys. Lines that are not such objects are
// skipped.
func parseJSONLog(lr *lineReader, c *logCollector) {
	var e jsonLogEntry
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if !e.parse(line) {
			continue
		}
		c.record(e.severity, e.message, e.detail, e.app, lr.line)
	}
}

// jsonLogEntry holds the keys of a jsonlog object that matter here. Its
// slices point into the line, or into its own buffers where a string had
// escapes to undo.
type jsonLogEntry struct {
	severity, message, detail, app []byte
	scratch                        [4][]byte
}

// parse reads one jsonlog line. It is not a general JSON parser: it walks the
// top-level object, decoding only the strings it needs.
func (e *jsonLogEntry) parse(line []byte) bool {
	e.severity, e.message, e.detail, e.app = nil, nil, nil, nil
	i := skipJSONSpace(line, 0)
	if i >= len(line) || line[i] != '{' {
		return false
	}
	i = skipJSONSpace(line, i+1)
	if i < len(line) && line[i] == '}' {
		return true
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return false
		}
		keyEnd, _, ok := scanJSONString(line, i)
		if !ok {
			return false
		}
		key := line[i+1 : keyEnd-1]
		i = skipJSONSpace(line, keyEnd)
		if i >= len(line) || line[i] != ':' {
			return false
		}
		i = skipJSONSpace(line, i+1)
		var dst *[]byte
		var scratch *[]byte
		switch string(key) {
		case "error_severity":
			dst, scratch = &e.severity, &e.scratch[0]
		case "message":
			dst, scratch = &e.message, &e.scratch[1]
		case "detail":
			dst, scratch = &e.detail, &e.scratch[2]
		case "application_name":
			dst, scratch = &e.app, &e.scratch[3]
		}
		if dst != nil && i < len(line) && line[i] == '"' {
			end, escaped, ok := scanJSONString(line, i)
			if !ok {
				return false
			}
			if !escaped {
				*dst = line[i+1 : end-1]
			} else {
				var s string
				if json.Unmarshal(line[i:end], &s) != nil {
					return false
				}
				*scratch = append((*scratch)[:0], s...)
				*dst = *scratch
			}
			i = end
		} else if i, ok = skipJSONValue(line, i); !ok {
			return false
		}
		i = skipJSONSpace(line, i)
		if i >= len(line) {
			return false
		}
		switch line[i] {
		case ',':
			i = skipJSONSpace(line, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
}

func skipJSONSpace(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// scanJSONString returns the index just past the string that starts at
// s[i] == '"', and whether it holds escapes.
func scanJSONString(s []byte, i int) (int, bool, bool) {
	escaped := false
	for j := i + 1; ; {
		k := bytes.IndexByte(s[j:], '"')
		if k < 0 {
			return 0, false, false
		}
		k += j
		backslashes := 0
		for b := k - 1; b > i && s[b] == '\\'; b-- {
			backslashes++
		}
		if backslashes > 0 {
			escaped = true
		}
		if backslashes%2 == 0 {
			if !escaped {
				escaped = bytes.IndexByte(s[i+1:k], '\\') >= 0
			}
			return k + 1, escaped, true
		}
		j = k + 1
	}
}

// skipJSONValue returns the index just past the JSON value at s[i]: a
// string, or anything else up to the comma or closing bracket that ends it,
// minding nested strings, objects and arrays.
func skipJSONValue(s []byte, i int) (int, bool) {
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '"':
			end, _, ok := scanJSONString(s, i)
			if !ok {
				return 0, false
			}
			i = end
			if depth == 0 {
				return i, true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case ',':
			if depth == 0 {
				return i, true
			}
		}
		i++
	}
	return i, depth == 0
}
