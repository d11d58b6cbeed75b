package seed

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// compiled is a column's generator and the kind of value it gives.
type compiled struct {
	gen generator
	// base is gen without its NULLs: what a reference to the column picks
	// from, since a referenced key is never NULL.
	base generator
	kind kind
}

// compiler turns spec columns, with the catalog's types, into generators.
// One pass builds one set of generators; each load worker gets its own
// pass, since some generators keep scratch space.
type compiler struct {
	ctx    context.Context
	conn   *pgx.Conn // for tables outside the spec; nil once they are read
	file   string
	seed   int64
	tables map[string]*tableInfo // by spec name
	lists  map[string][]val      // values of referenced tables outside the spec

	memo     map[string]compiled
	visiting map[string]bool
}

func (c *compiler) newPass() {
	c.memo = map[string]compiled{}
	c.visiting = map[string]bool{}
}

func (c *compiler) errf(t *tableInfo, column, format string, args ...any) error {
	return &SpecError{File: c.file, Table: t.spec.Name, Column: column, Problem: fmt.Sprintf(format, args...)}
}

// columns compiles the spec columns of t, in the table's column order.
func (c *compiler) columns(t *tableInfo) ([]column, error) {
	var out []column
	for _, cs := range t.spec.Columns {
		if t.column(cs.Name) == nil {
			var names []string
			for _, ci := range t.columns {
				names = append(names, ci.name)
			}
			return nil, c.errf(t, cs.Name, "no such column in table %q%s", t.spec.Name, suggest(cs.Name, names))
		}
	}
	for _, ci := range t.columns {
		cs := t.specColumn(ci.name)
		if cs == nil {
			continue
		}
		comp, err := c.column(t, ci.name)
		if err != nil {
			return nil, err
		}
		out = append(out, column{name: ci.name, class: ci.class, typmod: ci.typmod, typ: ci.typ, gen: comp.gen})
	}
	return out, nil
}

func (t *tableInfo) specColumn(name string) *ColumnSpec {
	for i := range t.spec.Columns {
		if t.spec.Columns[i].Name == name {
			return &t.spec.Columns[i]
		}
	}
	return nil
}

