package seed

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// tableInfo is a spec table as the database defines it.
type tableInfo struct {
	spec      *TableSpec
	oid       uint32
	schema    string
	name      string
	qualified string // quoted, schema-qualified
	relkind   string
	columns   []columnInfo
	pkColumn  string // the single-column primary key, if any
	rows      int64  // rows to generate, after scaling
}

// columnInfo is one column of a table as the catalog describes it.
type columnInfo struct {
	name       string
	attnum     int16
	class      class
	typmod     int32
	typ        string // format_type
	notNull    bool
	hasDefault bool
	defaultSQL string
	generated  bool
	// seqStart and seqStep describe the identity or serial sequence
	// filling the column, when it has one.
	hasSeq            bool
	seqStart, seqStep int64
}

func (t *tableInfo) column(name string) *columnInfo {
	for i := range t.columns {
		if t.columns[i].name == name {
			return &t.columns[i]
		}
	}
	return nil
}

// quoteQualified quotes a table name as a spec writes it: "events" or
// "app.events", each part taken literally.
func quoteQualified(name string) string {
	if schema, table, ok := strings.Cut(name, "."); ok {
		return pgx.Identifier{schema, table}.Sanitize()
	}
	return pgx.Identifier{name}.Sanitize()
}

// resolveTable finds a spec table in the database and reads its columns.
func resolveTable(ctx context.Context, conn *pgx.Conn, file string, ts *TableSpec) (*tableInfo, error) {
	t := &tableInfo{spec: ts}
	err := conn.QueryRow(ctx, `
		SELECT c.oid, n.nspname, c.relname, c.relkind::text
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1)`, quoteQualified(ts.Name)).Scan(&t.oid, &t.schema, &t.name, &t.relkind)
	if err == pgx.ErrNoRows {
		names, _ := userTables(ctx, conn)
		return nil, &SpecError{File: file, Table: ts.Name, Problem: "no such table in the database" + suggestOr2(ts.Name, names, ": apply the schema first (--schema)")}
	}
	if err != nil {
		return nil, fmt.Errorf("seed: table %q: %w", ts.Name, err)
	}
	if t.relkind != "r" && t.relkind != "p" {
		return nil, &SpecError{File: file, Table: ts.Name, Problem: "is not a table (views and other relations cannot be seeded)"}
	}
	t.qualified = pgx.Identifier{t.schema, t.name}.Sanitize()

	rows, err := conn.Query(ctx, `
		SELECT a.attname, a.attnum, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod),
		       a.attnotnull, a.atthasdef, coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
		       a.attgenerated <> '',
		       s.seqstart IS NOT NULL, coalesce(s.seqstart, 0), coalesce(s.seqincrement, 0)
		FROM pg_attribute a
		LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		LEFT JOIN pg_sequence s ON s.seqrelid = pg_get_serial_sequence($2, a.attname)::regclass
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, t.oid, t.qualified)
	if err != nil {
		return nil, fmt.Errorf("seed: table %q: columns: %w", ts.Name, err)
	}
	type raw struct {
		columnInfo
		typeOID uint32
	}
	var cols []raw
	for rows.Next() {
		var c raw
		if err := rows.Scan(&c.name, &c.attnum, &c.typeOID, &c.typmod, &c.typ, &c.notNull, &c.hasDefault,
			&c.defaultSQL, &c.generated, &c.hasSeq, &c.seqStart, &c.seqStep); err != nil {
			rows.Close()
			return nil, fmt.Errorf("seed: table %q: columns: %w", ts.Name, err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: table %q: columns: %w", ts.Name, err)
	}
	for _, c := range cols {
		base, typmod, err := baseType(ctx, conn, c.typeOID, c.typmod)
		if err != nil {
			return nil, fmt.Errorf("seed: table %q: column %q: %w", ts.Name, c.name, err)
		}
		c.class, c.typmod = classOf(base), typmod
		t.columns = append(t.columns, c.columnInfo)
	}
	err = conn.QueryRow(ctx, `
		SELECT a.attname FROM pg_constraint con
		JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = con.conkey[1]
		WHERE con.conrelid = $1 AND con.contype = 'p' AND cardinality(con.conkey) = 1`, t.oid).Scan(&t.pkColumn)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("seed: table %q: primary key: %w", ts.Name, err)
	}
	return t, nil
}

// baseType follows domains down to the type that stores the value.
func baseType(ctx context.Context, conn *pgx.Conn, oid uint32, typmod int32) (uint32, int32, error) {
	for range 32 {
		var typtype string
		var base uint32
		var baseMod int32
		if err := conn.QueryRow(ctx, `SELECT typtype::text, typbasetype, typtypmod FROM pg_type WHERE oid = $1`, oid).Scan(&typtype, &base, &baseMod); err != nil {
			return 0, 0, err
		}
		if typtype != "d" {
			return oid, typmod, nil
		}
		oid, typmod = base, baseMod
	}
	return 0, 0, fmt.Errorf("domain nesting too deep")
}

func userTables(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, `
		SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func suggestOr2(s string, candidates []string, otherwise string) string {
	if c := suggest(s, candidates); c != "" {
		return c
	}
	return otherwise
}

// indexDef is an index of a spec table, as it must be rebuilt.
type indexDef struct {
	table      *tableInfo
	name       string // quoted, schema-qualified
	bare       string // the index's own name
	createSQL  string // pg_get_indexdef
	constraint string // name of the constraint it backs, if any
	contype    string // p, u or x
	conDef     string // pg_get_constraintdef
	// byConstraint is set when the index can only be rebuilt by ADD
	// CONSTRAINT (exclusion and deferrable constraints, partitioned tables).
	byConstraint bool
	clustered    bool
	replident    bool
}

// fkDef is a foreign key touching a spec table.
type fkDef struct {
	name   string
	table  string // quoted, schema-qualified
	def    string // pg_get_constraintdef
	parent string
}

// readIndexes lists the indexes of the given tables, except those a
// partitioned parent's index owns (they come back with their parent).
func readIndexes(ctx context.Context, conn *pgx.Conn, tables []*tableInfo) ([]indexDef, error) {
	byOID := map[uint32]*tableInfo{}
	var oids []uint32
	for _, t := range tables {
		byOID[t.oid] = t
		oids = append(oids, t.oid)
	}
	rows, err := conn.Query(ctx, `
		SELECT i.indrelid, format('%I.%I', n.nspname, ic.relname), ic.relname, pg_get_indexdef(i.indexrelid),
		       coalesce(con.conname, ''), coalesce(con.contype::text, ''),
		       coalesce(pg_get_constraintdef(con.oid), ''), coalesce(con.condeferrable, false),
		       i.indisclustered, i.indisreplident, ic.relkind::text
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = ic.relnamespace
		LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
		WHERE i.indrelid = ANY($1)
		  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
		ORDER BY ic.relname`, oids)
	if err != nil {
		return nil, fmt.Errorf("seed: read indexes: %w", err)
	}
	defer rows.Close()
	var out []indexDef
	for rows.Next() {
		var d indexDef
		var rel uint32
		var deferrable bool
		var relkind string
		if err := rows.Scan(&rel, &d.name, &d.bare, &d.createSQL, &d.constraint, &d.contype, &d.conDef, &deferrable,
			&d.clustered, &d.replident, &relkind); err != nil {
			return nil, fmt.Errorf("seed: read indexes: %w", err)
		}
		d.table = byOID[rel]
		if relkind == "I" {
			// A partitioned index reads "ON ONLY parent"; rebuilt that way it
			// would stay invalid, with no index on the partitions.
			d.createSQL = strings.Replace(d.createSQL, " ON ONLY ", " ON ", 1)
		}
		d.byConstraint = d.contype == "x" || (d.contype != "" && (deferrable || d.table.relkind == "p"))
		out = append(out, d)
	}
	return out, rows.Err()
}

// readForeignKeys lists the foreign keys from or to the given tables.
func readForeignKeys(ctx context.Context, conn *pgx.Conn, tables []*tableInfo) ([]fkDef, error) {
	var oids []uint32
	for _, t := range tables {
		oids = append(oids, t.oid)
	}
	rows, err := conn.Query(ctx, `
		SELECT con.conname, format('%I.%I', n.nspname, c.relname), pg_get_constraintdef(con.oid),
		       format('%I.%I', pn.nspname, pc.relname)
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_class pc ON pc.oid = con.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace
		WHERE con.contype = 'f' AND con.conparentid = 0
		  AND (con.conrelid = ANY($1) OR con.confrelid = ANY($1))
		ORDER BY 2, 1`, oids)
	if err != nil {
		return nil, fmt.Errorf("seed: read foreign keys: %w", err)
	}
	defer rows.Close()
	var out []fkDef
	for rows.Next() {
		var f fkDef
		if err := rows.Scan(&f.name, &f.table, &f.def, &f.parent); err != nil {
			return nil, fmt.Errorf("seed: read foreign keys: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
