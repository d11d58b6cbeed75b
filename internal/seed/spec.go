package seed

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SpecVersion is the data spec format version this package reads.
const SpecVersion = 1

// Spec is a data spec: how many rows each table gets and how each of its
// columns is filled. Columns the spec leaves out take their defaults.
//
// The file is YAML:
//
//	version: 1                  # required
//	seed: 42                    # optional; WithSeed overrides it
//	tables:
//	  customers:                # or app.customers; matched exactly
//	    rows: 2000000           # at scale 1
//	    columns:
//	      id:    {generator: sequence}
//	      email: {generator: text, unique: true, min_length: 13, max_length: 20, suffix: "@example.com"}
//	  orders:
//	    rows: 30000000
//	    columns:
//	      customer_id: {generator: reference, table: customers, skew: 0.8}
//
// Generators and their settings (every generator also takes null_fraction,
// the share of rows left NULL):
//
//	sequence    start (1), step (1): start, start+step, ...
//	uniform     min, max, sorted: evenly spread; whole numbers in integer
//	            columns; sorted values rise with the row number instead
//	normal      mean, stddev, min, max: bell-shaped, redrawn outside min..max
//	zipf        min (1), max, skew (1): min most frequent, then min+1, ...;
//	            P(k-th value) is proportional to 1/k^skew
//	category    values: a mapping of value to weight ({paid: 70, pending: 30})
//	            or a list of equally likely values
//	text        min_length (8), max_length (16), prefix, suffix; distinct N
//	            draws from N strings (skew > 0 makes some far more common);
//	            unique makes every value differ (min_length >= 13)
//	timestamp   min, max (2024-01-31, 2024-01-31 12:00:00 or RFC 3339, UTC),
//	            sorted
//	uuid        random version 4 UUIDs
//	reference   table, column (the table's primary key if left out), skew:
//	            a foreign key: rows of the other table picked evenly, or
//	            Zipf-skewed over its row order; a table outside the spec is
//	            read from the database
//	correlated  with (a column of the same table), and either min_offset and
//	            max_offset (numbers, or durations such as 90s, 36h, 7d, for
//	            a value at that distance from the other column's), or values
//	            and strength (0..1: the share of rows whose value is a fixed
//	            function of the other column's, the rest drawn from values)
//	histogram   values (most-common values and their shares of all rows, 0
//	            to 1), bounds (histogram bounds, lowest first: the other rows
//	            fill the buckets between them equally), sorted: a column as
//	            pg_stats describes it; `plangate stats spec` writes these
type Spec struct {
	// Path is the file the spec was read from; errors name it.
	Path string
	// Seed is the seed the spec asks for (`seed:`), used unless WithSeed
	// gives another.
	Seed int64
	// Tables are the spec's tables in the order the file lists them.
	Tables []TableSpec

	raw []byte
}

// TableSpec is one table of a data spec.
type TableSpec struct {
	// Name is the table's name as the spec gives it, optionally
	// schema-qualified ("app.events"); it is matched exactly, not case-folded.
	Name string
	// Rows is the row count at scale 1.
	Rows int64
	// Columns are the filled columns in the order the file lists them.
	Columns []ColumnSpec
}

// ColumnSpec is one column of a data spec.
type ColumnSpec struct {
	// Name is the column's name.
	Name string
	// Generator names how the column is filled: one of Generators.
	Generator string
	// NullFraction is the share of rows, 0 to 1, left NULL.
	NullFraction float64

	p params
	// line is where the column is defined, for messages about it.
	line int
}

// SpecError is a mistake in a data spec, or a mismatch between the spec
// and the database's schema.
type SpecError struct {
	// File is the spec's path.
	File string
	// Table and Column locate the mistake; either may be empty.
	Table, Column string
	// Line is the line of the spec the mistake is on, 0 when unknown.
	Line int
	// Problem says what is wrong and, where it can, how to fix it.
	Problem string
}

func (e *SpecError) Error() string {
	var b strings.Builder
	b.WriteString("seed: ")
	if e.File != "" {
		b.WriteString(e.File + ": ")
	}
	b.WriteString(located(e.Table, e.Column, e.Problem))
	return b.String()
}

// located prefixes msg with the table and column it is about, either of
// which may be empty: `table "orders": column "total": msg`.
func located(table, column, msg string) string {
	var b strings.Builder
	if table != "" {
		fmt.Fprintf(&b, "table %q: ", table)
	}
	if column != "" {
		fmt.Fprintf(&b, "column %q: ", column)
	}
	b.WriteString(msg)
	return b.String()
}

