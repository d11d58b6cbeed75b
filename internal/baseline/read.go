package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// Read reads and checks the baseline file at path. A missing file is a
// *NotFoundError, which matches errors.Is(err, fs.ErrNotExist); a file in a
// newer format is a *VersionError; anything else wrong with the content is
// a *DecodeError that names the line.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &NotFoundError{Path: path, Err: err}
		}
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes a baseline from data, named path in errors. It is strict:
// unknown keys, repeated keys, unknown metrics and repeated query names are
// errors, so that a typo in a hand-edited baseline never passes unseen.
func Parse(path string, data []byte) (*File, error) {
	// The version comes first: a newer file may well have keys this
	// plangate does not know, and "upgrade" is the useful message then.
	var head struct {
		FormatVersion *int `json:"format_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, jsonError(path, data, err)
	}
	switch {
	case head.FormatVersion == nil:
		return nil, &DecodeError{Path: path, Line: 1, Problem: "no format_version: this is not a plangate baseline"}
	case *head.FormatVersion != FormatVersion:
		return nil, &VersionError{Path: path, Version: *head.FormatVersion}
	}

	w := walker{path: path, data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	if err := w.value(fileShape(&w), "the file"); err != nil {
		return nil, err
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, jsonError(path, data, err)
	}
	if f.Queries == nil {
		return nil, &DecodeError{Path: path, Line: 1, Problem: `no "queries" list`}
	}
	seen := make(map[string]int, len(f.Queries))
	for i, q := range f.Queries {
		line := w.queryLines[i]
		if q.Name == "" {
			return nil, &DecodeError{Path: path, Line: line, Problem: "a query has no name"}
		}
		if first, dup := seen[q.Name]; dup {
			return nil, &DecodeError{Path: path, Line: line,
				Problem: fmt.Sprintf("query %q is recorded twice (first at line %d)", q.Name, first)}
		}
		seen[q.Name] = line
		if len(q.Nodes) > 0 && len(q.Nodes) != len(q.Plan) {
			return nil, &DecodeError{Path: path, Line: line,
				Problem: fmt.Sprintf("query %q has %d node records for %d plan lines", q.Name, len(q.Nodes), len(q.Plan))}
		}
		// A node's depth and parent relationship are its plan line's.
		for j := range q.Nodes {
			q.Nodes[j].Depth = plan.ShapeDepth(q.Plan[j])
			q.Nodes[j].Relationship = plan.ShapeRelationship(q.Plan[j])
		}
	}
	return &f, nil
}

// jsonError turns an encoding/json error into a DecodeError with a line.
func jsonError(path string, data []byte, err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return &DecodeError{Path: path, Line: lineAt(data, syntax.Offset), Problem: "invalid JSON: " + syntax.Error()}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the file"
		}
		return &DecodeError{Path: path, Line: lineAt(data, typ.Offset),
			Problem: fmt.Sprintf("%s: got a JSON %s, want %s", field, typ.Value, typeName(typ.Type))}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &DecodeError{Path: path, Line: lineAt(data, int64(len(data))), Problem: "invalid JSON: unexpected end of file"}
	}
	return &DecodeError{Path: path, Problem: err.Error()}
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice:
		return "a list"
	}
	return t.String()
}

// lineAt returns the 1-based line holding the byte just before offset.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset > 0 {
		offset--
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// shape is what the walker expects of a JSON value: an object with known
// keys, an object with free keys, a list, a string, a number, or (all zero)
// anything.
type shape struct {
	what   string            // "a query", for messages
	fields map[string]*shape // an object with these keys
	order  []string          // the keys of fields, in the order the file is written in
	free   *shape            // an object with any keys, values of this shape
	check  func(key string) string
	elem   *shape // a list of these
	onElem func(line int)
	scalar string // "string" or "number"
}

func fileShape(w *walker) *shape {
	metrics := &shape{free: &shape{scalar: "number"}, check: func(key string) string {
		if gate.KnownMetric(key) {
			return ""
		}
		return fmt.Sprintf("unknown metric %q (known: %s)", key, strings.Join(gate.MetricNames(), ", "))
	}}
	node := structShape("a node", reflect.TypeFor[plan.NodeStat](), nil)
	query := structShape("a query", reflect.TypeFor[gate.Query](), map[string]*shape{"metrics": metrics, "nodes": {elem: node}})
	return structShape("the file", reflect.TypeFor[File](), map[string]*shape{
		"queries": {elem: query, onElem: func(line int) {
			w.queryLines = append(w.queryLines, line)
		}},
	})
}

// structShape is the shape of the JSON object a struct is written as: its
// keys, in field order, from the json tags, each value's shape from the
// field's type unless special names it.
func structShape(what string, t reflect.Type, special map[string]*shape) *shape {
	s := &shape{what: what, fields: map[string]*shape{}}
	for f := range t.Fields() {
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if key == "" || key == "-" {
			continue
		}
		s.order = append(s.order, key)
		if sp, ok := special[key]; ok {
			s.fields[key] = sp
			continue
		}
		s.fields[key] = typeShape(f.Type)
	}
	return s
}

// typeShape is the shape of a scalar, a list of them or a map to them.
func typeShape(t reflect.Type) *shape {
	switch t.Kind() {
	case reflect.String:
		return &shape{scalar: "string"}
	case reflect.Bool:
		return &shape{scalar: "boolean"}
	case reflect.Slice:
		return &shape{elem: typeShape(t.Elem())}
	case reflect.Map:
		return &shape{free: typeShape(t.Elem())}
	}
	return &shape{scalar: "number"}
}

// walker checks keys against shapes token by token, which, unlike
// encoding/json's own checks, knows the line of every key.
type walker struct {
	path       string
	data       []byte
	dec        *json.Decoder
	queryLines []int // the line each element of "queries" starts on
}

func (w *walker) fail(problem string) error {
	return &DecodeError{Path: w.path, Line: lineAt(w.data, w.dec.InputOffset()), Problem: problem}
}

// value checks the next value against s; label names it in messages.
func (w *walker) value(s *shape, label string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return jsonError(w.path, w.data, err)
	}
	delim, isDelim := tok.(json.Delim)
	switch {
	case isDelim && delim == '{' && (s.fields != nil || s.free != nil):
		return w.object(s)
	case isDelim && delim == '[' && s.elem != nil:
		for w.dec.More() {
			if s.onElem != nil {
				s.onElem(lineAt(w.data, w.dec.InputOffset()+w.leadingSpace()+1))
			}
			if err := w.value(s.elem, "an element of "+label); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil { // the closing ']'
			return jsonError(w.path, w.data, err)
		}
		return nil
	}
	want := s.scalar
	switch {
	case s.fields != nil || s.free != nil:
		want = "an object"
	case s.elem != nil:
		want = "a list"
	case want == "string":
		want = "a string"
	case want == "number":
		want = "a number"
	case want == "boolean":
		want = "a boolean"
	}
	got := "a number"
	switch tok.(type) {
	case json.Delim:
		got = "an object"
		if delim == '[' {
			got = "a list"
		}
	case string:
		got = "a string"
	case bool:
		got = "a boolean"
	case nil:
		got = "null"
	}
	if want != "" && got != want {
		return w.fail(fmt.Sprintf("%s is %s, want %s", label, got, want))
	}
	if isDelim {
		return w.skip()
	}
	return nil
}

// leadingSpace counts the white space between the decoder's position and the
// next token, so a list element's line is where it starts, not where the
// previous one ended.
func (w *walker) leadingSpace() int64 {
	n := int64(0)
	for i := w.dec.InputOffset(); i < int64(len(w.data)); i++ {
		switch w.data[i] {
		case ' ', '\t', '\r', '\n', ',':
			n++
			continue
		}
		break
	}
	return n
}

func (w *walker) object(s *shape) error {
	seen := make(map[string]bool)
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return jsonError(w.path, w.data, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return w.fail(fmt.Sprintf("key %q appears twice", key))
		}
		seen[key] = true
		var next *shape
		if s.fields != nil {
			next = s.fields[key]
			if next == nil {
				return w.fail(fmt.Sprintf("unknown key %q in %s (known: %s)", key, s.what, knownKeys(s)))
			}
		} else {
			if s.check != nil {
				if problem := s.check(key); problem != "" {
					return w.fail(problem)
				}
			}
			next = s.free
		}
		if err := w.value(next, strconv.Quote(key)); err != nil {
			return err
		}
	}
	if _, err := w.dec.Token(); err != nil { // the closing '}'
		return jsonError(w.path, w.data, err)
	}
	return nil
}

// skip consumes the rest of a list or object whose opening delimiter was
// just read.
func (w *walker) skip() error {
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return jsonError(w.path, w.data, err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

func knownKeys(s *shape) string {
	return strings.Join(s.order, ", ")
}
