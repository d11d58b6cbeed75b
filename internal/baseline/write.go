package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/plangate/plangate/internal/atomicfile"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/plan"
)

// Marshal returns the bytes Write would write for f: queries sorted by name,
// map keys sorted, two-space indentation, a trailing newline, metrics rounded
// to two decimals, timings left out, and nothing that changes between two
// recordings of the same results. f itself is not modified.
func Marshal(f *File) ([]byte, error) {
	out := File{
		FormatVersion: FormatVersion,
		Postgres:      f.Postgres,
		Settings:      f.Settings,
		Queries:       make([]gate.Query, 0, len(f.Queries)),
	}
	seen := make(map[string]bool, len(f.Queries))
	for _, q := range f.Queries {
		if q.Name == "" {
			return nil, errors.New("baseline: a query has no name")
		}
		if seen[q.Name] {
			return nil, fmt.Errorf("baseline: query %q: recorded twice; query names must be unique", q.Name)
		}
		seen[q.Name] = true
		metrics, err := storedMetrics(q.Metrics)
		if err != nil {
			return nil, fmt.Errorf("baseline: query %q: %w", q.Name, err)
		}
		q.Metrics = metrics
		nodes, err := storedNodes(q.Nodes, q.Plan)
		if err != nil {
			return nil, fmt.Errorf("baseline: query %q: %w", q.Name, err)
		}
		q.Nodes = nodes
		out.Queries = append(out.Queries, q)
	}
	slices.SortFunc(out.Queries, func(a, b gate.Query) int { return strings.Compare(a.Name, b.Name) })

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// SQL is full of < and >; escaping them would make the file unreadable.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return oneLineNodes(buf.Bytes()), nil
}

// oneLineNodes rewrites every object in a "nodes" list on one line, so that
// a node that changed is one changed line in a review. It relies on the
// layout of the indenting encoder: strings never span lines, and a "nodes"
// key line ends with the list's opening bracket.
func oneLineNodes(data []byte) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	var b strings.Builder
	b.Grow(len(data))
	inNodes, inObject := false, false
	var indent string
	var fields []string
	for _, line := range lines {
		body := strings.TrimSpace(line)
		switch {
		case !inNodes:
			b.WriteString(line)
			inNodes = body == `"nodes": [`
		case inObject:
			if body == "}" || body == "}," {
				b.WriteString(indent + "{" + strings.Join(fields, " ") + body + "\n")
				inObject, fields = false, nil
				continue
			}
			fields = append(fields, body)
		case body == "{":
			inObject = true
			indent = line[:len(line)-len(strings.TrimLeft(line, " "))]
		default: // the closing bracket
			b.WriteString(line)
			inNodes = false
		}
	}
	return []byte(b.String())
}

// storedMetrics returns the metrics as stored: known names only, timings
// dropped (they vary run to run and would make every re-recording a diff),
// values rounded to two decimals.
func storedMetrics(m map[string]float64) (map[string]float64, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]float64, len(m))
	for name, v := range m {
		if !gate.KnownMetric(name) {
			return nil, fmt.Errorf("unknown metric %q", name)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("metric %s: %v is not a number that can be stored", name, v)
		}
		if gate.IsTiming(name) {
			continue
		}
		out[name] = round(v)
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// round keeps two decimals, so that float noise (0.30000000000000004) never
// reaches the file. Values past 2^53 are integral already; rounding them
// could overflow.
func round(v float64) float64 {
	if math.Abs(v) < 1e15 {
		v = math.Round(v*100) / 100
	}
	if v == 0 {
		return 0 // no "-0"
	}
	return v
}

// Write writes f to path atomically: the bytes go to a temporary file in the
// same directory, are synced to disk, and the file is renamed over path, so
// a reader sees the old file or the new one and a failure leaves the old file
// as it was. An existing file keeps its permissions; a new one is 0644.
func Write(path string, f *File) error {
	data, err := Marshal(f)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(path, data); err != nil {
		return fmt.Errorf("baseline: write %s: %w", path, err)
	}
	return nil
}

// storedNodes returns the node records as stored: numbers rounded to two
// decimals, checked to be storable, and lined up with the plan.
func storedNodes(nodes []plan.NodeStat, shape []string) ([]plan.NodeStat, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	if len(nodes) != len(shape) {
		return nil, fmt.Errorf("%d node records for %d plan lines", len(nodes), len(shape))
	}
	out := make([]plan.NodeStat, len(nodes))
	for i, n := range nodes {
		for _, v := range []*float64{&n.Cost, &n.PlanRows, &n.ActualRows, &n.Loops, &n.SharedBlocks,
			&n.TempWrittenBytes, &n.WALBytes, &n.RowsRemovedByFilter, &n.RowsRemovedByJoinFilter, &n.SpillBytes} {
			if math.IsNaN(*v) || math.IsInf(*v, 0) {
				return nil, fmt.Errorf("node %d: %v is not a number that can be stored", i+1, *v)
			}
			*v = round(*v)
		}
		n.TimeMS = 0
		out[i] = n
	}
	return out, nil
}