// LoadSpec reads and checks the data spec at path.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seed: data spec: %w", err)
	}
	return ParseSpec(path, data)
}

// ParseSpec checks and decodes a data spec; name is used in messages.
func ParseSpec(name string, data []byte) (*Spec, error) {
	p := specParser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, p.errf(nil, "", "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, p.errf(nil, "", "", "empty data spec: start it with `version: 1` and a `tables:` mapping")
	}
	spec, err := p.document(doc.Content[0])
	if err != nil {
		return nil, err
	}
	// The walk above gives precise messages; the strict decode is the
	// authority on what the format accepts.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var strict specYAML
	if err := dec.Decode(&strict); err != nil && !errors.Is(err, io.EOF) {
		return nil, p.errf(nil, "", "", "%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	spec.Path = name
	spec.raw = append([]byte(nil), data...)
	return spec, nil
}

// specYAML mirrors the format for the strict decode.
type specYAML struct {
	Version int                  `yaml:"version"`
	Seed    int64                `yaml:"seed"`
	Tables  map[string]tableYAML `yaml:"tables"`
}

type tableYAML struct {
	Rows    int64                 `yaml:"rows"`
	Columns map[string]columnYAML `yaml:"columns"`
}

type columnYAML struct {
	Generator    string    `yaml:"generator"`
	NullFraction float64   `yaml:"null_fraction"`
	Start        int64     `yaml:"start"`
	Step         int64     `yaml:"step"`
	Min          string    `yaml:"min"`
	Max          string    `yaml:"max"`
	Sorted       bool      `yaml:"sorted"`
	Mean         float64   `yaml:"mean"`
	Stddev       float64   `yaml:"stddev"`
	Skew         float64   `yaml:"skew"`
	Values       yaml.Node `yaml:"values"`
	MinLength    int       `yaml:"min_length"`
	MaxLength    int       `yaml:"max_length"`
	Distinct     int64     `yaml:"distinct"`
	Unique       bool      `yaml:"unique"`
	Prefix       string    `yaml:"prefix"`
	Suffix       string    `yaml:"suffix"`
	Table        string    `yaml:"table"`
	Column       string    `yaml:"column"`
	With         string    `yaml:"with"`
	MinOffset    string    `yaml:"min_offset"`
	MaxOffset    string    `yaml:"max_offset"`
	Strength     float64   `yaml:"strength"`
	Bounds       yaml.Node `yaml:"bounds"`
}

// params are a column's checked generator settings.
type params struct {
	start, step          int64
	min, max             float64 // uniform, normal (clamp), zipf
	hasMin, hasMax       bool
	minTime, maxTime     int64 // timestamp: microseconds since 1970-01-01 UTC
	sorted               bool
	mean, stddev         float64
	skew                 float64
	choices              []choice
	minLength, maxLength int
	distinct             int64
	unique               bool
	prefix, suffix       string
	table, column        string
	with                 string
	minOffset, maxOffset offset
	strength             float64
	bounds               []string // histogram
}

// choice is one value of a category with its weight.
type choice struct {
	value  string
	weight float64
}

type specParser struct {
	file string
}

func (p *specParser) errf(n *yaml.Node, table, column, format string, args ...any) *SpecError {
	e := &SpecError{File: p.file, Table: table, Column: column, Problem: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line = n.Line
	}
	return e
}

// mapping returns the key/value pairs of a mapping node, refusing duplicate
// and unknown keys.
func (p *specParser) mapping(n *yaml.Node, table, column, what string, known []string) ([][2]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n, table, column, "%s must be a mapping, not %s", what, describeNode(n))
	}
	seen := map[string]bool{}
	var pairs [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return nil, p.errf(k, table, column, "%q is given twice", k.Value)
		}
		seen[k.Value] = true
		if known != nil && !contains(known, k.Value) {
			return nil, p.errf(k, table, column, "unknown setting %q in %s%s", k.Value, what, suggest(k.Value, known))
		}
		pairs = append(pairs, [2]*yaml.Node{k, v})
	}
	return pairs, nil
}

