package queryid

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/plangate/plangate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// explainPrefix is put before every fuzzed statement. The statement is only
// planned, never executed: no ANALYZE, in a read-only transaction that is
// rolled back.
const explainPrefix = "EXPLAIN (FORMAT JSON) "

// postgresVerdict is what PostgreSQL says of a statement.
type postgresVerdict int

const (
	// verdictUnknown: EXPLAIN failed for a reason that says nothing about
	// the statement's kind (unknown table, type error, newer syntax).
	verdictUnknown postgresVerdict = iota
	// verdictNotExplainable: EXPLAIN rejects the statement's kind.
	verdictNotExplainable
	// verdictReads: the plan neither modifies a table nor locks rows.
	verdictReads
	// verdictLocksRows: the plan has a LockRows node and no ModifyTable.
	verdictLocksRows
	// verdictWrites: the plan has a ModifyTable node.
	verdictWrites
)

func (v postgresVerdict) String() string {
	return [...]string{"unknown", "not explainable", "reads", "locks rows", "writes"}[v]
}

// kindOracle asks a scratch database what statements are.
type kindOracle struct {
	conn *pgx.Conn
}

func newKindOracle(t testing.TB) *kindOracle {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	// Planning alone can be slow (a huge IN list, a deep join); a fuzzed
	// statement never gets to lift these, as it only goes through EXPLAIN.
	cfg.RuntimeParams["statement_timeout"] = "2s"
	cfg.RuntimeParams["lock_timeout"] = "1s"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for _, sql := range []string{
		"CREATE TABLE items (id int PRIMARY KEY, kind int NOT NULL, note text)",
		"CREATE TABLE users (id int PRIMARY KEY, name text, email text UNIQUE)",
		"CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users, total numeric, created_at timestamptz)",
		"CREATE TABLE t (a int, b text)",
		"CREATE SEQUENCE s",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	return &kindOracle{conn: conn}
}

// verdict plans sql in a read-only transaction that is rolled back.
func (o *kindOracle) verdict(t testing.TB, sql string) postgresVerdict {
	t.Helper()
	ctx := context.Background()
	tx, err := o.conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer func() {
		if err := tx.Rollback(ctx); err != nil {
			t.Fatalf("rollback: %v", err)
		}
	}()
	var raw []byte
	// The simple protocol: the extended one would take $1 in the statement
	// for a parameter and fail on its missing value.
	err = tx.QueryRow(ctx, explainPrefix+sql, pgx.QueryExecModeSimpleProtocol).Scan(&raw)
	if err != nil {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "42601" && int(pe.Position) == len([]rune(explainPrefix))+firstTokenPosition(sql) {
			// A syntax error at the statement's first word: EXPLAIN does
			// not take statements of this kind. An error further on is
			// syntax this server does not know (pg_query may be newer).
			return verdictNotExplainable
		}
		if !errors.As(err, &pe) && o.conn.IsClosed() {
			t.Fatalf("explain: %v", err)
		}
		return verdictUnknown
	}
	var plans []struct {
		Plan json.RawMessage
	}
	if err := json.Unmarshal(raw, &plans); err != nil || len(plans) != 1 {
		t.Fatalf("explain: %d plans, %v:\n%s", len(plans), err, raw)
	}
	types := map[string]bool{}
	nodeTypes(t, plans[0].Plan, types)
	switch {
	case types["ModifyTable"]:
		return verdictWrites
	case types["LockRows"]:
		return verdictLocksRows
	}
	return verdictReads
}

// nodeTypes collects the Node Type of every node of an EXPLAIN JSON plan.
func nodeTypes(t testing.TB, raw json.RawMessage, into map[string]bool) {
	t.Helper()
	var node struct {
		NodeType string            `json:"Node Type"`
		Plans    []json.RawMessage `json:"Plans"`
	}
	if err := json.Unmarshal(raw, &node); err != nil {
		t.Fatalf("plan node: %v", err)
	}
	into[node.NodeType] = true
	for _, p := range node.Plans {
		nodeTypes(t, p, into)
	}
}

// firstTokenPosition is the 1-based character position of sql's first token,
// past whitespace and comments, as PostgreSQL counts positions.
func firstTokenPosition(sql string) int {
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return -1
	}
	for _, tok := range scan.Tokens {
		if tok.Token == pg_query.Token_SQL_COMMENT || tok.Token == pg_query.Token_C_COMMENT {
			continue
		}
		return len([]rune(sql[:tok.Start])) + 1
	}
	return -1
}

