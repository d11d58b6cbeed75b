package seed

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/plangate/plangate/internal/pgsql"
)

// Rows load fastest into tables without indexes or foreign keys, which are
// then built once from the loaded rows, as pg_restore does: Generate always
// loads that way, Apply does with WithDeferredIndexes. A deferredSet is what
// is dropped before such a load and rebuilt after it, read from the catalog
// so that it comes back exactly as it was.
type deferredSet struct {
	indexes []indexDef
	fks     []fkDef
}

// indexDef is an index of a table being loaded, as it must be rebuilt.
type indexDef struct {
	table      *tableInfo
	oid        uint32
	name       string // quoted, schema-qualified
	bare       string // the index's own name
	createSQL  string // pg_get_indexdef
	constraint string // name of the constraint it backs, if any
	contype    string // p, u or x
	conDef     string // pg_get_constraintdef
	// byConstraint is set when the index can only be rebuilt by ADD
	// CONSTRAINT (exclusion and deferrable constraints, partitioned tables).
	byConstraint bool
	// onPartition is set when the index's table is a partition.
	onPartition bool
	// finish restores, once the index is built, what it carried besides
	// its definition: the constraint it backs, the CLUSTER and REPLICA
	// IDENTITY markers, statistics targets and comments.
	finish []string
	// children names a partitioned index's partitions, by their tables'
	// OIDs: an index attached under a name of its own gets it back.
	children map[uint32]string
}

// fkDef is a foreign key from or to a table being loaded.
type fkDef struct {
	name      string
	table     string // quoted, schema-qualified
	def       string // pg_get_constraintdef
	index     uint32 // the referenced unique index
	validated bool   // false for a key added NOT VALID
	comment   string // the COMMENT ON CONSTRAINT statement restoring its comment, if any
}

// readDeferred reads the indexes of the given tables and the foreign keys
// from or to them.
func readDeferred(ctx context.Context, conn *pgx.Conn, tables []*tableInfo) (deferredSet, error) {
	var s deferredSet
	var err error
	if s.indexes, err = readIndexes(ctx, conn, tables); err != nil {
		return deferredSet{}, err
	}
	if s.fks, err = readForeignKeys(ctx, conn, tables); err != nil {
		return deferredSet{}, err
	}
	return s, nil
}

