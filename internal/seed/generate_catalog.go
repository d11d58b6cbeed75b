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

// label names the table in messages: as the spec gives it, else as the
// catalog does, schema-qualified outside public.
func (t *tableInfo) label() string {
	if t.spec != nil {
		return t.spec.Name
	}
	if t.schema == "public" {
		return t.name
	}
	return t.schema + "." + t.name
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
