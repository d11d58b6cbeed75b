package seed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/plangate/plangate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestApply_SchemaSeedAnalyze(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	schemaDir := filepath.Join(dir, "schema")
	os.Mkdir(schemaDir, 0o755)
	// Applied in name order: 02 needs the table from 01.
	write(t, schemaDir, "02_index.sql", "CREATE INDEX ON items (kind);")
	write(t, schemaDir, "01_table.sql", "CREATE TABLE items (id int PRIMARY KEY, kind int);")
	data := write(t, dir, "seed.sql", "INSERT INTO items SELECT g, g % 7 FROM generate_series(1, 50000) g;")

	res, err := Apply(ctx, dsn, []string{schemaDir}, []string{data})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Tables) != 1 || res.Tables[0].Rows != 50000 || !res.Tables[0].Exact || res.Tables[0].StatisticsTarget != 167 {
		t.Fatalf("tables = %+v", res.Tables)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var analyzed bool
	var nDistinct float64
	if err := conn.QueryRow(ctx, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'items'").Scan(&analyzed); err != nil || !analyzed {
		t.Errorf("items not analyzed (%v)", err)
	}
	// With every row read, n_distinct of kind is exactly 7.
	if err := conn.QueryRow(ctx, "SELECT n_distinct FROM pg_stats WHERE tablename = 'items' AND attname = 'kind'").Scan(&nDistinct); err != nil || nDistinct != 7 {
		t.Errorf("n_distinct = %v (%v), want 7", nDistinct, err)
	}
}

func TestApply_ErrorNamesFileAndLine(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	bad := write(t, t.TempDir(), "schema.sql", "CREATE TABLE a (id int);\n\nCREATE TABLE b (id nosuchtype);\n")
	_, err := Apply(context.Background(), dsn, []string{bad}, nil)
	if err == nil || !strings.Contains(err.Error(), "schema.sql: line 3") || !strings.Contains(err.Error(), "nosuchtype") {
		t.Errorf("got %v", err)
	}
	_, err = Apply(context.Background(), dsn, []string{filepath.Join(t.TempDir(), "nope.sql")}, nil)
	if err == nil || !strings.Contains(err.Error(), "nope.sql") {
		t.Errorf("got %v", err)
	}
}

func TestTargetFor(t *testing.T) {
	tests := []struct {
		rows   int64
		target int
		exact  bool
	}{{0, 100, true}, {30000, 100, true}, {30001, 101, true}, {3000000, 10000, true}, {3000001, 10000, false}}
	for _, tt := range tests {
		if got, exact := TargetFor(tt.rows); got != tt.target || exact != tt.exact {
			t.Errorf("TargetFor(%d) = %d, %v; want %d, %v", tt.rows, got, exact, tt.target, tt.exact)
		}
	}
}

// deferSchema has what WithDeferredIndexes must take apart and put back: a
// primary key, a unique constraint with a comment and the replica identity,
// a plain, a partial and an expression index (with a statistics target), a
// clustered index, foreign keys (one with a comment, one from a partitioned
// table, one NOT VALID with a row that breaks it), and a partitioned table
// with an index attached under a name of its own and a partition's own
// index.
const deferSchema = `
CREATE TABLE customers (
    id    bigint PRIMARY KEY,
    email text NOT NULL UNIQUE,
    name  text
);
COMMENT ON INDEX customers_email_key IS 'one account per address';
ALTER TABLE customers REPLICA IDENTITY USING INDEX customers_email_key;
CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status      text NOT NULL,
    created_at  timestamptz NOT NULL
);
COMMENT ON CONSTRAINT orders_customer_id_fkey ON orders IS 'who ordered';
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'pending';
CREATE INDEX orders_status_lower_idx ON orders (lower(status));
ALTER INDEX orders_status_lower_idx ALTER COLUMN 1 SET STATISTICS 500;
ALTER TABLE orders CLUSTER ON orders_customer_id_idx;
CREATE TABLE notes (order_id bigint, body text);
INSERT INTO notes VALUES (-1, 'written before the key');
ALTER TABLE notes ADD CONSTRAINT notes_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
CREATE TABLE events (
    id          bigint NOT NULL,
    at          date NOT NULL,
    customer_id bigint REFERENCES customers (id),
    kind        text,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 (LIKE events);
CREATE INDEX events_2024_by_kind ON events_2024 (kind);
ALTER TABLE events ATTACH PARTITION events_2024 FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX events_kind_idx ON events (kind);
CREATE INDEX events_2023_at_idx ON events_2023 (at);
`