// readIndexes lists the valid indexes of the given tables, except those a
// partitioned parent's index owns (they come back with their parent).
// Invalid ones are left in place: rebuilt, they would become valid.
func readIndexes(ctx context.Context, conn *pgx.Conn, tables []*tableInfo) ([]indexDef, error) {
	byOID := map[uint32]*tableInfo{}
	var oids []uint32
	for _, t := range tables {
		byOID[t.oid] = t
		oids = append(oids, t.oid)
	}
	rows, err := conn.Query(ctx, `
		SELECT i.indexrelid, i.indrelid, format('%I.%I', n.nspname, ic.relname), ic.relname, pg_get_indexdef(i.indexrelid),
		       coalesce(con.conname, ''), coalesce(con.contype::text, ''),
		       coalesce(pg_get_constraintdef(con.oid), ''), coalesce(con.condeferrable, false),
		       i.indisclustered, i.indisreplident, ic.relkind::text, tc.relispartition,
		       ARRAY(SELECT format('ALTER INDEX %I.%I ALTER COLUMN %s SET STATISTICS %s', n.nspname, ic.relname, a.attnum, a.attstattarget)
		             FROM pg_attribute a WHERE a.attrelid = i.indexrelid AND a.attstattarget >= 0 ORDER BY a.attnum)
		       || ARRAY(SELECT format('COMMENT ON INDEX %I.%I IS %L', n.nspname, ic.relname, d.description)
		             FROM pg_description d WHERE d.classoid = 'pg_class'::regclass AND d.objoid = i.indexrelid AND d.objsubid = 0)
		       || ARRAY(SELECT format('COMMENT ON CONSTRAINT %I ON %I.%I IS %L', con.conname, tn.nspname, tc.relname, d.description)
		             FROM pg_description d WHERE d.classoid = 'pg_constraint'::regclass AND d.objoid = con.oid AND d.objsubid = 0)
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = ic.relnamespace
		JOIN pg_class tc ON tc.oid = i.indrelid
		JOIN pg_namespace tn ON tn.oid = tc.relnamespace
		LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x')
		WHERE i.indrelid = ANY($1) AND i.indisvalid
		  AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
		ORDER BY ic.relname`, oids)
	if err != nil {
		return nil, fmt.Errorf("seed: read indexes: %w", err)
	}
	var out []indexDef
	var partitioned []int
	for rows.Next() {
		var d indexDef
		var rel uint32
		var deferrable, clustered, replident bool
		var relkind string
		var restore []string
		if err := rows.Scan(&d.oid, &rel, &d.name, &d.bare, &d.createSQL, &d.constraint, &d.contype, &d.conDef, &deferrable,
			&clustered, &replident, &relkind, &d.onPartition, &restore); err != nil {
			rows.Close()
			return nil, fmt.Errorf("seed: read indexes: %w", err)
		}
		d.table = byOID[rel]
		if relkind == "I" {
			// A partitioned index reads "ON ONLY parent"; rebuilt that way it
			// would stay invalid, with no index on the partitions.
			d.createSQL = strings.Replace(d.createSQL, " ON ONLY ", " ON ", 1)
			partitioned = append(partitioned, len(out))
		}
		d.byConstraint = d.contype == "x" || (d.contype != "" && (deferrable || d.table.relkind == "p"))
		index := pgx.Identifier{d.bare}.Sanitize()
		if d.constraint != "" && !d.byConstraint {
			kind := "PRIMARY KEY"
			if d.contype == "u" {
				kind = "UNIQUE"
			}
			d.finish = append(d.finish, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s", d.table.qualified,
				pgx.Identifier{d.constraint}.Sanitize(), kind, index))
		}
		if clustered {
			d.finish = append(d.finish, fmt.Sprintf("ALTER TABLE %s CLUSTER ON %s", d.table.qualified, index))
		}
		if replident {
			d.finish = append(d.finish, fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY USING INDEX %s", d.table.qualified, index))
		}
		d.finish = append(d.finish, restore...)
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("seed: read indexes: %w", err)
	}
	for _, i := range partitioned {
		names, err := partitionIndexes(ctx, conn, out[i].oid)
		if err != nil {
			return nil, fmt.Errorf("seed: read indexes: %s: %w", out[i].bare, err)
		}
		out[i].children = map[uint32]string{}
		for table, idx := range names {
			out[i].children[table] = idx.bare
		}
	}
	return out, nil
}

// partitionIndex is one index of a partition under a partitioned index.
type partitionIndex struct {
	name string // quoted, schema-qualified
	bare string
}

// partitionIndexes lists the indexes under a partitioned index, at every
// level, by their tables' OIDs.
func partitionIndexes(ctx context.Context, conn *pgx.Conn, index uint32) (map[uint32]partitionIndex, error) {
	rows, err := conn.Query(ctx, `
		SELECT x.indrelid, format('%I.%I', n.nspname, c.relname), c.relname
		FROM pg_partition_tree($1::oid::regclass) t
		JOIN pg_index x ON x.indexrelid = t.relid
		JOIN pg_class c ON c.oid = t.relid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE t.level > 0`, index)
	if err != nil {
		return nil, err
	}
	out := map[uint32]partitionIndex{}
	var table uint32
	var p partitionIndex
	_, err = pgx.ForEachRow(rows, []any{&table, &p.name, &p.bare}, func() error {
		out[table] = p
		return nil
	})
	return out, err
}