func (p *specParser) document(root *yaml.Node) (*Spec, error) {
	pairs, err := p.mapping(root, "", "", "the data spec", []string{"version", "seed", "tables"})
	if err != nil {
		return nil, err
	}
	spec := &Spec{}
	var version, tables *yaml.Node
	for _, kv := range pairs {
		switch kv[0].Value {
		case "version":
			version = kv[1]
		case "seed":
			if err := kv[1].Decode(&spec.Seed); err != nil {
				return nil, p.errf(kv[1], "", "", "seed must be an integer, not %s", describeNode(kv[1]))
			}
		case "tables":
			tables = kv[1]
		}
	}
	if version == nil {
		return nil, p.errf(root, "", "", "missing `version: %d` at the top of the data spec", SpecVersion)
	}
	var v int
	if err := version.Decode(&v); err != nil || v != SpecVersion {
		return nil, p.errf(version, "", "", "version %s is not supported: this plangate reads `version: %d`", version.Value, SpecVersion)
	}
	if tables == nil || (tables.Kind == yaml.MappingNode && len(tables.Content) == 0) {
		return nil, p.errf(root, "", "", "no tables: add a `tables:` mapping of table name to rows and columns")
	}
	tpairs, err := p.mapping(tables, "", "", "tables", nil)
	if err != nil {
		return nil, err
	}
	for _, kv := range tpairs {
		t, err := p.table(kv[0].Value, kv[1])
		if err != nil {
			return nil, err
		}
		spec.Tables = append(spec.Tables, t)
	}
	if err := p.crossCheck(spec); err != nil {
		return nil, err
	}
	return spec, nil
}

func (p *specParser) table(name string, n *yaml.Node) (TableSpec, error) {
	t := TableSpec{Name: name}
	if name == "" {
		return t, p.errf(n, "", "", "a table has an empty name")
	}
	pairs, err := p.mapping(n, name, "", "a table", []string{"rows", "columns"})
	if err != nil {
		return t, err
	}
	hasRows := false
	var cols *yaml.Node
	for _, kv := range pairs {
		switch kv[0].Value {
		case "rows":
			hasRows = true
			f, err := p.number(kv[1], name, "", "rows")
			if err != nil {
				return t, err
			}
			if f < 0 || f != math.Trunc(f) || f > 1e15 {
				return t, p.errf(kv[1], name, "", "rows must be a whole number from 0 up, not %s", kv[1].Value)
			}
			t.Rows = int64(f)
		case "columns":
			cols = kv[1]
		}
	}
	if !hasRows {
		return t, p.errf(n, name, "", "missing `rows:` (how many rows the table gets at scale 1)")
	}
	if cols == nil {
		return t, p.errf(n, name, "", "missing `columns:` (a mapping of column name to generator)")
	}
	cpairs, err := p.mapping(cols, name, "", "columns", nil)
	if err != nil {
		return t, err
	}
	for _, kv := range cpairs {
		c, err := p.column(name, kv[0].Value, kv[1])
		if err != nil {
			return t, err
		}
		t.Columns = append(t.Columns, c)
	}
	return t, nil
}

func (p *specParser) column(table, name string, n *yaml.Node) (ColumnSpec, error) {
	c := ColumnSpec{Name: name, line: n.Line}
	if n.Kind == yaml.ScalarNode {
		return c, p.errf(n, table, name, "a column needs a mapping such as `{generator: %s}`, not %s", closestOr(n.Value, Generators, "uniform"), describeNode(n))
	}
	all := []string{"generator", "null_fraction"}
	generators := columnGenerators()
	for _, g := range Generators {
		for _, k := range generators[g].settings {
			if !contains(all, k) {
				all = append(all, k)
			}
		}
	}
	pairs, err := p.mapping(n, table, name, "a column", all)
	if err != nil {
		return c, err
	}
	set := map[string]*yaml.Node{}
	for _, kv := range pairs {
		set[kv[0].Value] = kv[1]
	}
	gen, ok := set["generator"]
	if !ok {
		return c, p.errf(n, table, name, "missing `generator:` (one of %s)", strings.Join(Generators, ", "))
	}
	c.Generator = gen.Value
	generator, ok := generators[c.Generator]
	allowed := generator.settings
	if !ok {
		return c, p.errf(gen, table, name, "unknown generator %q%s", gen.Value, suggestOr(gen.Value, Generators))
	}
	for _, kv := range pairs {
		k := kv[0].Value
		if k != "generator" && k != "null_fraction" && !contains(allowed, k) {
			hint := "it takes no settings besides null_fraction"
			if len(allowed) > 0 {
				hint = "it takes " + strings.Join(allowed, ", ")
			}
			return c, p.errf(kv[0], table, name, "generator %q does not take %q: %s", c.Generator, k, hint)
		}
	}
	var col columnYAML
	if err := n.Decode(&col); err != nil {
		return c, p.errf(n, table, name, "%s", cleanYAMLError(err))
	}
	c.NullFraction = col.NullFraction
	if c.NullFraction < 0 || c.NullFraction > 1 {
		return c, p.errf(set["null_fraction"], table, name, "null_fraction must be between 0 and 1, not %s", set["null_fraction"].Value)
	}
	return c, generator.parse(&columnSettings{p: p, table: table, name: name, node: n, set: set, yaml: col, params: &c.p})
}

