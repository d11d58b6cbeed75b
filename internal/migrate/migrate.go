// Package migrate runs a pull request's schema migrations on a seeded
// database, statement by statement, and measures what each one does to a
// table production depends on: the locks it takes and how long each is
// held (until its transaction ends), whether it rewrites a table, how long
// it runs, the rows it touches and the WAL it writes.
package migrate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/queryid"
)

// Statement is one statement of a migration as it ran.
type Statement struct {
	// File is the migration file, Index the statement's position in it
	// (from 1).
	File  string
	Index int
	// SQL is the statement as written.
	SQL string
	// Duration is how long the statement ran.
	Duration time.Duration
	// Rows is the rows the statement inserted, updated or deleted.
	Rows int64
	// WALBytes is the WAL the statement wrote.
	WALBytes int64
	// Rewrites names the tables the statement gave new storage: every row
	// copied, under an ACCESS EXCLUSIVE lock.
	Rewrites []string
	// Scanned names the tables the statement read at least half of (a
	// validation, an index build, a rewrite), as the transaction's
	// statistics count blocks; unknown for a statement that cannot run in
	// a transaction block.
	Scanned []string
	// Locks are the table locks the statement took, each held until its
	// transaction ended.
	Locks []Lock
	// LockTimeout is the session's lock_timeout when the statement ran
	// ("0" when it waits forever).
	LockTimeout string
	// Error is set when the statement failed; the migration stops there.
	Error string
}

// Lock is a table lock a statement took.
type Lock struct {
	// Relation is the table, schema-qualified unless in public.
	Relation string
	// Mode is the lock mode, as pg_locks names it ("AccessExclusiveLock").
	Mode string
	// Held is how long the lock was held: from the statement's start to
	// the end of its transaction.
	Held time.Duration
	// Rows is the table's size in rows (pg_class.reltuples) before the
	// migration.
	Rows float64
	// Root is, for a partition, the partitioned table at the top of its
	// tree: the table the queries name, which wait behind the partition's
	// lock unless their plan prunes it.
	Root string
}

// Result is what running the migrations did.
type Result struct {
	Statements []Statement
}

// Files lists the migration files of dir in name order: the *.sql files,
// each applied whole before the next.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("migrations: no .sql files in %s", dir)
	}
	slices.Sort(out)
	return out, nil
}

// Run applies the migration files, in order, to the database at
// connString, one statement at a time, as the migration wrote them: its own
// BEGIN and COMMIT open and close transactions, and every other statement
// commits on its own (so CREATE INDEX CONCURRENTLY runs as it must). A
// second connection watches the locks the migration holds. Run stops at
// the first statement that fails: its Error says why.
func Run(ctx context.Context, connString string, files []string) (*Result, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// An index build's parallel workers read the table out of sight of
	// this session's statistics: without them the scan is seen, at the cost
	// of index builds taking a single process's time.
	if _, err := conn.Exec(ctx, "SET max_parallel_maintenance_workers = 0"); err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	w, err := watch(ctx, connString, conn.PgConn().PID())
	if err != nil {
		return nil, err
	}
	defer w.stop()
	sizes, err := tableSizes(ctx, conn)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		stmts, err := queryid.Split(string(data))
		if err != nil {
			return nil, fmt.Errorf("migrations: %s: %w", file, err)
		}
		for i, sql := range stmts {
			st, err := runOne(ctx, conn, w, sql)
			if err != nil {
				return nil, fmt.Errorf("migrations: %s statement %d: %w", file, i+1, err)
			}
			st.File, st.Index = file, i+1
			res.Statements = append(res.Statements, st)
			if st.Error != "" {
				return res, settle(res, w, sizes)
			}
		}
	}
	return res, settle(res, w, sizes)
}