// readForeignKeys lists the foreign keys from or to the given tables.
func readForeignKeys(ctx context.Context, conn *pgx.Conn, tables []*tableInfo) ([]fkDef, error) {
	var oids []uint32
	for _, t := range tables {
		oids = append(oids, t.oid)
	}
	rows, err := conn.Query(ctx, `
		SELECT con.conname, format('%I.%I', n.nspname, c.relname), pg_get_constraintdef(con.oid),
		       con.conindid, con.convalidated,
		       coalesce((SELECT format('COMMENT ON CONSTRAINT %I ON %I.%I IS %L', con.conname, n.nspname, c.relname, d.description)
		                 FROM pg_description d WHERE d.classoid = 'pg_constraint'::regclass AND d.objoid = con.oid AND d.objsubid = 0), '')
		FROM pg_constraint con
		JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
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
		if err := rows.Scan(&f.name, &f.table, &f.def, &f.index, &f.validated, &f.comment); err != nil {
			return nil, fmt.Errorf("seed: read foreign keys: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// withoutUnvalidated leaves in place the foreign keys added NOT VALID, and
// the unique indexes they reference. Such a key checks every row written
// while it is there; dropped and added back NOT VALID, it would check none
// of the rows loaded meanwhile.
func (s deferredSet) withoutUnvalidated() deferredSet {
	kept := map[uint32]bool{}
	var out deferredSet
	for _, f := range s.fks {
		if f.validated {
			out.fks = append(out.fks, f)
		} else {
			kept[f.index] = true
		}
	}
	for _, d := range s.indexes {
		if !kept[d.oid] {
			out.indexes = append(out.indexes, d)
		}
	}
	return out
}

// drop drops the foreign keys, then the indexes, in one transaction.
func (s deferredSet) drop(ctx context.Context, conn *pgx.Conn, prog *progress) error {
	if len(s.indexes) == 0 && len(s.fks) == 0 {
		return nil
	}
	var stmts []string
	for _, f := range s.fks {
		stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", f.table, pgx.Identifier{f.name}.Sanitize()))
	}
	for _, d := range s.indexes {
		if d.constraint != "" {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", d.table.qualified, pgx.Identifier{d.constraint}.Sanitize()))
		}
	}
	for _, d := range s.indexes {
		if d.constraint == "" {
			stmts = append(stmts, "DROP INDEX "+d.name)
		}
	}
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, stmt := range stmts {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, withDetail(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed: drop indexes and foreign keys before loading: %w", err)
	}
	prog.logf("dropped %d indexes and %d foreign keys, to rebuild after loading", len(s.indexes), len(s.fks))
	return nil
}

// rebuildConfig is how a deferredSet is rebuilt.
type rebuildConfig struct {
	connString string // for the connections that build indexes
	parallel   int    // how many indexes are built at once
	workMem    string // maintenance_work_mem of the builds and checks
	prog       *progress
}

// rebuild recreates the dropped indexes, then the foreign keys.
func (s deferredSet) rebuild(ctx context.Context, conn *pgx.Conn, rc rebuildConfig) error {
	if err := s.buildIndexes(ctx, conn, rc); err != nil {
		return err
	}
	return s.addForeignKeys(ctx, conn, rc)
}

// buildIndexes recreates the dropped indexes, several at once, biggest
// table first, then restores what they carried (finish).
func (s deferredSet) buildIndexes(ctx context.Context, conn *pgx.Conn, rc rebuildConfig) error {
	if len(s.indexes) == 0 {
		return nil
	}
	sizes, err := tableSizes(ctx, conn, s.indexes)
	if err != nil {
		return fmt.Errorf("seed: table sizes: %w", err)
	}
	// The indexes of partitions come after the partitioned tables': built
	// before, a partition's index matching a partitioned one would be
	// attached to it in place of the one it had.
	var waves [2][]indexDef
	for _, d := range s.indexes {
		w := 0
		if d.onPartition {
			w = 1
		}
		waves[w] = append(waves[w], d)
	}
	start := time.Now()
	setup := []string{"SET maintenance_work_mem = " + pgsql.Literal(rc.workMem)}
	for _, jobs := range waves {
		if len(jobs) == 0 {
			continue
		}
		sort.SliceStable(jobs, func(i, j int) bool { return sizes[jobs[i].table.oid] > sizes[jobs[j].table.oid] })
		err := runParallel(ctx, rc.parallel, len(jobs), rc.connString, setup, func(ctx context.Context, c *pgx.Conn, i int) error {
			d := jobs[i]
			sql := d.createSQL
			if d.byConstraint {
				sql = fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", d.table.qualified, pgx.Identifier{d.constraint}.Sanitize(), d.conDef)
			}
			t0 := time.Now()
			if _, err := c.Exec(ctx, sql); err != nil {
				return fmt.Errorf("seed: table %q: rebuild index %s: %w", d.table.label(), d.bare, withDetail(err))
			}
			rc.prog.logf("built index %s in %s", d.bare, humanDuration(time.Since(t0)))
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, d := range s.indexes {
		for _, sql := range d.finish {
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("seed: table %q: %s: %w", d.table.label(), sql, withDetail(err))
			}
		}
		if err := d.renameChildren(ctx, conn); err != nil {
			return fmt.Errorf("seed: table %q: index %s: %w", d.table.label(), d.bare, err)
		}
	}
	rc.prog.logf("indexes: %d rebuilt in %s", len(s.indexes), humanDuration(time.Since(start)))
	return nil
}

// renameChildren gives the rebuilt partitioned index's partitions the names
// they had, where a partition's index had been attached under its own.
func (d indexDef) renameChildren(ctx context.Context, conn *pgx.Conn) error {
	if len(d.children) == 0 {
		return nil
	}
	var oid uint32
	if err := conn.QueryRow(ctx, "SELECT $1::regclass::oid", d.name).Scan(&oid); err != nil {
		return err
	}
	now, err := partitionIndexes(ctx, conn, oid)
	if err != nil {
		return err
	}
	for table, was := range d.children {
		if p, ok := now[table]; ok && p.bare != was {
			// Renaming an index renames the constraint it backs too.
			sql := fmt.Sprintf("ALTER INDEX %s RENAME TO %s", p.name, pgx.Identifier{was}.Sanitize())
			if _, err := conn.Exec(ctx, sql); err != nil {
				return fmt.Errorf("%s: %w", sql, err)
			}
		}
	}
	return nil
}

// tableSizes returns the bytes each index's table holds, partitions
// included, which is what building the index reads.
func tableSizes(ctx context.Context, conn *pgx.Conn, indexes []indexDef) (map[uint32]int64, error) {
	var oids []uint32
	for _, d := range indexes {
		oids = append(oids, d.table.oid)
	}
	rows, err := conn.Query(ctx, `
		SELECT t.oid, coalesce((SELECT sum(pg_relation_size(p.relid)) FROM pg_partition_tree(t.oid::regclass) p), pg_relation_size(t.oid))::bigint
		FROM unnest($1::oid[]) t(oid)`, oids)
	if err != nil {
		return nil, err
	}
	out := map[uint32]int64{}
	var oid uint32
	var size int64
	_, err = pgx.ForEachRow(rows, []any{&oid, &size}, func() error {
		out[oid] = size
		return nil
	})
	return out, err
}

// addForeignKeys recreates the dropped foreign keys one at a time: each
// check locks the referenced table, which a concurrent one would wait on.
func (s deferredSet) addForeignKeys(ctx context.Context, conn *pgx.Conn, rc rebuildConfig) error {
	if len(s.fks) == 0 {
		return nil
	}
	// The check behind ADD FOREIGN KEY runs with work_mem raised to
	// maintenance_work_mem.
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = "+pgsql.Literal(rc.workMem)); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	start := time.Now()
	for _, f := range s.fks {
		t0 := time.Now()
		name := pgx.Identifier{f.name}.Sanitize()
		sql := fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", f.table, name, f.def)
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("seed: foreign key %s on %s: %w", name, f.table, withDetail(err))
		}
		if f.comment != "" {
			if _, err := conn.Exec(ctx, f.comment); err != nil {
				return fmt.Errorf("seed: foreign key %s on %s: %w", name, f.table, err)
			}
		}
		rc.prog.logf("added foreign key %s in %s", f.name, humanDuration(time.Since(t0)))
	}
	if _, err := conn.Exec(ctx, "RESET maintenance_work_mem"); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	rc.prog.logf("foreign keys: %d added in %s", len(s.fks), humanDuration(time.Since(start)))
	return nil
}

// withDetail adds a server error's detail to its message: for a constraint
// that fails, the offending key.
func withDetail(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Detail != "" {
		return fmt.Errorf("%w: %s", err, pe.Detail)
	}
	return err
}