// column compiles one column of t, following references and correlations.
func (c *compiler) column(t *tableInfo, name string) (compiled, error) {
	key := t.spec.Name + "\x00" + name
	if comp, ok := c.memo[key]; ok {
		return comp, nil
	}
	if c.visiting[key] {
		return compiled{}, c.errf(t, name, "references loop back to this column: one of them needs its own generator")
	}
	c.visiting[key] = true
	defer delete(c.visiting, key)

	ci := t.column(name)
	cs := t.specColumn(name)
	if ci == nil || cs == nil {
		return compiled{}, c.errf(t, name, "no generator for this column")
	}
	if ci.generated {
		return compiled{}, c.errf(t, name, "is a generated column (GENERATED ALWAYS AS): remove it from the spec; the server computes it")
	}
	p := &cs.p
	st := stream(salt(c.seed, t.spec.Name, name, "value"))
	var comp compiled
	switch cs.Generator {
	case "sequence":
		comp = compiled{gen: sequenceGen{start: p.start, step: p.step}, kind: kInt}
	case "uniform":
		integral := ci.class.integral()
		if integral && !p.sorted && math.Ceil(p.min) > math.Floor(p.max) {
			return compiled{}, c.errf(t, name, "no whole number between min %g and max %g for an integer column", p.min, p.max)
		}
		comp = compiled{gen: uniformGen{min: p.min, max: p.max, integral: integral, sorted: p.sorted, rows: t.rows, s: st}, kind: kFloat}
		if integral {
			comp.kind = kInt
		}
	case "normal":
		integral := ci.class.integral()
		comp = compiled{gen: normalGen{mean: p.mean, stddev: p.stddev, min: p.min, max: p.max, hasMin: p.hasMin, hasMax: p.hasMax, integral: integral, s: st}, kind: kFloat}
		if integral {
			comp.kind = kInt
		}
	case "zipf":
		n := int64(p.max-p.min) + 1
		comp = compiled{gen: zipfGen{min: int64(p.min), z: newZipf(n, p.skew), s: st}, kind: kInt}
	case "category":
		cat, k, err := c.category(t, ci, p.choices, st)
		if err != nil {
			return compiled{}, err
		}
		comp = compiled{gen: cat, kind: k}
	case "text":
		if limit := int(ci.typmod) - 4; (strings.HasPrefix(ci.typ, "character varying") || strings.HasPrefix(ci.typ, "character(")) && ci.typmod >= 4 {
			if n := len([]rune(p.prefix)) + p.maxLength + len([]rune(p.suffix)); n > limit {
				return compiled{}, c.errf(t, name, "text up to %d characters does not fit %s: lower max_length", n, ci.typ)
			}
		}
		g := textGen{minLen: p.minLength, maxLen: p.maxLength, prefix: p.prefix, suffix: p.suffix, distinct: p.distinct, unique: p.unique, s: st}
		if p.distinct > 0 && p.skew > 0 {
			z := newZipf(p.distinct, p.skew)
			g.z = &z
		}
		comp = compiled{gen: g, kind: kBytes}
	case "timestamp":
		comp = compiled{gen: timestampGen{min: p.minTime, max: p.maxTime, sorted: p.sorted, rows: t.rows, s: st}, kind: kTime}
	case "uuid":
		comp = compiled{gen: uuidGen{s: st}, kind: kUUID}
	case "reference":
		g, k, err := c.reference(t, ci, p, st)
		if err != nil {
			return compiled{}, err
		}
		comp = compiled{gen: g, kind: k}
	case "correlated":
		with, err := c.column(t, p.with)
		if err != nil {
			return compiled{}, err
		}
		if p.choices != nil {
			cat, k, err := c.category(t, ci, p.choices, stream(salt(c.seed, t.spec.Name, name, "fallback")))
			if err != nil {
				return compiled{}, err
			}
			comp = compiled{gen: mappedGen{with: with.gen, strength: p.strength, cat: cat, scratch: &val{}, s: st}, kind: k}
			break
		}
		g := offsetGen{with: with.gen, min: p.minOffset.n, max: p.maxOffset.n, integral: ci.class.integral(), s: st}
		switch with.kind {
		case kTime:
			if !p.minOffset.isTime && p.minOffset.n != 0 || !p.maxOffset.isTime && p.maxOffset.n != 0 {
				return compiled{}, c.errf(t, name, "follows timestamp column %q: give the offsets a unit, e.g. min_offset: 1h, max_offset: 3d", p.with)
			}
			comp = compiled{gen: g, kind: kTime}
		case kInt, kFloat:
			if p.minOffset.isTime || p.maxOffset.isTime {
				return compiled{}, c.errf(t, name, "follows numeric column %q: offsets must be plain numbers, not durations", p.with)
			}
			comp = compiled{gen: g, kind: kFloat}
			if g.integral {
				comp.kind = kInt
			}
		default:
			return compiled{}, c.errf(t, name, "follows column %q, whose values are not numbers or times: use values (a mapping) instead of offsets", p.with)
		}
	default:
		return compiled{}, c.errf(t, name, "unknown generator %q", cs.Generator)
	}
	if !ci.class.accepts(comp.kind) {
		return compiled{}, c.errf(t, name, "generator %q cannot fill a column of type %s%s", cs.Generator, ci.typ, generatorHint(ci.class))
	}
	comp.base = comp.gen
	if cs.NullFraction > 0 {
		if ci.notNull {
			return compiled{}, c.errf(t, name, "is NOT NULL: null_fraction must be 0")
		}
		comp.gen = nullable{frac: cs.NullFraction, coins: stream(salt(c.seed, t.spec.Name, name, "null")), inner: comp.gen}
	}
	c.memo[key] = comp
	return comp, nil
}

func generatorHint(cl class) string {
	switch {
	case cl.integral():
		return " (try sequence, uniform, normal, zipf or reference)"
	case cl.numeric():
		return " (try uniform or normal)"
	case cl.temporal():
		return " (try timestamp, or correlated with a timestamp column)"
	case cl == cUUID:
		return " (try uuid)"
	case cl == cBool:
		return " (try category with values [true, false])"
	}
	return ""
}

func (c *compiler) category(t *tableInfo, ci *columnInfo, choices []choice, st stream) (categoryGen, kind, error) {
	vals := make([]val, len(choices))
	weights := make([]float64, len(choices))
	for i, ch := range choices {
		v, err := literal(ci.class, ch.value)
		if err != nil {
			return categoryGen{}, 0, c.errf(t, ci.name, "value %v for a column of type %s", err, ci.typ)
		}
		vals[i], weights[i] = v, ch.weight
	}
	return newCategory(vals, weights, st), vals[0].kind, nil
}