// kindSeeds are statements of every kind plangate tells apart, and the
// shapes where text and plan could disagree.
var kindSeeds = []string{
	// Reads.
	"SELECT 1",
	"SELECT * FROM items WHERE id = 1",
	"SELECT count(*) FROM items JOIN orders ON orders.id = items.id",
	"VALUES (1, 'a'), (2, 'b')",
	"TABLE items",
	"SELECT * FROM items WHERE kind = $1",
	"WITH r AS (SELECT * FROM items) SELECT count(*) FROM r",
	"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n",
	"WITH a AS (WITH b AS (SELECT 1 AS x) SELECT x FROM b) SELECT * FROM a",
	"SELECT id FROM items UNION SELECT id FROM orders",
	"SELECT * FROM items WHERE id IN (SELECT user_id FROM orders)",
	"SELECT nextval('s')",
	// Row locks.
	"SELECT * FROM items WHERE id = 1 FOR UPDATE",
	"SELECT * FROM items FOR SHARE SKIP LOCKED",
	"SELECT * FROM items FOR NO KEY UPDATE NOWAIT",
	"SELECT * FROM items i JOIN users u ON u.id = i.id FOR KEY SHARE OF i",
	"SELECT * FROM (SELECT * FROM items FOR UPDATE) s",
	"SELECT * FROM items WHERE id IN (SELECT id FROM items FOR UPDATE)",
	"WITH l AS (SELECT * FROM items FOR UPDATE) SELECT * FROM l",
	"WITH l AS MATERIALIZED (SELECT id FROM items FOR SHARE) SELECT count(*) FROM l",
	"SELECT id FROM items UNION ALL SELECT id FROM (SELECT id FROM orders FOR UPDATE) o",
	"SELECT (SELECT id FROM items LIMIT 1 FOR UPDATE)",
	"SELECT EXISTS (SELECT 1 FROM users WHERE id = 1 FOR UPDATE)",
	"SELECT * FROM items, LATERAL (SELECT * FROM orders WHERE orders.id = items.id FOR UPDATE) o",
	"(SELECT * FROM items) FOR UPDATE",
	"((SELECT * FROM items FOR UPDATE))",
	"TABLE items FOR UPDATE",
	"VALUES ((SELECT id FROM items LIMIT 1 FOR UPDATE))",
	"SELECT * FROM items WHERE id = ANY (ARRAY(SELECT id FROM items FOR UPDATE))",
	"(WITH l AS (SELECT * FROM items FOR UPDATE) SELECT * FROM l) LIMIT 1",
	"SELECT 1 FOR UPDATE",
	// Writes.
	"INSERT INTO items VALUES (1, 2, 'x')",
	"INSERT INTO items SELECT * FROM items WHERE kind = 1",
	"INSERT INTO users (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = excluded.name",
	"UPDATE items SET note = 'y' WHERE id = 1",
	"DELETE FROM items WHERE kind = 3",
	"DELETE FROM items WHERE false",
	"MERGE INTO items USING t ON items.id = t.a WHEN MATCHED THEN UPDATE SET note = t.b WHEN NOT MATCHED THEN INSERT VALUES (t.a, 0, t.b)",
	"WITH d AS (DELETE FROM items WHERE kind = 3 RETURNING *) SELECT count(*) FROM d",
	"WITH u AS (UPDATE items SET note = 'x' RETURNING id) SELECT id FROM u",
	"WITH i AS (INSERT INTO items (id, kind) VALUES (1, 1) RETURNING id) SELECT * FROM i",
	"WITH r AS (SELECT 1), d AS (DELETE FROM items RETURNING 1) SELECT * FROM r, d",
	"WITH d AS (DELETE FROM items RETURNING id) SELECT id FROM d UNION ALL SELECT 1",
	"WITH d AS (DELETE FROM items) SELECT 1",
	"WITH d AS (DELETE FROM items RETURNING id) INSERT INTO t (a) SELECT id FROM d",
	"WITH d AS (DELETE FROM items RETURNING id) VALUES (1)",
	"WITH d AS (DELETE FROM items RETURNING id) TABLE d",
	"(WITH u AS (UPDATE items SET kind = 1 RETURNING id) SELECT * FROM u)",
	"WITH d AS (DELETE FROM items RETURNING id) (SELECT * FROM d)",
	"(WITH d AS (DELETE FROM items RETURNING id) SELECT id FROM d) UNION SELECT 1",
	"SELECT (WITH d AS (DELETE FROM items RETURNING id) SELECT count(*) FROM d)",
	"WITH l AS (SELECT * FROM items FOR UPDATE) UPDATE items SET kind = 0 FROM l WHERE l.id = items.id",
	// Utility, some of it explainable.
	"SELECT * INTO copy FROM items",
	"CREATE TABLE copy AS SELECT * FROM items",
	"CREATE MATERIALIZED VIEW mv AS SELECT * FROM items",
	"DECLARE c CURSOR FOR SELECT * FROM items FOR UPDATE",
	"EXPLAIN SELECT 1",
	"EXPLAIN ANALYZE DELETE FROM items",
	"EXECUTE p(1)",
	"PREPARE p AS DELETE FROM items",
	"VACUUM items",
	"TRUNCATE items",
	"COPY items TO STDOUT",
	"SET search_path = public",
	"SHOW work_mem",
	"CREATE INDEX ON items (kind)",
	"DO $$ BEGIN DELETE FROM items; END $$",
	"CALL p()",
	"LOCK TABLE items",
	"BEGIN",
	"/* leading comment */ SELECT 1",
	"-- a line comment\nDELETE FROM items",
}

