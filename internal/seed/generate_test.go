package seed

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/plangate/plangate/internal/pgtest"
)

// shopSchema has what Generate must take apart and put back: primary keys,
// a unique constraint, a plain and a partial index, foreign keys, a serial
// column, a column left to its default and a column of a type loaded in
// text format (an enum).
const shopSchema = `
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'refunded');
CREATE TABLE customers (
    id         bigint PRIMARY KEY,
    email      text NOT NULL UNIQUE,
    name       varchar(40),
    country    char(2) NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id          bigserial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    status      order_status NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    created_at  timestamptz NOT NULL,
    shipped_at  timestamptz,
    note        text DEFAULT 'none'
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_pending_idx ON orders (created_at) WHERE status = 'pending';
CREATE TABLE items (
    order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line     int NOT NULL,
    qty      smallint NOT NULL,
    price    float8,
    PRIMARY KEY (order_id, line)
);
`

const shopSpec = `
version: 1
seed: 7
tables:
  customers:
    rows: 2000
    columns:
      id: {generator: sequence}
      email: {generator: text, unique: true, min_length: 13, max_length: 20, suffix: "@example.com"}
      name: {generator: text, min_length: 3, max_length: 12, distinct: 300, skew: 1.0, null_fraction: 0.1}
      country: {generator: category, values: {US: 50, DE: 20, FR: 15, BR: 15}}
      created_at: {generator: timestamp, min: 2020-01-01, max: 2024-01-01, sorted: true}
  orders:
    rows: 10000
    columns:
      id: {generator: sequence}
      customer_id: {generator: reference, table: customers, skew: 1.1}
      status: {generator: category, values: {paid: 60, shipped: 30, pending: 8, refunded: 2}}
      amount: {generator: normal, mean: 80, stddev: 30, min: 1, max: 1000}
      created_at: {generator: timestamp, min: 2021-01-01, max: 2024-06-01}
      shipped_at: {generator: correlated, with: created_at, min_offset: 1h, max_offset: 3d, null_fraction: 0.25}
  items:
    rows: 30000
    columns:
      order_id: {generator: reference, table: orders}
      line: {generator: sequence}
      qty: {generator: zipf, min: 1, max: 50, skew: 1.5}
      price: {generator: uniform, min: 0.5, max: 99.5}
`