// reference builds a foreign key column: rows of the referenced table
// picked evenly or Zipf-skewed, and that row's key.
func (c *compiler) reference(t *tableInfo, ci *columnInfo, p *params, st stream) (generator, kind, error) {
	var z *zipf
	parent, inSpec := c.tables[p.table]
	if inSpec {
		pcol := p.column
		if pcol == "" {
			pcol = parent.pkColumn
		}
		if pcol == "" {
			return nil, 0, c.errf(t, ci.name, "table %q has no single-column primary key: name the referenced column (column: ...)", p.table)
		}
		pci := parent.column(pcol)
		if pci == nil {
			return nil, 0, c.errf(t, ci.name, "table %q has no column %q", p.table, pcol)
		}
		if parent.rows == 0 {
			return nil, 0, c.errf(t, ci.name, "references table %q, which gets no rows", p.table)
		}
		if p.skew > 0 {
			zz := newZipf(parent.rows, p.skew)
			z = &zz
		}
		if parent.specColumn(pcol) != nil {
			pc, err := c.column(parent, pcol)
			if err != nil {
				return nil, 0, err
			}
			if !ci.class.accepts(pc.kind) {
				return nil, 0, c.errf(t, ci.name, "references %s.%s, whose values a column of type %s cannot hold", p.table, pcol, ci.typ)
			}
			return referenceGen{rows: parent.rows, z: z, parent: pc.base, s: st}, pc.kind, nil
		}
		if pci.hasSeq {
			// Filled by its identity or serial sequence, restarted with the
			// table: start, start+step, ...
			return referenceGen{rows: parent.rows, z: z, parent: sequenceGen{start: pci.seqStart, step: pci.seqStep}, s: st}, kInt, nil
		}
		return nil, 0, c.errf(t, ci.name, "references %s.%s, which the spec does not fill: give it a generator (sequence or uuid) in table %q", p.table, pcol, p.table)
	}
	values, err := c.externalValues(t, ci, p)
	if err != nil {
		return nil, 0, err
	}
	if p.skew > 0 {
		zz := newZipf(int64(len(values)), p.skew)
		z = &zz
	}
	return referenceGen{rows: int64(len(values)), z: z, parent: listGen{values: values}, s: st}, values[0].kind, nil
}

// externalValues reads the keys of a referenced table that the spec does
// not fill, in key order, converted for the referencing column.
func (c *compiler) externalValues(t *tableInfo, ci *columnInfo, p *params) ([]val, error) {
	key := p.table + "\x00" + p.column + "\x00" + fmt.Sprint(ci.class)
	if v, ok := c.lists[key]; ok {
		return v, nil
	}
	if c.conn == nil {
		return nil, c.errf(t, ci.name, "table %q was not read", p.table)
	}
	var qualified, pcol string
	err := c.conn.QueryRow(c.ctx, `
		SELECT format('%I.%I', n.nspname, r.relname),
		       coalesce((SELECT a.attname FROM pg_constraint con
		                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
		                 WHERE con.conrelid = r.oid AND con.contype = 'p' AND cardinality(con.conkey) = 1), '')
		FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE r.oid = to_regclass($1)`, quoteQualified(p.table)).Scan(&qualified, &pcol)
	if err == pgx.ErrNoRows {
		names, _ := userTables(c.ctx, c.conn)
		return nil, c.errf(t, ci.name, "references table %q, which is neither in the spec nor in the database%s", p.table, suggest(p.table, names))
	}
	if err != nil {
		return nil, fmt.Errorf("seed: table %q: column %q: %w", t.spec.Name, ci.name, err)
	}
	if p.column != "" {
		pcol = p.column
	}
	if pcol == "" {
		return nil, c.errf(t, ci.name, "table %q has no single-column primary key: name the referenced column (column: ...)", p.table)
	}
	id := pgx.Identifier{pcol}.Sanitize()
	rows, err := c.conn.Query(c.ctx, "SELECT "+id+"::text FROM "+qualified+" WHERE "+id+" IS NOT NULL ORDER BY "+id)
	if err != nil {
		return nil, fmt.Errorf("seed: table %q: column %q: read %s: %w", t.spec.Name, ci.name, p.table, err)
	}
	texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("seed: table %q: column %q: read %s: %w", t.spec.Name, ci.name, p.table, err)
	}
	if len(texts) == 0 {
		return nil, c.errf(t, ci.name, "references table %q, which is empty and not in the spec: seed it first or add it to the spec", p.table)
	}
	values := make([]val, len(texts))
	for i, s := range texts {
		if values[i], err = literal(ci.class, s); err != nil {
			return nil, c.errf(t, ci.name, "references %s.%s: %v for a column of type %s", p.table, pcol, err, ci.typ)
		}
	}
	c.lists[key] = values
	return values, nil
}

// defaultWarnings names the columns left to their defaults whose default
// differs from run to run, and refuses NOT NULL columns with no default.
func defaultWarnings(file string, t *tableInfo) ([]string, error) {
	var warnings []string
	for _, ci := range t.columns {
		if t.specColumn(ci.name) != nil || ci.generated {
			continue
		}
		if ci.notNull && !ci.hasDefault && !ci.hasSeq {
			return nil, &SpecError{File: file, Table: t.spec.Name, Column: ci.name,
				Problem: "is NOT NULL and has no default: add a generator for it"}
		}
		lower := strings.ToLower(ci.defaultSQL)
		for _, volatile := range []string{"now()", "random()", "gen_random_uuid()", "clock_timestamp()", "current_timestamp", "statement_timestamp()", "transaction_timestamp()", "uuid_generate"} {
			if strings.Contains(lower, volatile) {
				warnings = append(warnings, fmt.Sprintf("table %q: column %q takes its default %s, which differs from run to run: give it a generator for repeatable data", t.spec.Name, ci.name, ci.defaultSQL))
				break
			}
		}
	}
	sort.Strings(warnings)
	return warnings, nil
}
