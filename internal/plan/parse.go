package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Parse reads the JSON that EXPLAIN (FORMAT JSON) prints: an array holding
// one object with a "Plan" key (a bare object is accepted too). Keys it does
// not model, or that only some PostgreSQL versions print, are kept in Extra;
// a known key of the wrong type, a missing "Plan" or "Node Type", or input
// that is not JSON is an error.
func Parse(data []byte) (*Plan, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("plan: empty input: want EXPLAIN (FORMAT JSON) output")
		}
		return nil, fmt.Errorf("plan: not JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("plan: unexpected data after the EXPLAIN JSON document")
	}

	var top map[string]any
	switch v := doc.(type) {
	case []any:
		if len(v) == 0 {
			return nil, errors.New("plan: empty JSON array: want EXPLAIN (FORMAT JSON) output")
		}
		if len(v) > 1 {
			return nil, fmt.Errorf("plan: %d plans in one document, want 1", len(v))
		}
		m, ok := v[0].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("plan: array holds %s, want an object with a \"Plan\" key", jsonType(v[0]))
		}
		top = m
	case map[string]any:
		top = v
	default:
		return nil, fmt.Errorf("plan: got %s, want EXPLAIN (FORMAT JSON) output", jsonType(doc))
	}

	rawRoot, ok := top["Plan"]
	if !ok || rawRoot == nil {
		return nil, errors.New(`plan: no "Plan" key: want EXPLAIN (FORMAT JSON) output`)
	}
	p := &Plan{}
	f := newFields(top)
	f.delete("Plan")
	hasExecutionTime := f.has("Execution Time")
	p.PlanningMS = f.float("Planning Time")
	p.ExecutionMS = f.float("Execution Time")
	p.Settings = f.settings("Settings")
	p.Triggers = f.triggers("Triggers")
	if planning := f.object("Planning"); planning != nil {
		pf := newFields(planning)
		b := pf.buffers()
		if pf.has("Memory Used") || pf.has("Memory Allocated") {
			p.PlanningMemory = &Memory{UsedKB: pf.int("Memory Used"), AllocatedKB: pf.int("Memory Allocated")}
		}
		if pf.err != nil {
			return nil, fmt.Errorf("plan: \"Planning\": %w", pf.err)
		}
		p.Planning = &b
	}
	if ser := f.object("Serialization"); ser != nil {
		sf := newFields(ser)
		p.Serialization = &Serialization{TimeMS: sf.float("Time"), OutputKB: sf.int("Output Volume"),
			Format: sf.str("Format"), Buffers: sf.buffers()}
		if sf.err != nil {
			return nil, fmt.Errorf("plan: \"Serialization\": %w", sf.err)
		}
	}
	if f.err != nil {
		return nil, fmt.Errorf("plan: %w", f.err)
	}
	p.Extra = f.rest()

	rootMap, ok := rawRoot.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("plan: \"Plan\" is %s, want an object", jsonType(rawRoot))
	}
	var seq int
	root, err := parseNode(rootMap, &seq)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	p.Root = root
	_, p.Analyzed = rootMap["Actual Loops"]
	p.Analyzed = p.Analyzed || hasExecutionTime
	_, p.HasBuffers = rootMap["Shared Hit Blocks"]
	_, p.HasWAL = rootMap["WAL Records"]
	return p, nil
}

