package seed

import (
	"context"
	"slices"
	"strings"
	"testing"
)

// TestGenerate_Histogram: most-common values come with their shares of all
// rows, the rest fills the buckets between the bounds equally, and sorted
// rows rise with the table's order.
func TestGenerate_Histogram(t *testing.T) {
	ctx := context.Background()
	dsn := newSchemaDB(t, `CREATE TABLE h (n int, amount numeric(10, 2), at timestamptz, status text)`)
	spec := mustSpec(t, `version: 1
tables:
  h:
    rows: 20000
    columns:
      n: {generator: histogram, values: {7: 0.3}, bounds: [0, 10, 1000]}
      amount: {generator: histogram, bounds: [1.5, 2.5, 100], null_fraction: 0.1}
      at: {generator: histogram, bounds: ["2025-01-01 00:00:00+00", "2025-02-01 00:00:00+00", "2025-12-01 00:00:00+00"], sorted: true}
      status: {generator: histogram, values: {shipped: 0.85, paid: 0.1, pending: 0.05}}
`)
	if _, err := Generate(ctx, dsn, spec); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dsn)
	near := nearly(t)
	near("share of n = 7", queryFloat(t, conn, `SELECT avg((n = 7)::int) FROM h`), 0.3+0.7*0.5/10, 0.02)
	near("share of n below 10", queryFloat(t, conn, `SELECT avg((n < 10)::int) FROM h`), 0.3+0.7*0.5, 0.02)
	if n := queryFloat(t, conn, `SELECT count(*) FROM h WHERE n NOT BETWEEN 0 AND 1000`); n != 0 {
		t.Errorf("%v values of n outside the bounds", n)
	}
	near("amount null fraction", queryFloat(t, conn, `SELECT avg((amount IS NULL)::int) FROM h`), 0.1, 0.01)
	near("share of amount in the first bucket", queryFloat(t, conn, `SELECT avg((amount < 2.5)::int) FROM h WHERE amount IS NOT NULL`), 0.5, 0.02)
	near("at: half in January", queryFloat(t, conn, `SELECT avg((at < '2025-02-01')::int) FROM h`), 0.5, 0.01)
	if _, err := conn.Exec(ctx, "ANALYZE h"); err != nil {
		t.Fatal(err)
	}
	near("at correlation", queryFloat(t, conn, `SELECT correlation FROM pg_stats WHERE tablename = 'h' AND attname = 'at'`), 1, 0.001)
	near("share shipped", queryFloat(t, conn, `SELECT avg((status = 'shipped')::int) FROM h`), 0.85, 0.02)
	near("share pending", queryFloat(t, conn, `SELECT avg((status = 'pending')::int) FROM h`), 0.05, 0.01)
}

func TestParseSpec_HistogramMistakes(t *testing.T) {
	for _, c := range []struct{ col, want string }{
		{`{generator: histogram}`, "histogram needs bounds, values or both"},
		{`{generator: histogram, bounds: [1]}`, "at least two values"},
		{`{generator: histogram, bounds: [1, 2], values: {a: 0.7, b: 0.6}}`, "add up to 1.3"},
	} {
		_, err := ParseSpec("data.yaml", []byte("version: 1\ntables:\n  h:\n    rows: 10\n    columns:\n      n: "+c.col+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.col, err, c.want)
		}
	}
}