// runOne runs one statement and measures it; err is set only when the
// measuring failed, the statement's own failure is in Statement.Error.
//
// A statement outside the migration's own transactions runs in one of
// plangate's (BEGIN, the statement, COMMIT: what autocommit does, and the
// same locks), unless it cannot run in a transaction block (CREATE INDEX
// CONCURRENTLY, VACUUM, ...). Inside a transaction, the statement's locks
// are read from pg_locks before it commits, and the blocks it read of each
// table from the transaction's statistics.
func runOne(ctx context.Context, conn *pgx.Conn, w *watcher, sql string) (Statement, error) {
	st := Statement{SQL: sql}
	before, err := relfilenodes(ctx, conn)
	if err != nil {
		return st, err
	}
	if err := conn.QueryRow(ctx, "SHOW lock_timeout").Scan(&st.LockTimeout); err != nil {
		return st, err
	}
	var lsn string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&lsn); err != nil {
		return st, err
	}
	inTx := conn.PgConn().TxStatus() == 'T'
	wrap := !inTx && wrappable(sql)
	if wrap {
		if _, err := conn.Exec(ctx, "BEGIN"); err != nil {
			return st, err
		}
	}
	var read map[string]tableRead
	if inTx || wrap {
		if read, err = blocksRead(ctx, conn); err != nil {
			return st, err
		}
	}
	w.begin(len(w.statements))
	start := time.Now()
	tag, execErr := conn.Exec(ctx, sql, pgx.QueryExecModeSimpleProtocol)
	st.Duration = time.Since(start)
	if execErr == nil && (inTx || wrap) {
		after, err := blocksRead(ctx, conn)
		if err != nil {
			return st, err
		}
		for rel, a := range after {
			if n := a.blocks - read[rel].blocks; a.pages > 0 && n*2 >= a.pages {
				st.Scanned = append(st.Scanned, rel)
			}
		}
		slices.Sort(st.Scanned)
		if st.Locks, err = ownLocks(ctx, conn); err != nil {
			return st, err
		}
	}
	if wrap && execErr == nil {
		if _, err := conn.Exec(ctx, "COMMIT"); err != nil {
			return st, err
		}
		st.Duration = time.Since(start)
	}
	if execErr != nil {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		st.Error = execErr.Error()
		// A failed statement leaves its transaction aborted: end it, as a
		// migration tool would, so that its locks are let go.
		if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
			return st, err
		}
	}
	if tag.Insert() || tag.Update() || tag.Delete() || strings.HasPrefix(tag.String(), "MERGE") {
		st.Rows = tag.RowsAffected()
	}
	if err := conn.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint", lsn).Scan(&st.WALBytes); err != nil {
		return st, err
	}
	after, err := relfilenodes(ctx, conn)
	if err != nil {
		return st, err
	}
	for rel, node := range before {
		if n, ok := after[rel]; ok && n != node {
			st.Rewrites = append(st.Rewrites, rel)
		}
	}
	slices.Sort(st.Rewrites)
	w.statements = append(w.statements, &st)
	return st, nil
}

// wrappable reports whether a statement may run in a transaction block:
// not one that opens or ends one, nor one PostgreSQL refuses there.
func wrappable(sql string) bool {
	s := strings.ToLower(strings.Join(strings.Fields(stripComments(sql)), " "))
	for _, p := range []string{"begin", "start transaction", "commit", "end", "rollback", "abort", "savepoint", "release",
		"vacuum", "create database", "drop database", "alter system", "cluster", "create tablespace", "drop tablespace"} {
		if s == p || strings.HasPrefix(s, p+" ") || strings.HasPrefix(s, p+";") {
			return false
		}
	}
	return !strings.Contains(s, " concurrently ")
}

