package seed

import (
	"fmt"

	"github.com/jackc/pgx/v5"
)

// referenceGenerator is the reference generator: keys of another table's
// rows, evenly or Zipf-skewed.
func referenceGenerator() columnGenerator {
	return columnGenerator{settings: []string{"table", "column", "skew"}, parse: parseReference, compile: compileReference}
}

func parseReference(s *columnSettings) error {
	pr := s.params
	pr.table, pr.column, pr.skew = s.yaml.Table, s.yaml.Column, s.yaml.Skew
	if pr.table == "" {
		return s.errf("", "reference needs table (and column, when not the table's primary key), e.g. `{generator: reference, table: customers, column: id}`")
	}
	if pr.skew < 0 {
		return s.errf("skew", "skew must be 0 (every row referenced about equally) or above (Zipf exponent: a few rows referenced most)")
	}
	return nil
}

func compileReference(c *compiler, col genColumn) (compiled, error) {
	t, ci, p, st := col.t, col.info, col.p, col.st
	g, k, err := c.reference(t, ci, p, st)
	if err != nil {
		return compiled{}, err
	}
	comp := compiled{gen: g, kind: k}
	return comp, nil
}

// referenceGen picks a row of another table, evenly or Zipf-skewed, and
// gives that row's value of the referenced column.
type referenceGen struct {
	rows   int64
	z      *zipf
	parent generator // the referenced column's generator
	s      stream
}

func (g referenceGen) gen(row int64, v *val) {
	var k int64
	if g.z != nil {
		k = g.z.rank(g.s, row, 0)
	} else {
		k = 1 + int64(below(g.s.word(row, 0), uint64(g.rows)))
	}
	g.parent.gen(k, v)
}

// listGen gives the k-th of a fixed list of values (a table outside the
// spec, read from the database).
type listGen struct{ values []val }

func (g listGen) gen(row int64, v *val) {
	*v = copyVal(*v, &g.values[row-1])
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