// parseNode builds a node and its children; seq numbers nodes in pre-order
// from 1, for error messages.
func parseNode(m map[string]any, seq *int) (*Node, error) {
	*seq++
	id := *seq
	f := newFields(m)
	n := &Node{}
	nodeType, ok := f.take("Node Type").(string)
	if !ok {
		return nil, fmt.Errorf("node %d: no \"Node Type\" string: not a plan node", id)
	}
	n.NodeType = nodeType
	n.Strategy = f.str("Strategy")
	n.JoinType = f.str("Join Type")
	n.PartialMode = f.str("Partial Mode")
	n.ParentRelationship = f.str("Parent Relationship")
	n.SubplanName = f.str("Subplan Name")
	n.ParallelAware = f.boolean("Parallel Aware")
	n.ScanDirection = f.str("Scan Direction")
	n.RelationName = f.str("Relation Name")
	n.Schema = f.str("Schema")
	n.Alias = f.str("Alias")
	n.IndexName = f.str("Index Name")
	n.CTEName = f.str("CTE Name")
	n.FunctionName = f.str("Function Name")
	n.Operation = f.str("Operation")

	n.StartupCost = f.float("Startup Cost")
	n.TotalCost = f.float("Total Cost")
	n.PlanRows = f.float("Plan Rows")
	n.PlanWidth = int(f.int("Plan Width"))
	n.ActualStartupTime = f.float("Actual Startup Time")
	n.ActualTotalTime = f.float("Actual Total Time")
	n.ActualRows = f.float("Actual Rows")
	n.ActualLoops = f.float("Actual Loops")
	n.Disabled = f.boolean("Disabled")
	n.DisabledNodes = int(f.int("Disabled Nodes"))

	n.SortKey = f.strs("Sort Key")
	n.SortMethod = f.str("Sort Method")
	n.SortSpaceUsed = f.int("Sort Space Used")
	n.SortSpaceType = f.str("Sort Space Type")
	n.GroupKey = f.strs("Group Key")

	n.HashCond = f.str("Hash Cond")
	n.IndexCond = f.str("Index Cond")
	n.Filter = f.str("Filter")
	n.JoinFilter = f.str("Join Filter")
	n.MergeCond = f.str("Merge Cond")
	n.RecheckCond = f.str("Recheck Cond")
	n.RowsRemovedByFilter = f.float("Rows Removed by Filter")
	n.RowsRemovedByJoinFilter = f.float("Rows Removed by Join Filter")

	n.HashBuckets = int(f.int("Hash Buckets"))
	n.OriginalHashBuckets = int(f.int("Original Hash Buckets"))
	n.HashBatches = int(f.int("Hash Batches"))
	n.OriginalHashBatches = int(f.int("Original Hash Batches"))
	n.PeakMemoryUsage = f.int("Peak Memory Usage")
	n.DiskUsage = f.int("Disk Usage")
	n.HashAggBatches = int(f.int("HashAgg Batches"))

	n.Buffers = f.buffers()
	n.WALRecords = f.int("WAL Records")
	n.WALFPI = f.int("WAL FPI")
	n.WALBytes = f.int("WAL Bytes")
	n.WALBuffersFull = f.int("WAL Buffers Full")

	n.IndexSearches = f.int("Index Searches")
	n.StorageType = f.str("Storage")
	n.MaxStorage = f.int("Maximum Storage")
	n.CacheHits = f.int("Cache Hits")
	n.CacheMisses = f.int("Cache Misses")
	n.CacheEvictions = f.int("Cache Evictions")
	n.CacheOverflows = f.int("Cache Overflows")

	n.SubplansRemoved = int(f.int("Subplans Removed"))
	n.WorkersPlanned = int(f.int("Workers Planned"))
	n.WorkersLaunched = int(f.int("Workers Launched"))

	children := f.array("Plans")
	if f.err != nil {
		return nil, fmt.Errorf("node %d (%s): %w", id, n.NodeType, f.err)
	}
	n.Extra = f.rest()
	for i, c := range children {
		cm, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("node %d (%s): \"Plans\"[%d] is %s, want an object", id, n.NodeType, i, jsonType(c))
		}
		child, err := parseNode(cm, seq)
		if err != nil {
			return nil, err
		}
		n.Plans = append(n.Plans, child)
	}
	return n, nil
}

// fields reads typed values out of one JSON object. Every read removes the
// key, so what remains is the object's Extra; the first type error sticks
// and later reads return zero values.
type fields struct {
	m   map[string]any
	err error
}

func newFields(m map[string]any) *fields {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return &fields{m: c}
}

func (f *fields) has(key string) bool {
	v, ok := f.m[key]
	return ok && v != nil
}

func (f *fields) delete(key string) { delete(f.m, key) }

// take removes key and returns its value, nil when absent or JSON null.
func (f *fields) take(key string) any {
	v := f.m[key]
	delete(f.m, key)
	if f.err != nil {
		return nil
	}
	return v
}

func (f *fields) fail(key, want string, got any) {
	if f.err == nil {
		f.err = fmt.Errorf("%q: want %s, got %s", key, want, jsonType(got))
	}
}

func (f *fields) str(key string) string {
	v := f.take(key)
	if v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.fail(key, "a string", v)
	}
	return s
}

func (f *fields) boolean(key string) bool {
	v := f.take(key)
	if v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		f.fail(key, "true or false", v)
	}
	return b
}