// stripComments drops the -- comment lines a migration starts a statement
// with.
func stripComments(sql string) string {
	var lines []string
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// tableRead is what the current transaction read of a table.
type tableRead struct {
	blocks, pages int64
}

// blocksRead maps each user table to the blocks the current transaction
// read of it so far, and its size in pages.
func blocksRead(ctx context.Context, conn *pgx.Conn) (map[string]tableRead, error) {
	return perTable(ctx, conn, `pg_stat_get_xact_blocks_fetched(c.oid), c.relpages::bigint`, `'r', 'm'`,
		func(r *tableRead) []any { return []any{&r.blocks, &r.pages} })
}

// ownLocks are the table locks this session holds now.
func ownLocks(ctx context.Context, conn *pgx.Conn) ([]Lock, error) {
	rows, err := conn.Query(ctx, `SELECT DISTINCT `+relName+`, l.mode
		FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'p', 'm') AND `+userSchemas+`
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	var out []Lock
	for rows.Next() {
		var l Lock
		if err := rows.Scan(&l.Relation, &l.Mode); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// settle stops watching and gives each statement's locks how long each
// was held (the watcher's measure: until the transaction ended; the
// statement's duration for a lock the watcher missed) and the tables'
// sizes. A lock only the watcher saw (a statement that cannot run in a
// transaction block) is added.
func settle(res *Result, w *watcher, sizes map[string]tableSize) error {
	held, err := w.stop()
	if err != nil {
		return err
	}
	for i := range res.Statements {
		st := &res.Statements[i]
		seen := map[lockKey]time.Duration{}
		for _, l := range held[i] {
			seen[lockKey{l.Relation, l.Mode}] = l.Held
		}
		for j := range st.Locks {
			k := lockKey{st.Locks[j].Relation, st.Locks[j].Mode}
			st.Locks[j].Held = st.Duration
			if d, ok := seen[k]; ok {
				st.Locks[j].Held = max(d, st.Duration)
				delete(seen, k)
			}
		}
		for _, l := range held[i] {
			if _, ok := seen[lockKey{l.Relation, l.Mode}]; ok {
				st.Locks = append(st.Locks, l)
			}
		}
		for j := range st.Locks {
			st.Locks[j].Rows = sizes[st.Locks[j].Relation].rows
			st.Locks[j].Root = sizes[st.Locks[j].Relation].root
		}
		slices.SortFunc(st.Locks, func(a, b Lock) int {
			if a.Held != b.Held {
				return int(b.Held - a.Held)
			}
			return strings.Compare(a.Relation+a.Mode, b.Relation+b.Mode)
		})
	}
	return nil
}

// relfilenodes maps each user table to its storage: a table that gets a new
// one was rewritten.
func relfilenodes(ctx context.Context, conn *pgx.Conn) (map[string]uint32, error) {
	return perTable(ctx, conn, `c.relfilenode`, `'r', 'm'`, func(node *uint32) []any { return []any{node} })
}

// tableSize is a table's rows, as the planner knows them, and for a
// partition the root of its partition tree.
type tableSize struct {
	rows float64
	root string
}

// tableSizes maps each user table to its size and partition root.
func tableSizes(ctx context.Context, conn *pgx.Conn) (map[string]tableSize, error) {
	return perTable(ctx, conn, `greatest(c.reltuples, 0)::float8,
		CASE WHEN c.relispartition THEN pg_partition_root(c.oid)::regclass::text ELSE '' END`, `'r', 'p', 'm'`,
		func(t *tableSize) []any { return []any{&t.rows, &t.root} })
}

// perTable selects columns of the user's relations of the given kinds and
// maps each relation's name to what fields scans them into.
func perTable[T any](ctx context.Context, conn *pgx.Conn, columns, kinds string, fields func(*T) []any) (map[string]T, error) {
	rows, err := conn.Query(ctx, `SELECT `+relName+`, `+columns+`
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN (`+kinds+`) AND `+userSchemas)
	if err != nil {
		return nil, err
	}
	out := map[string]T{}
	var name string
	var v T
	_, err = pgx.ForEachRow(rows, append([]any{&name}, fields(&v)...), func() error {
		out[name] = v
		return nil
	})
	return out, err
}

// relName names a pg_class row c in namespace n as reports do.
const relName = `CASE WHEN n.nspname = 'public' THEN c.relname::text ELSE n.nspname || '.' || c.relname END`

// userSchemas keeps the user's relations.
const userSchemas = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'`
