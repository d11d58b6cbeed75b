package capture

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// CaptureVersion is the major version of the capture JSONL format that
// ParseJSONL reads and that capture writers declare.
//
// A capture file may start with a header line, {"plangate_capture": 1},
// declaring the version of the format it was written in. The rules that let
// the format grow without breaking readers:
//
//   - A reader ignores keys it does not know, so a minor addition (a new
//     optional key, or a version such as 1.2) is read by every reader of
//     major version 1.
//   - A change that old readers would misread (a key that changes meaning,
//     a new required key) raises the major version, and a reader refuses a
//     file whose major version is higher than its own, with an error that
//     says to upgrade plangate.
//   - A file without a header is read as version 1.
const CaptureVersion = 1

// jsonlLine is one line of a capture file: a statement, or the header.
type jsonlLine struct {
	SQL    *string           `json:"sql"`
	Params []json.RawMessage `json:"params"`
	Name   string            `json:"name"`
	Group  string            `json:"group"`
	Source string            `json:"source"`
	Calls  int               `json:"calls"`
	// Count is the name "calls" had in the first captures; still read.
	Count int `json:"count"`
	// Version is set on the header line only.
	Version json.RawMessage `json:"plangate_capture"`
}

// ParseJSONL reads a capture file: one JSON object per line, each a
// statement as an application or the recording proxy captured it:
//
//	{"sql": "SELECT * FROM orders WHERE id = $1", "params": [42], "group": "GET /orders/:id"}
//
// "sql" is required; "params" holds the values bound to $1, $2, ... (a string
// as is, a number or boolean as its JSON text, null as SQL NULL, an object or
// array as its JSON text, for json and jsonb parameters); "name", "group",
// "source" fill the fields of Statement of the same names, and "calls" (how
// many times the statement ran; "count" in older captures) its Count. Blank
// lines are skipped, and an optional header line declares the format version
// (see CaptureVersion); it may appear again further down, as it does when
// captures are concatenated. path names the file in errors and in
// Statement.Source, which is "path:line" when the line gives none.
//
// Errors name the line, "path:line: ...", and say how to fix it.
func ParseJSONL(r io.Reader, path string) ([]Statement, error) {
	lr := newLineReader(r)
	var stmts []Statement
	for {
		raw, ok := lr.next()
		if !ok {
			break
		}
		if lr.line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		st, isStatement, err := parseJSONLLine(raw)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, lr.line, err)
		}
		if !isStatement {
			continue
		}
		if st.Source == "" {
			st.Source = path + ":" + strconv.Itoa(lr.line)
		}
		stmts = append(stmts, st)
	}
	if lr.err != nil {
		return nil, fmt.Errorf("%s:%d: read: %w", path, lr.line+1, lr.err)
	}
	return stmts, nil
}

// jsonlExample shows the form of a line in errors.
const jsonlExample = `{"sql": "SELECT ... WHERE id = $1", "params": [42]}`

// parseJSONLLine reads one non-blank line: a statement, or a header
// (isStatement false).
func parseJSONLLine(raw []byte) (st Statement, isStatement bool, err error) {
	if raw[0] != '{' {
		return st, false, fmt.Errorf("not a JSON object: each line must be one object like %s", jsonlExample)
	}
	var l jsonlLine
	if err := json.Unmarshal(raw, &l); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return st, false, fmt.Errorf("%q must be %s, not a JSON %s", typeErr.Field, jsonlFieldType(typeErr.Field), typeErr.Value)
		}
		return st, false, fmt.Errorf("invalid JSON: %w; each line must be one object like %s", err, jsonlExample)
	}
	if l.Version != nil {
		if err := checkCaptureVersion(l.Version); err != nil {
			return st, false, err
		}
		if l.SQL == nil {
			return st, false, nil
		}
	}
	if l.SQL == nil {
		return st, false, fmt.Errorf(`missing "sql": each line must be one object like %s`, jsonlExample)
	}
	if strings.TrimSpace(*l.SQL) == "" {
		return st, false, errors.New(`"sql" is empty: give the statement's text`)
	}
	if l.Calls == 0 {
		l.Calls = l.Count
	}
	if l.Calls < 0 {
		return st, false, fmt.Errorf(`"calls" is %d: give how many times the statement ran, 0 or more`, l.Calls)
	}
	st = Statement{Name: l.Name, SQL: *l.SQL, Group: l.Group, Source: l.Source, Count: l.Calls}
	if l.Params != nil {
		st.Params = make([]Param, len(l.Params))
		for i, v := range l.Params {
			if st.Params[i], err = jsonParam(v); err != nil {
				return st, false, fmt.Errorf("params[%d] ($%d): %w", i, i+1, err)
			}
		}
	}
	return st, true, nil
}

// jsonlFieldType says what a field of a capture line must hold.
func jsonlFieldType(field string) string {
	switch field {
	case "params":
		return "an array of values"
	case "count":
		return "a whole number"
	}
	return "a string"
}

// jsonParam turns one element of "params" into the text PostgreSQL would
// receive for it.
func jsonParam(v json.RawMessage) (Param, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0:
		return Param{}, errors.New("empty value")
	case string(v) == "null":
		return Param{Null: true}, nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return Param{}, err
		}
		return Param{Value: s}, nil
	case v[0] == '{' || v[0] == '[':
		var b bytes.Buffer
		if err := json.Compact(&b, v); err != nil {
			return Param{}, err
		}
		return Param{Value: b.String()}, nil
	}
	// A number or a boolean: its JSON text is its PostgreSQL text.
	return Param{Value: string(v)}, nil
}

// checkCaptureVersion accepts a header's version when this reader can read
// it: a number whose integer part, the major version, is 1.
func checkCaptureVersion(v json.RawMessage) error {
	n, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
	if err != nil || n < 1 || math.IsInf(n, 0) {
		return fmt.Errorf(`"plangate_capture" is %s: it must be the format version, a number such as %d`, v, CaptureVersion)
	}
	if major := math.Floor(n); major > CaptureVersion {
		return fmt.Errorf("capture format version %s is newer than this plangate reads (%d): upgrade plangate, or write the capture in version %d",
			v, CaptureVersion, CaptureVersion)
	}
	return nil
}