// catalogDefs lists every index and constraint of the public schema by
// name, definition and marker, in a stable order.
const catalogDefs = `
	SELECT string_agg(line, E'\n' ORDER BY line) FROM (
	  SELECT format('index %s: %s valid=%s clustered=%s replident=%s comment=%s stats=%s parent=%s',
	                i.indexrelid::regclass, pg_get_indexdef(i.indexrelid), i.indisvalid, i.indisclustered, i.indisreplident,
	                obj_description(i.indexrelid, 'pg_class'),
	                (SELECT array_agg(a.attstattarget ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = i.indexrelid),
	                (SELECT h.inhparent::regclass FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)) AS line
	  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
	  WHERE c.relnamespace = 'public'::regnamespace
	  UNION ALL
	  SELECT format('constraint %s on %s: %s validated=%s comment=%s parent=%s',
	                con.conname, con.conrelid::regclass, pg_get_constraintdef(con.oid), con.convalidated,
	                obj_description(con.oid, 'pg_constraint'), p.conname)
	  FROM pg_constraint con LEFT JOIN pg_constraint p ON p.oid = con.conparentid
	  WHERE con.connamespace = 'public'::regnamespace) l`

func TestApply_DeferredIndexesSameDatabase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	schema := write(t, dir, "schema.sql", deferSchema)
	seedDir := filepath.Join(dir, "seed")
	os.Mkdir(seedDir, 0o755)
	write(t, seedDir, "01_customers.sql", `
		INSERT INTO customers SELECT g, 'c' || g || '@example.com', CASE WHEN g % 3 > 0 THEN 'n' || g END
		FROM generate_series(1, 2000) g;`)
	write(t, seedDir, "02_orders.sql", `
		INSERT INTO orders
		SELECT g, 1 + g * 7 % 2000, (ARRAY['paid', 'pending', 'shipped'])[1 + g % 3], timestamptz '2023-01-01' + g * interval '1 minute'
		FROM generate_series(1, 20000) g;
		INSERT INTO notes SELECT g, 'note ' || g FROM generate_series(1, 500) g;
		INSERT INTO events SELECT g, date '2023-01-01' + g % 700, 1 + g % 2000, 'k' || g % 5 FROM generate_series(1, 10000) g;`)
	tables := []string{"customers", "orders", "notes", "events_2023", "events_2024"}

	type state struct {
		catalog string
		rows    map[string]string
		log     string
	}
	run := func(opts ...Option) state {
		dsn := pgtest.NewDatabase(t)
		var log strings.Builder
		if _, err := Apply(ctx, dsn, []string{schema}, []string{seedDir}, append(opts, WithProgress(&log))...); err != nil {
			t.Fatal(err)
		}
		var s state
		if err := connect(t, dsn).QueryRow(ctx, catalogDefs).Scan(&s.catalog); err != nil {
			t.Fatal(err)
		}
		s.rows, s.log = checksums(t, dsn, tables...), log.String()
		return s
	}
	plain := run()
	deferred := run(WithDeferredIndexes())

	// Left in place: the NOT VALID key and orders_pkey, which it references.
	for _, want := range []string{"dropped 8 indexes and 2 foreign keys", "built index events_kind_idx", "added foreign key orders_customer_id_fkey"} {
		if !strings.Contains(deferred.log, want) {
			t.Errorf("progress lacks %q:\n%s", want, deferred.log)
		}
	}
	if strings.Contains(plain.log, "dropped") {
		t.Errorf("without the option indexes were dropped:\n%s", plain.log)
	}
	if diff := cmp.Diff(plain.catalog, deferred.catalog); diff != "" {
		t.Errorf("indexes and constraints differ (-plain +deferred):\n%s", diff)
	}
	if diff := cmp.Diff(plain.rows, deferred.rows); diff != "" {
		t.Errorf("rows differ (-plain +deferred):\n%s", diff)
	}
	for _, want := range []string{"index events_2024_by_kind:", "index orders_status_lower_idx:", "stats={500}", "validated=f", "clustered=t", "replident=t", "comment=who ordered"} {
		if !strings.Contains(plain.catalog, want) {
			t.Errorf("the schema lacks %q, which this test is to check:\n%s", want, plain.catalog)
		}
	}
}