func (f *fields) float(key string) float64 {
	v := f.take(key)
	if v == nil {
		return 0
	}
	num, ok := v.(json.Number)
	if !ok {
		f.fail(key, "a number", v)
		return 0
	}
	x, err := strconv.ParseFloat(string(num), 64)
	if err != nil || math.IsInf(x, 0) {
		if f.err == nil {
			f.err = fmt.Errorf("%q: number %s out of range", key, num)
		}
		return 0
	}
	return x
}

// int reads a count. Counts are integers in every PostgreSQL version seen so
// far; a fractional one is rounded rather than refused.
func (f *fields) int(key string) int64 {
	if !f.has(key) {
		f.delete(key)
		return 0
	}
	x := f.float(key)
	if x >= math.MaxInt64 || x <= math.MinInt64 {
		if f.err == nil {
			f.err = fmt.Errorf("%q: number %g out of range", key, x)
		}
		return 0
	}
	return int64(math.Round(x))
}

// strs reads a list of strings; a single string is taken as a list of one.
func (f *fields) strs(key string) []string {
	v := f.take(key)
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				f.fail(key, "a list of strings", e)
				return nil
			}
			out = append(out, s)
		}
		return out
	default:
		f.fail(key, "a list of strings", v)
		return nil
	}
}

func (f *fields) array(key string) []any {
	v := f.take(key)
	if v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		f.fail(key, "a list", v)
	}
	return a
}

func (f *fields) object(key string) map[string]any {
	v := f.take(key)
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		f.fail(key, "an object", v)
	}
	return m
}

func (f *fields) buffers() Buffers {
	return Buffers{
		SharedHitBlocks:     f.int("Shared Hit Blocks"),
		SharedReadBlocks:    f.int("Shared Read Blocks"),
		SharedDirtiedBlocks: f.int("Shared Dirtied Blocks"),
		SharedWrittenBlocks: f.int("Shared Written Blocks"),
		LocalHitBlocks:      f.int("Local Hit Blocks"),
		LocalReadBlocks:     f.int("Local Read Blocks"),
		LocalDirtiedBlocks:  f.int("Local Dirtied Blocks"),
		LocalWrittenBlocks:  f.int("Local Written Blocks"),
		TempReadBlocks:      f.int("Temp Read Blocks"),
		TempWrittenBlocks:   f.int("Temp Written Blocks"),
	}
}

// settings reads the "Settings" object; values are strings in PostgreSQL's
// output, anything else is kept in its JSON text form.
func (f *fields) settings(key string) map[string]string {
	m := f.object(key)
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = string(v)
		default:
			b, _ := json.Marshal(v)
			out[k] = string(b)
		}
	}
	return out
}

func (f *fields) triggers(key string) []Trigger {
	list := f.array(key)
	var out []Trigger
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			if f.err == nil {
				f.err = fmt.Errorf("%q[%d]: want an object, got %s", key, i, jsonType(e))
			}
			return nil
		}
		tf := newFields(m)
		t := Trigger{
			Name:           tf.str("Trigger Name"),
			ConstraintName: tf.str("Constraint Name"),
			Relation:       tf.str("Relation"),
			TimeMS:         tf.float("Time"),
			Calls:          tf.int("Calls"),
		}
		if tf.err != nil {
			if f.err == nil {
				f.err = fmt.Errorf("%q[%d]: %w", key, i, tf.err)
			}
			return nil
		}
		out = append(out, t)
	}
	return out
}

// rest returns the keys not read, with JSON numbers turned into float64.
func (f *fields) rest() map[string]any {
	if len(f.m) == 0 {
		return nil
	}
	for k, v := range f.m {
		f.m[k] = plain(v)
	}
	return f.m
}

// plain converts json.Number values into float64, keeping the number's text
// when it does not fit.
func plain(v any) any {
	switch v := v.(type) {
	case json.Number:
		x, err := strconv.ParseFloat(string(v), 64)
		if err != nil || math.IsInf(x, 0) {
			return string(v)
		}
		return x
	case []any:
		for i := range v {
			v[i] = plain(v[i])
		}
		return v
	case map[string]any:
		for k := range v {
			v[k] = plain(v[k])
		}
		return v
	default:
		return v
	}
}

// jsonType names the type of a decoded JSON value, with its article.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