// FuzzKind_AgreesWithPostgres checks the classifier against the server: a
// statement PostgreSQL would plan with a ModifyTable (it writes) or a LockRows
// (it takes row locks) must not be a plain read to plangate, which replays
// reads in a read-only transaction; and a statement EXPLAIN rejects must be
// a utility, which plangate never explains. The opposite mistakes are safe
// and not reported: a read classified as a write is only replayed in a
// read-write transaction that is rolled back.
func FuzzKind_AgreesWithPostgres(f *testing.F) {
	for _, sql := range kindSeeds {
		f.Add(sql)
	}
	oracle := newKindOracle(f)
	f.Fuzz(func(t *testing.T, sql string) {
		id, err := Identify(sql)
		if err != nil {
			return // not exactly one statement
		}
		if strings.ContainsRune(sql, 0) || !utf8.ValidString(sql) {
			return // no server takes it as a query string
		}
		v := oracle.verdict(t, sql)
		read := id.Kind == KindSelect && !id.SelectForUpdate
		switch {
		case v == verdictWrites && !id.Kind.Writes() && id.Kind != KindUtility:
			t.Errorf("%q: PostgreSQL plans a ModifyTable, plangate says %s (SelectForUpdate %v)", sql, id.Kind, id.SelectForUpdate)
		case v == verdictLocksRows && read:
			t.Errorf("%q: PostgreSQL plans a LockRows, plangate says a read (%s, SelectForUpdate false)", sql, id.Kind)
		case v == verdictNotExplainable && id.Kind != KindUtility:
			t.Errorf("%q: EXPLAIN rejects it, plangate says %s", sql, id.Kind)
		}
	})
}

// TestKindOracle_Verdicts checks the fuzz target's ground truth on
// statements whose answer is known, so that it cannot pass by answering
// "unknown" to everything.
func TestKindOracle_Verdicts(t *testing.T) {
	oracle := newKindOracle(t)
	tests := []struct {
		name, sql string
		want      postgresVerdict
	}{
		{"select", "SELECT * FROM items", verdictReads},
		{"values", "VALUES (1)", verdictReads},
		{"for update", "SELECT * FROM items FOR UPDATE", verdictLocksRows},
		{"for update in a subquery", "SELECT * FROM (SELECT * FROM items FOR SHARE) s", verdictLocksRows},
		{"delete", "DELETE FROM items", verdictWrites},
		{"writable cte", "WITH d AS (DELETE FROM items RETURNING id) SELECT * FROM d", verdictWrites},
		{"unused writable cte", "WITH d AS (DELETE FROM items) SELECT 1", verdictWrites},
		{"merge", "MERGE INTO items USING t ON items.id = t.a WHEN MATCHED THEN DELETE", verdictWrites},
		{"vacuum", "VACUUM items", verdictNotExplainable},
		{"vacuum after a comment", "/* é */ VACUUM items", verdictNotExplainable},
		{"explain", "EXPLAIN SELECT 1", verdictNotExplainable},
		{"unknown table", "SELECT * FROM nosuch", verdictUnknown},
		{"later syntax error", "SELECT * FROM items WHERE", verdictUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := oracle.verdict(t, tt.sql); got != tt.want {
				t.Errorf("verdict(%q) = %s, want %s", tt.sql, got, tt.want)
			}
		})
	}
}