func TestApply_DeferredIndexesViolations(t *testing.T) {
	const schema = `
		CREATE TABLE customers (id bigint PRIMARY KEY, email text UNIQUE);
		CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers (id));
		CREATE TABLE notes (order_id bigint);
		ALTER TABLE notes ADD CONSTRAINT notes_order_id_fkey FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
		INSERT INTO customers VALUES (1, 'a@example.com'), (2, 'b@example.com');`
	tests := []struct {
		name, seed string
		// want is in the error with and without the option; deferred only
		// with it.
		want     []string
		deferred []string
	}{
		{
			name:     "foreign key",
			seed:     "INSERT INTO orders SELECT g, 1 + g % 2 FROM generate_series(1, 1000) g;\nINSERT INTO orders VALUES (1001, 99);",
			want:     []string{`violates foreign key constraint "orders_customer_id_fkey"`},
			deferred: []string{`foreign key "orders_customer_id_fkey" on public.orders`, `Key (customer_id)=(99) is not present in table "customers"`, "deferred"},
		},
		{
			name:     "primary key",
			seed:     "INSERT INTO customers SELECT g, g || '@example.com' FROM generate_series(2, 100) g;",
			want:     []string{`"customers_pkey"`},
			deferred: []string{`rebuild index customers_pkey`, "Key (id)=(2) is duplicated"},
		},
		{
			name: "unique constraint",
			seed: "INSERT INTO customers VALUES (3, 'a@example.com');",
			want: []string{`"customers_email_key"`},
		},
		{
			name: "foreign key added not valid",
			seed: "INSERT INTO orders VALUES (1, 1);\nINSERT INTO notes VALUES (1), (7);",
			want: []string{"seed.sql: ", `violates foreign key constraint "notes_order_id_fkey"`},
		},
		{
			name:     "on conflict",
			seed:     "INSERT INTO customers VALUES (1, 'c@example.com') ON CONFLICT (id) DO NOTHING;",
			deferred: []string{"seed.sql: ", "indexes are deferred, so ON CONFLICT finds no unique index"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			schemaFile := write(t, dir, "schema.sql", schema)
			seedFile := write(t, dir, "seed.sql", tt.seed)
			for _, deferred := range []bool{false, true} {
				var opts []Option
				want := tt.want
				if deferred {
					opts = append(opts, WithDeferredIndexes())
					want = append(append([]string(nil), tt.want...), tt.deferred...)
				}
				_, err := Apply(context.Background(), pgtest.NewDatabase(t), []string{schemaFile}, []string{seedFile}, opts...)
				if len(want) == 0 {
					if err != nil {
						t.Errorf("deferred=%v: %v", deferred, err)
					}
					continue
				}
				if err == nil {
					t.Errorf("deferred=%v: seeding succeeded", deferred)
					continue
				}
				for _, w := range want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("deferred=%v: error lacks %q: %v", deferred, w, err)
					}
				}
			}
		})
	}
}
