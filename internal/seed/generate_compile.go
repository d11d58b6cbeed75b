package seed

import (
	"context"
	"fmt"
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
	gen, ok := columnGenerators()[cs.Generator]
	if !ok {
		return compiled{}, c.errf(t, name, "unknown generator %q", cs.Generator)
	}
	comp, err := gen.compile(c, genColumn{t: t, info: ci, name: name, p: p, st: st})
	if err != nil {
		return compiled{}, err
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