// TestSpecFromStats exports the statistics of a "production" database,
// writes a data spec from them at a tenth of the size, seeds a CI database
// of the same schema from it, and checks that the CI data has production's
// shape: the share of each status, the skew of the foreign key, ids and
// times rising together, NULLs, the partitioned table's rows.
func TestSpecFromStats(t *testing.T) {
	ctx := context.Background()
	const schema = `
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL, tier text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers, status text NOT NULL,
    total numeric(10, 2) NOT NULL, created_at timestamptz NOT NULL, shipped_at timestamptz);
CREATE TABLE events (id bigint NOT NULL, kind text NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE events_default PARTITION OF events DEFAULT;`
	prod := newSchemaDB(t, schema)
	prodSpec := mustSpec(t, `version: 1
tables:
  customers:
    rows: 20000
    columns:
      id: {generator: sequence}
      email: {generator: text, unique: true, min_length: 13, max_length: 24, suffix: "@example.com"}
      tier: {generator: category, values: {basic: 90, gold: 9, platinum: 1}}
  orders:
    rows: 200000
    columns:
      id: {generator: sequence}
      customer_id: {generator: reference, table: customers, skew: 1.0}
      status: {generator: category, values: {shipped: 85, paid: 10, pending: 4, refunded: 1}}
      total: {generator: normal, mean: 80, stddev: 30, min: 1, max: 1000}
      created_at: {generator: timestamp, min: 2020-01-01, max: 2025-06-30, sorted: true}
      shipped_at: {generator: correlated, with: created_at, min_offset: 1d, max_offset: 3d, null_fraction: 0.2}
  events:
    rows: 50000
    columns:
      id: {generator: sequence}
      kind: {generator: category, values: {view: 80, click: 20}}
      at: {generator: timestamp, min: 2024-07-01, max: 2025-06-30, sorted: true}
`)
	if _, err := Generate(ctx, prod, prodSpec); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, prod).Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	stats, err := ExportStats(ctx, prod, WithStatsValues())
	if err != nil {
		t.Fatal(err)
	}
	ci := newSchemaDB(t, schema)
	written, err := SpecFromStats(ctx, ci, stats, SpecFromStatsOptions{Scale: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("written spec:\n%s", written)
	spec, err := ParseSpec("stats.yaml", written)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, ts := range spec.Tables {
		names = append(names, ts.Name)
	}
	if want := []string{"customers", "events", "orders"}; !slices.Equal(names, want) {
		t.Fatalf("spec tables %q, want %q (the partitioned table, not its partitions)", names, want)
	}
	if _, err := Generate(ctx, ci, spec); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, ci)
	near := nearly(t)
	near("orders", queryFloat(t, conn, `SELECT count(*) FROM orders`), 20000, 1)
	near("events", queryFloat(t, conn, `SELECT count(*) FROM events`), 5000, 1)
	near("events in the default partition", queryFloat(t, conn, `SELECT count(*) FROM events_default`), 2500, 250)
	near("share shipped", queryFloat(t, conn, `SELECT avg((status = 'shipped')::int) FROM orders`), 0.85, 0.02)
	near("share refunded", queryFloat(t, conn, `SELECT avg((status = 'refunded')::int) FROM orders`), 0.01, 0.005)
	near("share platinum", queryFloat(t, conn, `SELECT avg((tier = 'platinum')::int) FROM customers`), 0.01, 0.006)
	near("shipped_at null fraction", queryFloat(t, conn, `SELECT avg((shipped_at IS NULL)::int) FROM orders`), 0.2, 0.02)
	near("mean total", queryFloat(t, conn, `SELECT avg(total) FROM orders`), 80, 4)
	if n := queryFloat(t, conn, `SELECT count(*) - count(DISTINCT email) FROM customers`); n != 0 {
		t.Errorf("%v repeated emails: production's are unique", n)
	}
	// The most referenced customer holds about the share production's does.
	prodTop := queryFloat(t, connect(t, prod), `SELECT max(n)::float / sum(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id) s`)
	ciTop := queryFloat(t, conn, `SELECT max(n)::float / sum(n) FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id) s`)
	if ciTop < prodTop/2 || ciTop > prodTop*2 {
		t.Errorf("the most referenced customer holds %.3f of the orders, production's %.3f", ciTop, prodTop)
	}
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	near("created_at correlation", queryFloat(t, conn, `SELECT correlation FROM pg_stats WHERE tablename = 'orders' AND attname = 'created_at'`), 1, 0.01)
}