func mustSpec(t *testing.T, body string) *Spec {
	t.Helper()
	s, err := ParseSpec("data.yaml", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newSchemaDB returns a fresh database with schema applied.
func newSchemaDB(t *testing.T, schema string) string {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	conn := connect(t, dsn)
	if _, err := conn.Exec(context.Background(), schema); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func connect(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// nearly returns a check that a measured value is within tol of want.
func nearly(t *testing.T) func(name string, got, want, tol float64) {
	return func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
}

func queryFloat(t *testing.T, conn *pgx.Conn, sql string, args ...any) float64 {
	t.Helper()
	var f float64
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&f); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return f
}

// checksums returns an md5 of every spec table's rows in physical order,
// so that the order the rows were written in counts too.
func checksums(t *testing.T, dsn string, tables ...string) map[string]string {
	t.Helper()
	conn := connect(t, dsn)
	out := map[string]string{}
	for _, table := range tables {
		var sum string
		err := conn.QueryRow(context.Background(),
			"SELECT md5(string_agg(r::text, E'\\n' ORDER BY ctid)) FROM "+table+" r").Scan(&sum)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = sum
	}
	return out
}

func TestGenerate_Deterministic(t *testing.T) {
	ctx := context.Background()
	spec := mustSpec(t, shopSpec)
	tables := []string{"customers", "orders", "items"}
	run := func(opts ...GenOption) map[string]string {
		dsn := newSchemaDB(t, shopSchema)
		if _, err := Generate(ctx, dsn, spec, opts...); err != nil {
			t.Fatal(err)
		}
		return checksums(t, dsn, tables...)
	}
	first := run()
	second := run(WithParallel(1))
	for _, table := range tables {
		if first[table] != second[table] {
			t.Errorf("%s: checksum %s then %s with the same seed", table, first[table], second[table])
		}
	}
	if !equalMaps(first, run(WithSeed(7))) {
		t.Error("WithSeed(7) differs from the spec's seed: 7")
	}
	other := run(WithSeed(8))
	for _, table := range tables {
		if first[table] == other[table] {
			t.Errorf("%s: same checksum with seeds 7 and 8", table)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestGenerate_SchemaRestored(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, shopSchema)
	conn := connect(t, dsn)
	const defs = `
		SELECT string_agg(def, E'\n' ORDER BY def) FROM (
		  SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index
		  WHERE indrelid IN ('customers'::regclass, 'orders'::regclass, 'items'::regclass)
		  UNION ALL
		  SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		  WHERE conrelid IN ('customers'::regclass, 'orders'::regclass, 'items'::regclass)) d`
	var before, after string
	if err := conn.QueryRow(ctx, defs).Scan(&before); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res, err := Generate(ctx, dsn, mustSpec(t, shopSpec), WithProgress(&log))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, defs).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("indexes and constraints changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	rows := map[string]int64{}
	for _, tb := range res.Tables {
		rows[tb.Name] = tb.Rows
	}
	if rows["public.customers"] != 2000 || rows["public.orders"] != 10000 || rows["public.items"] != 30000 {
		t.Errorf("rows = %v", rows)
	}
	// Every foreign key was validated when it was added back; check anyway.
	if n := queryFloat(t, conn, `SELECT count(*) FROM orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL`); n != 0 {
		t.Errorf("%v orders reference no customer", n)
	}
	var validated bool
	if err := conn.QueryRow(ctx, `SELECT bool_and(convalidated) FROM pg_constraint WHERE contype = 'f'`).Scan(&validated); err != nil || !validated {
		t.Errorf("foreign keys not validated (%v)", err)
	}
	// The serial sequence continues after the generated ids.
	if next := queryFloat(t, conn, `SELECT nextval('orders_id_seq')`); next != 10001 {
		t.Errorf("orders_id_seq next = %v, want 10001", next)
	}
	// A column left out of the spec took its default.
	if n := queryFloat(t, conn, `SELECT count(*) FROM orders WHERE note = 'none'`); n != 10000 {
		t.Errorf("%v rows with the default note, want 10000", n)
	}
	if n := queryFloat(t, conn, `SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NULL AND relname IN ('customers', 'orders', 'items')`); n != 0 {
		t.Errorf("%v tables not analyzed", n)
	}
	for _, want := range []string{"dropped 6 indexes and 2 foreign keys", "loaded orders", "built index orders_pkey", "added foreign key orders_customer_id_fkey", "analyzed public.orders"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, log.String())
		}
	}
}

func TestGenerate_Distributions(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, shopSchema)
	if _, err := Generate(ctx, dsn, mustSpec(t, shopSpec)); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	near := nearly(t)
	near("customers.name null fraction", queryFloat(t, conn, `SELECT avg((name IS NULL)::int) FROM customers`), 0.1, 0.02)
	near("orders.shipped_at null fraction", queryFloat(t, conn, `SELECT avg((shipped_at IS NULL)::int) FROM orders`), 0.25, 0.02)
	near("share of US customers", queryFloat(t, conn, `SELECT avg((country = 'US')::int) FROM customers`), 0.5, 0.03)
	near("share of paid orders", queryFloat(t, conn, `SELECT avg((status = 'paid')::int) FROM orders`), 0.6, 0.02)
	near("mean amount", queryFloat(t, conn, `SELECT avg(amount) FROM orders`), 80, 1.5)
	near("amount stddev", queryFloat(t, conn, `SELECT stddev(amount) FROM orders`), 30, 1.5)

	// Zipf with skew 1.5 over 1..50: P(1) = 1/H(50, 1.5), about 0.39, and
	// P(2) = P(1)/2^1.5.
	h := 0.0
	for k := 1; k <= 50; k++ {
		h += math.Pow(float64(k), -1.5)
	}
	near("P(qty = 1)", queryFloat(t, conn, `SELECT avg((qty = 1)::int) FROM items`), 1/h, 0.015)
	near("P(qty = 2)", queryFloat(t, conn, `SELECT avg((qty = 2)::int) FROM items`), math.Pow(2, -1.5)/h, 0.015)
	if n := queryFloat(t, conn, `SELECT count(*) FROM items WHERE qty NOT BETWEEN 1 AND 50`); n != 0 {
		t.Errorf("%v qty values outside 1..50", n)
	}
	// The referenced customers are skewed too: the most referenced one far
	// above the mean of 5 orders per customer.
	if top := queryFloat(t, conn, `SELECT max(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id) s`); top < 500 {
		t.Errorf("the most referenced customer has %v orders; a skew of 1.1 should give hundreds", top)
	}
	// shipped_at follows created_at by 1h to 3d.
	if n := queryFloat(t, conn, `SELECT count(*) FROM orders WHERE shipped_at < created_at + interval '1 hour' OR shipped_at > created_at + interval '3 days'`); n != 0 {
		t.Errorf("%v orders shipped outside 1h..3d after creation", n)
	}
	// Sorted timestamps rise with the physical order: correlation 1.
	near("created_at correlation", queryFloat(t, conn, `SELECT correlation FROM pg_stats WHERE tablename = 'customers' AND attname = 'created_at'`), 1, 0.001)
	near("name distinct values", queryFloat(t, conn, `SELECT count(DISTINCT name) FROM customers`), 200, 100)
	if n := queryFloat(t, conn, `SELECT count(*) FROM customers WHERE length(email) NOT BETWEEN 25 AND 32 OR email NOT LIKE '%@example.com'`); n != 0 {
		t.Errorf("%v emails of the wrong shape", n)
	}
}

func TestGenerate_Scale(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, shopSchema)
	res, err := Generate(ctx, dsn, mustSpec(t, shopSpec), WithScale(0.1))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, tb := range res.Tables {
		rows[tb.Name] = tb.Rows
	}
	if rows["public.customers"] != 200 || rows["public.orders"] != 1000 || rows["public.items"] != 3000 {
		t.Errorf("rows at scale 0.1 = %v", rows)
	}
	conn := connect(t, dsn)
	// References stay within the scaled parent table.
	if max := queryFloat(t, conn, `SELECT max(customer_id) FROM orders`); max > 200 {
		t.Errorf("max customer_id = %v at 200 customers", max)
	}
	// Distributions hold at any scale.
	if got := queryFloat(t, conn, `SELECT avg((status = 'paid')::int) FROM orders`); math.Abs(got-0.6) > 0.06 {
		t.Errorf("share of paid orders at scale 0.1 = %v", got)
	}
	if _, err := Generate(ctx, dsn, mustSpec(t, shopSpec), WithScale(0)); err == nil {
		t.Error("scale 0 accepted")
	}
}

func TestGenerate_SchemaMismatch(t *testing.T) {
	ctx := context.Background()
	shared := newSchemaDB(t, shopSchema)
	tests := []struct {
		name, spec, want string
		// duringLoad marks mistakes found while loading, which leave the
		// database partly seeded: such a case gets a database of its own.
		duringLoad bool
	}{
		{"unknown table", `{version: 1, tables: {custmers: {rows: 1, columns: {id: {generator: sequence}}}}}`,
			`seed: data.yaml: table "custmers": no such table in the database (did you mean "customers"?)`, false},
		{"unknown column", `{version: 1, tables: {customers: {rows: 1, columns: {emial: {generator: uuid}}}}}`,
			`seed: data.yaml: table "customers": column "emial": no such column in table "customers" (did you mean "email"?)`, false},
		{"generator does not fit the type", `{version: 1, tables: {orders: {rows: 1, columns: {customer_id: {generator: timestamp, min: 2020-01-01, max: 2021-01-01}}}}}`,
			`seed: data.yaml: table "orders": column "customer_id": generator "timestamp" cannot fill a column of type bigint (try sequence, uniform, normal, zipf or reference)`, false},
		{"category value not of the type", `{version: 1, tables: {orders: {rows: 5, columns: {customer_id: {generator: sequence}, amount: {generator: uniform, min: 1, max: 2}, created_at: {generator: timestamp, min: 2020-01-01, max: 2021-01-01}, status: {generator: category, values: [lost]}}}}}`,
			`invalid input value for enum order_status: "lost"`, true},
		{"NOT NULL column left out", `{version: 1, tables: {customers: {rows: 1, columns: {id: {generator: sequence}}}}}`,
			`seed: data.yaml: table "customers": column "email": is NOT NULL and has no default: add a generator for it`, false},
		{"nulls in a NOT NULL column", `{version: 1, tables: {items: {rows: 1, columns: {order_id: {generator: sequence}, line: {generator: sequence}, qty: {generator: sequence, null_fraction: 0.5}}}}}`,
			`column "qty": is NOT NULL: null_fraction must be 0`, false},
		{"text too long for varchar", `{version: 1, tables: {customers: {rows: 1, columns: {name: {generator: text, max_length: 50}}}}}`,
			`column "name": text up to 50 characters does not fit character varying(40): lower max_length`, false},
		{"reference to an empty table", `{version: 1, tables: {items: {rows: 1, columns: {order_id: {generator: reference, table: orders}, line: {generator: sequence}, qty: {generator: sequence}}}}}`,
			`column "order_id": references table "orders", which is empty and not in the spec: seed it first or add it to the spec`, false},
		{"value out of range", `{version: 1, tables: {items: {rows: 40000, columns: {order_id: {generator: sequence}, line: {generator: sequence}, qty: {generator: sequence}}}}}`,
			`seed: table "items": column "qty": row 32768: 32768 is out of range for smallint`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := shared
			if tt.duringLoad {
				dsn = newSchemaDB(t, shopSchema)
			}
			_, err := Generate(ctx, dsn, mustSpec(t, tt.spec))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
	var se *SpecError
	_, err := Generate(ctx, shared, mustSpec(t, tests[0].spec))
	if !errors.As(err, &se) || se.Table != "custmers" {
		t.Errorf("want a *SpecError for table custmers, got %#v", err)
	}
}

// TestGenerate_OutsideTables covers references to a table the user's own
// seed files fill, schema-qualified names and a table with no spec columns.
func TestGenerate_OutsideTables(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, `
		CREATE SCHEMA app;
		CREATE TABLE app.countries (code text PRIMARY KEY);
		INSERT INTO app.countries VALUES ('BR'), ('DE'), ('FR');
		CREATE TABLE app.visits (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, country text REFERENCES app.countries, at date);
		CREATE TABLE app.ticks (id bigserial PRIMARY KEY, at timestamptz DEFAULT '2024-01-01', seen timestamptz DEFAULT now());`)
	spec := mustSpec(t, `
version: 1
tables:
  app.visits:
    rows: 3000
    columns:
      country: {generator: reference, table: app.countries, skew: 2}
      at: {generator: timestamp, min: 2024-01-01, max: 2024-12-31}
  app.ticks:
    rows: 10
    columns: {}
`)
	var log bytes.Buffer
	if _, err := Generate(ctx, dsn, spec, WithProgress(&log)); err != nil {
		t.Fatal(err)
	}
	if want := `seed: warning: table "app.ticks": column "seen" takes its default now(), which differs from run to run`; !strings.Contains(log.String(), want) {
		t.Errorf("no warning about the volatile default in:\n%s", log.String())
	}
	conn := connect(t, dsn)
	if n := queryFloat(t, conn, `SELECT count(DISTINCT country) FROM app.visits`); n != 3 {
		t.Errorf("%v distinct countries, want 3", n)
	}
	// Skew 2 over three rows in key order: BR takes 1/(1+1/4+1/9) = 73%.
	if got := queryFloat(t, conn, `SELECT avg((country = 'BR')::int) FROM app.visits`); math.Abs(got-0.735) > 0.03 {
		t.Errorf("share of BR = %v, want 0.735", got)
	}
	if got := queryFloat(t, conn, `SELECT max(id) FROM app.visits`); got != 3000 {
		t.Errorf("identity ids run to %v, want 3000", got)
	}
	if got := queryFloat(t, conn, `SELECT count(*) FROM app.ticks`); got != 10 {
		t.Errorf("%v ticks, want 10", got)
	}
}

// TestGenerate_ExampleSpec seeds the DRF pagination example's schema with
// its data spec, scaled down, so that the two cannot drift apart.
func TestGenerate_ExampleSpec(t *testing.T) {
	ctx := context.Background()
	spec, err := LoadSpec("../../examples/drf-pagination/data.yaml")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("../../examples/drf-pagination/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	dsn := newSchemaDB(t, string(schema))
	res, err := Generate(ctx, dsn, spec, WithScale(0.001))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, tb := range res.Tables {
		rows[tb.Name] = tb.Rows
	}
	if rows["public.customers"] != 2000 || rows["public.orders"] != 30000 {
		t.Errorf("rows at scale 0.001 = %v", rows)
	}
	conn := connect(t, dsn)
	if got := queryFloat(t, conn, `SELECT avg((status = 'pending')::int) FROM orders`); math.Abs(got-0.02) > 0.005 {
		t.Errorf("share of pending orders = %v, want 0.02", got)
	}
}

// TestGenerate_FreezeLeavesSameState checks that loading with COPY FREEZE
// (rows written frozen and all-visible) ends in the state a plain load
// followed by VACUUM ANALYZE ends in, as far as the planner can tell: same
// rows in the same places, same sizes, same visibility map, same
// statistics.
func TestGenerate_FreezeLeavesSameState(t *testing.T) {
	ctx := context.Background()
	state := func(opts ...GenOption) (map[string]string, string) {
		dsn := newSchemaDB(t, shopSchema)
		if _, err := Generate(ctx, dsn, mustSpec(t, shopSpec), opts...); err != nil {
			t.Fatal(err)
		}
		var catalog string
		err := connect(t, dsn).QueryRow(ctx, `
			SELECT string_agg(line, E'\n' ORDER BY line) FROM (
			  SELECT format('%s pages=%s tuples=%s allvisible=%s', relname, relpages, reltuples, relallvisible) AS line
			  FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'i')
			  UNION ALL
			  SELECT s::text FROM pg_stats s WHERE schemaname = 'public') l`).Scan(&catalog)
		if err != nil {
			t.Fatal(err)
		}
		return checksums(t, dsn, "customers", "orders", "items"), catalog
	}
	frozenRows, frozen := state()
	plainRows, plain := state(genOptionFunc(func(c *genConfig) { c.noFreeze = true }))
	if !equalMaps(frozenRows, plainRows) {
		t.Errorf("rows differ: %v and %v", frozenRows, plainRows)
	}
	if frozen != plain {
		t.Errorf("catalog state differs:\nwith FREEZE:\n%s\nwithout:\n%s", frozen, plain)
	}
}

// TestGenerate_Partitioned loads a partitioned table: rows routed to the
// partitions, and the partitioned indexes rebuilt on every partition.
func TestGenerate_Partitioned(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, `
		CREATE TABLE events (id bigint, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
		CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
		CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
		CREATE INDEX events_kind_idx ON events (kind);`)
	conn := connect(t, dsn)
	const defs = `SELECT string_agg(pg_get_indexdef(indexrelid) || ' valid=' || indisvalid, E'\n' ORDER BY indexrelid::regclass::text)
		FROM pg_index WHERE indrelid IN ('events'::regclass, 'events_2023'::regclass, 'events_2024'::regclass)`
	var before, after string
	if err := conn.QueryRow(ctx, defs).Scan(&before); err != nil {
		t.Fatal(err)
	}
	spec := mustSpec(t, `
version: 1
tables:
  events:
    rows: 5000
    columns:
      id: {generator: sequence}
      at: {generator: timestamp, min: 2023-01-01, max: 2024-12-31}
      kind: {generator: category, values: [click, view, buy]}
`)
	if _, err := Generate(ctx, dsn, spec); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, defs).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("indexes changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if n := queryFloat(t, conn, `SELECT count(*) FROM events_2024`); n < 2000 || n > 3000 {
		t.Errorf("%v rows in events_2024, want about half of 5000", n)
	}
}