// byName indexes items by their names and lists the names in order.
func byName[T any](items []T, name func(*T) string) (map[string]*T, []string) {
	index := make(map[string]*T, len(items))
	names := make([]string, 0, len(items))
	for i := range items {
		index[name(&items[i])] = &items[i]
		names = append(names, name(&items[i]))
	}
	return index, names
}

// crossCheck checks what one column says about others: a reference to a
// table of the spec names a column it fills, a correlated column follows a
// generated column of its own table, and correlations do not loop.
func (p *specParser) crossCheck(spec *Spec) error {
	tables, names := byName(spec.Tables, func(t *TableSpec) string { return t.Name })
	for _, t := range spec.Tables {
		cols, colNames := byName(t.Columns, func(c *ColumnSpec) string { return c.Name })
		for _, c := range t.Columns {
			switch c.Generator {
			case "reference":
				parent, ok := tables[c.p.table]
				if !ok {
					// A table outside the spec is read from the database;
					// a near miss of a spec table is almost surely a typo.
					if s := closest(c.p.table, names); s != "" {
						return &SpecError{File: p.file, Table: t.Name, Column: c.Name, Line: c.line,
							Problem: fmt.Sprintf("references table %q, which the spec does not fill (did you mean %q?)", c.p.table, s)}
					}
					continue
				}
				if c.p.column == "" {
					continue
				}
				var pcols []string
				found := false
				for _, pc := range parent.Columns {
					pcols = append(pcols, pc.Name)
					found = found || pc.Name == c.p.column
				}
				if !found && closest(c.p.column, pcols) != "" {
					return &SpecError{File: p.file, Table: t.Name, Column: c.Name, Line: c.line,
						Problem: fmt.Sprintf("references column %q of table %q, which the spec does not fill%s", c.p.column, parent.Name, suggest(c.p.column, pcols))}
				}
			case "correlated":
				if _, ok := cols[c.p.with]; !ok {
					return &SpecError{File: p.file, Table: t.Name, Column: c.Name, Line: c.line,
						Problem: fmt.Sprintf("follows column %q, which the spec does not fill in this table%s", c.p.with, suggest(c.p.with, colNames))}
				}
				seen := map[string]bool{c.Name: true}
				for cur := cols[c.p.with]; cur != nil && cur.Generator == "correlated"; cur = cols[cur.p.with] {
					if seen[cur.Name] {
						return &SpecError{File: p.file, Table: t.Name, Column: c.Name, Line: c.line,
							Problem: fmt.Sprintf("correlated columns follow each other in a loop through %q: one of them needs its own generator", cur.Name)}
					}
					seen[cur.Name] = true
				}
			}
		}
	}
	return nil
}

func describeNode(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return fmt.Sprintf("%q", n.Value)
}

func cleanYAMLError(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	s = strings.TrimPrefix(s, "unmarshal errors:\n")
	return strings.Join(strings.Fields(s), " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// closest returns the candidate nearest to s by edit distance, or "" when
// none is near enough to be a likely typo.
func closest(s string, candidates []string) string {
	best, bestD := "", math.MaxInt
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		if d := editDistance(strings.ToLower(s), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) <= 4 {
		limit = 1
	}
	if bestD > limit && !(strings.HasPrefix(best, s) || strings.HasPrefix(s, best)) {
		return ""
	}
	return best
}

func closestOr(s string, candidates []string, fallback string) string {
	if c := closest(s, candidates); c != "" {
		return c
	}
	return fallback
}

// suggest returns ` (did you mean "x"?)` for a near miss, else "".
func suggest(s string, candidates []string) string {
	if c := closest(s, candidates); c != "" {
		return fmt.Sprintf(" (did you mean %q?)", c)
	}
	return ""
}

// suggestOr suggests a near miss, or lists every candidate.
func suggestOr(s string, candidates []string) string {
	if c := suggest(s, candidates); c != "" {
		return c
	}
	return " (one of " + strings.Join(candidates, ", ") + ")"
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of neighbours each count one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

func (p *specParser) number(n *yaml.Node, table, column, what string) (float64, error) {
	if n.Kind != yaml.ScalarNode {
		return 0, p.errf(n, table, column, "%s must be a number, not %s", what, describeNode(n))
	}
	f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil {
		return 0, p.errf(n, table, column, "%s must be a number, not %q", what, n.Value)
	}
	return f, nil
}
