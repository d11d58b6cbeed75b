// Command plangate-bench-seed measures how fast plangate seeds a database.
// In one local cluster it loads the same 10 million rows (three tables,
// three primary key indexes, two foreign keys) three ways:
//
//	(a) a naive SQL script: INSERT ... SELECT with the indexes and foreign
//	    keys in place, then VACUUM ANALYZE;
//	(b) plangate's seed.Generate from a data spec;
//	(c) the floor: bare INSERT ... SELECT into tables without indexes or
//	    keys, with the index and foreign key builds timed apart;
//
// then the warm start from the seeded-state cache: copying the cached data
// directory and starting a server on it. It prints a table.
//
//	go run ./cmd/plangate-bench-seed [-rows 10000000] [-parallel 2] [-wal-level replica]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/seed"
)

func main() {
	rows := flag.Int64("rows", 10_000_000, "rows in all: 10% customers, 30% orders, 60% order_items")
	parallel := flag.Int("parallel", 0, "seed.WithParallel (0: its default)")
	walLevel := flag.String("wal-level", "replica", "the cluster's wal_level (replica or minimal)")
	skipCache := flag.Bool("skip-cache", false, "do not measure the cache's warm start")
	flag.Parse()
	b := bench{rows: *rows, parallel: *parallel, walLevel: *walLevel, log: os.Stderr}
	if err := b.run(context.Background(), os.Stdout, !*skipCache); err != nil {
		fmt.Fprintln(os.Stderr, "plangate-bench-seed:", err)
		os.Exit(2)
	}
}

type bench struct {
	rows      int64
	parallel  int
	walLevel  string
	log       io.Writer
	customers int64
	orders    int64
	items     int64
}

// Server settings for every run: enough WAL that no run pays for a forced
// checkpoint, and buffers the size of a small CI runner's.
func (b *bench) settings() pgserver.Settings {
	s := pgserver.Settings{
		"shared_buffers":     "1GB",
		"max_wal_size":       "20GB",
		"checkpoint_timeout": "1h",
		"wal_level":          b.walLevel,
	}
	if b.walLevel == "minimal" {
		s["max_wal_senders"] = "0"
	}
	return s
}

// result is one method's phases; a zero phase was not part of it.
type result struct {
	load, indexes, fks, analyze, total time.Duration
}

func (b *bench) run(ctx context.Context, out io.Writer, withCache bool) error {
	b.customers, b.orders = b.rows/10, b.rows*3/10
	b.items = b.rows - b.customers - b.orders
	srv, err := pgserver.StartLocal(ctx, pgserver.WithSettings(b.settings()))
	if err != nil {
		return err
	}
	defer srv.Close(context.Background())
	bin, err := pgserver.FindBinaries(ctx, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(b.log, "bench: %s\n", srv.Describe())

	floor, err := b.floor(ctx, srv)
	if err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	naive, err := b.naive(ctx, srv)
	if err != nil {
		return fmt.Errorf("naive: %w", err)
	}
	gen, err := b.generate(ctx, srv)
	if err != nil {
		return fmt.Errorf("plangate: %w", err)
	}
	var warm, cold time.Duration
	var cacheSize int64
	if withCache {
		if cold, warm, cacheSize, err = b.cache(ctx, bin); err != nil {
			return fmt.Errorf("cache: %w", err)
		}
	}

	fmt.Fprintf(out, "\nseeding %s rows (customers %s, orders %s, order_items %s; 3 indexes, 2 foreign keys)\n",
		count(b.rows), count(b.customers), count(b.orders), count(b.items))
	fmt.Fprintf(out, "PostgreSQL %s, %d CPUs, wal_level=%s, load average at the end %s\n\n", bin.Version, runtime.NumCPU(), b.walLevel, loadAverage())
	const format = "%-48s %8s %8s %13s %15s %8s\n"
	fmt.Fprintf(out, format, "method", "load", "indexes", "foreign keys", "vacuum analyze", "total")
	row := func(name string, r result) {
		fmt.Fprintf(out, format, name, dur(r.load), dur(r.indexes), dur(r.fks), dur(r.analyze), dur(r.total))
	}
	row("(a) naive SQL, indexes and keys in place", naive)
	row("(b) plangate seed.Generate", gen)
	row("(c) floor: bare INSERT ... SELECT", floor)
	if withCache {
		row("cache: first run (seed a new cluster, keep it)", result{total: cold})
		row(fmt.Sprintf("cache: warm start (copy %s, start, connect)", bytesHuman(cacheSize)), result{total: warm})
	}

	genNoAnalyze := gen.total - gen.analyze
	floorBuilt := floor.load + floor.indexes
	fmt.Fprintf(out, "\n(b) vs (a), both with VACUUM ANALYZE:          %.1fx faster (aim: >= 3x)\n", naive.total.Seconds()/gen.total.Seconds())
	fmt.Fprintf(out, "(b) without ANALYZE vs (c) load + indexes:    %.2fx the floor's time (aim: <= 1.5x)\n", genNoAnalyze.Seconds()/floorBuilt.Seconds())
	fmt.Fprintf(out, "(b) without ANALYZE vs (c) load + indexes + foreign keys: %.2fx\n", genNoAnalyze.Seconds()/(floorBuilt+floor.fks).Seconds())
	return nil
}

const tablesSQL = `
CREATE TABLE customers (
    id         bigint NOT NULL,
    name       text NOT NULL,
    email      text NOT NULL,
    country    char(2) NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE TABLE orders (
    id          bigint NOT NULL,
    customer_id bigint NOT NULL,
    status      text NOT NULL,
    amount      numeric(10, 2) NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE TABLE order_items (
    id         bigint NOT NULL,
    order_id   bigint NOT NULL,
    product_id integer NOT NULL,
    quantity   integer NOT NULL,
    price      numeric(10, 2) NOT NULL
);`

var indexSQL = []string{
	"ALTER TABLE customers ADD PRIMARY KEY (id)",
	"ALTER TABLE orders ADD PRIMARY KEY (id)",
	"ALTER TABLE order_items ADD PRIMARY KEY (id)",
}

var foreignKeySQL = []string{
	"ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id)",
	"ALTER TABLE order_items ADD FOREIGN KEY (order_id) REFERENCES orders (id)",
}

// insertSQL is what a hand-written seed script does: random() values from
// generate_series, one statement per table.
func (b *bench) insertSQL() []string {
	return []string{
		fmt.Sprintf(`INSERT INTO customers
SELECT g, 'customer ' || (random() * 400000)::int, 'user' || g || '@example.com',
       (ARRAY['US', 'DE', 'GB', 'FR', 'BR', 'IN', 'JP', 'NL'])[1 + floor(random() * 8)::int],
       timestamptz '2018-01-01' + g * interval '1 minute'
FROM generate_series(1, %d) g`, b.customers),
		fmt.Sprintf(`INSERT INTO orders
SELECT g, 1 + floor(random() * %d)::bigint,
       (ARRAY['delivered', 'shipped', 'cancelled', 'pending'])[1 + floor(random() * 4)::int],
       round((random() * 200)::numeric, 2),
       timestamptz '2019-01-01' + g * interval '10 seconds'
FROM generate_series(1, %d) g`, b.customers, b.orders),
		fmt.Sprintf(`INSERT INTO order_items
SELECT g, 1 + floor(random() * %d)::bigint, 1 + floor(random() * 10000)::int,
       1 + floor(random() * 5)::int, round((random() * 100)::numeric, 2)
FROM generate_series(1, %d) g`, b.orders, b.items),
	}
}

// dataSpec is the plangate counterpart of insertSQL: the same tables,
// columns and types, with skewed distributions where a seed script would
// use uniform ones.
func (b *bench) dataSpec() (*seed.Spec, error) {
	return seed.ParseSpec("bench.yaml", fmt.Appendf(nil, `
version: 1
seed: 1
tables:
  customers:
    rows: %d
    columns:
      id: {generator: sequence}
      name: {generator: text, min_length: 5, max_length: 20, distinct: 400000, skew: 0.7}
      email: {generator: text, unique: true, min_length: 13, max_length: 16, suffix: "@example.com"}
      country: {generator: category, values: {US: 38, DE: 11, GB: 10, FR: 8, BR: 8, IN: 7, JP: 6, NL: 4}}
      created_at: {generator: timestamp, min: 2018-01-01, max: 2025-01-01, sorted: true}
  orders:
    rows: %d
    columns:
      id: {generator: sequence}
      customer_id: {generator: reference, table: customers, column: id, skew: 0.6}
      status: {generator: category, values: {delivered: 62, shipped: 27, cancelled: 9, pending: 2}}
      amount: {generator: normal, mean: 85, stddev: 60, min: 1, max: 5000}
      created_at: {generator: timestamp, min: 2019-01-01, max: 2025-06-01, sorted: true}
  order_items:
    rows: %d
    columns:
      id: {generator: sequence}
      order_id: {generator: reference, table: orders, column: id}
      product_id: {generator: zipf, min: 1, max: 10000, skew: 1.0}
      quantity: {generator: zipf, min: 1, max: 20, skew: 2.0}
      price: {generator: uniform, min: 0.5, max: 100}
`, b.customers, b.orders, b.items))
}

func (b *bench) newDatabase(ctx context.Context, srv pgserver.Server, name, schema string) (*pgx.Conn, string, error) {
	if err := pgserver.CreateDatabase(ctx, srv, name, ""); err != nil {
		return nil, "", err
	}
	dsn := srv.ConnString(name)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, "", err
	}
	if _, err := conn.Exec(ctx, schema); err != nil {
		conn.Close(ctx)
		return nil, "", err
	}
	return conn, dsn, nil
}

// settle checkpoints, so that one run's dirty buffers are not the next
// run's writes.
func settle(ctx context.Context, conn *pgx.Conn) error {
	_, err := conn.Exec(ctx, "CHECKPOINT")
	return err
}

func (b *bench) timed(ctx context.Context, conn *pgx.Conn, what string, stmts ...string) (time.Duration, error) {
	start := time.Now()
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
	}
	d := time.Since(start)
	fmt.Fprintf(b.log, "bench: %s: %s\n", what, dur(d))
	return d, nil
}

func (b *bench) floor(ctx context.Context, srv pgserver.Server) (result, error) {
	conn, _, err := b.newDatabase(ctx, srv, "bench_floor", tablesSQL)
	if err != nil {
		return result{}, err
	}
	defer drop(ctx, srv, conn, "bench_floor")
	var r result
	if err := settle(ctx, conn); err != nil {
		return r, err
	}
	if r.load, err = b.timed(ctx, conn, "(c) load", b.insertSQL()...); err != nil {
		return r, err
	}
	if r.indexes, err = b.timed(ctx, conn, "(c) indexes", indexSQL...); err != nil {
		return r, err
	}
	if r.fks, err = b.timed(ctx, conn, "(c) foreign keys", foreignKeySQL...); err != nil {
		return r, err
	}
	r.total = r.load + r.indexes + r.fks
	return r, nil
}

func (b *bench) naive(ctx context.Context, srv pgserver.Server) (result, error) {
	schema := tablesSQL + ";\n" + strings.Join(indexSQL, ";\n") + ";\n" + strings.Join(foreignKeySQL, ";\n")
	conn, _, err := b.newDatabase(ctx, srv, "bench_naive", schema)
	if err != nil {
		return result{}, err
	}
	defer drop(ctx, srv, conn, "bench_naive")
	var r result
	if err := settle(ctx, conn); err != nil {
		return r, err
	}
	if r.load, err = b.timed(ctx, conn, "(a) load with indexes and foreign keys", b.insertSQL()...); err != nil {
		return r, err
	}
	start := time.Now()
	if _, err := seed.Analyze(ctx, conn, nil); err != nil {
		return r, err
	}
	r.analyze = time.Since(start)
	fmt.Fprintf(b.log, "bench: (a) vacuum analyze: %s\n", dur(r.analyze))
	r.total = r.load + r.analyze
	return r, nil
}

func (b *bench) generate(ctx context.Context, srv pgserver.Server) (result, error) {
	schema := tablesSQL + ";\n" + strings.Join(indexSQL, ";\n") + ";\n" + strings.Join(foreignKeySQL, ";\n")
	conn, dsn, err := b.newDatabase(ctx, srv, "bench_plangate", schema)
	if err != nil {
		return result{}, err
	}
	defer drop(ctx, srv, conn, "bench_plangate")
	spec, err := b.dataSpec()
	if err != nil {
		return result{}, err
	}
	if err := settle(ctx, conn); err != nil {
		return result{}, err
	}
	var log bytes.Buffer
	opts := []seed.GenOption{seed.WithProgressTo(io.MultiWriter(&log, b.log), false)}
	if b.parallel > 0 {
		opts = append(opts, seed.WithParallel(b.parallel))
	}
	start := time.Now()
	if _, err := seed.Generate(ctx, dsn, spec, opts...); err != nil {
		return result{}, err
	}
	r := result{total: time.Since(start)}
	// The phases, from Generate's own progress lines.
	r.load = phase(log.String(), `seed: loading [^\n]*: \S+ rows in (\S+) `)
	r.indexes = phase(log.String(), `seed: indexes: \d+ rebuilt in (\S+)`)
	r.fks = phase(log.String(), `seed: foreign keys: \d+ added in (\S+)`)
	r.analyze = phase(log.String(), `seed: vacuum analyze: (\S+)`)
	fmt.Fprintf(b.log, "bench: (b) plangate: %s\n", dur(r.total))
	return r, nil
}

func phase(log, pattern string) time.Duration {
	m := regexp.MustCompile(pattern).FindStringSubmatch(log)
	if m == nil {
		return 0
	}
	s := m[1]
	if strings.HasSuffix(s, "s") && !strings.Contains(s, "m") {
		f, _ := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
		return time.Duration(f * float64(time.Second))
	}
	d, _ := time.ParseDuration(s)
	return d
}

// cache measures the seeded-state cache: the first run seeds a fresh
// cluster and keeps its data directory; the second copies it and starts a
// server on the copy.
func (b *bench) cache(ctx context.Context, bin pgserver.Binaries) (cold, warm time.Duration, size int64, err error) {
	dir, err := os.MkdirTemp("", "plangate-bench-cache-")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, 0, 0, err
	}
	cache, err := seed.NewCache(dir, seed.WithCacheLog(b.log))
	if err != nil {
		return 0, 0, 0, err
	}
	spec, err := b.dataSpec()
	if err != nil {
		return 0, 0, 0, err
	}
	schema := tablesSQL + ";\n" + strings.Join(indexSQL, ";\n") + ";\n" + strings.Join(foreignKeySQL, ";\n")
	key, err := seed.CacheKey{Spec: spec, Seed: spec.Seed, PostgresVersion: bin.Version, Extra: []string{schema, b.walLevel}}.Hash()
	if err != nil {
		return 0, 0, 0, err
	}
	start := func(dataDir string) (pgserver.Server, error) {
		return pgserver.StartLocal(ctx, pgserver.WithBinDir(bin.Dir), pgserver.WithDataDir(dataDir), pgserver.WithSettings(b.settings()))
	}
	build := func(dataDir string) (err error) {
		srv, err := start(dataDir)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := srv.Close(context.Background()); err == nil {
				err = cerr
			}
		}()
		conn, err := pgx.Connect(ctx, srv.ConnString(""))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, schema); err != nil {
			return err
		}
		var opts []seed.GenOption
		if b.parallel > 0 {
			opts = append(opts, seed.WithParallel(b.parallel))
		}
		_, err = seed.Generate(ctx, srv.ConnString(""), spec, opts...)
		return err
	}
	began := time.Now()
	copy1, _, err := cache.DataDir(ctx, key, build)
	if err != nil {
		return 0, 0, 0, err
	}
	cold = time.Since(began)
	os.RemoveAll(copy1)
	size = dirSize(cache.EntryPath(key))

	began = time.Now()
	copy2, hit, err := cache.DataDir(ctx, key, build)
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.RemoveAll(copy2)
	if !hit {
		return 0, 0, 0, fmt.Errorf("second run missed the cache")
	}
	srv, err := start(copy2)
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.Close(context.Background())
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		return 0, 0, 0, err
	}
	var n int64
	err = conn.QueryRow(ctx, "SELECT reltuples::bigint FROM pg_class WHERE relname = 'order_items'").Scan(&n)
	conn.Close(ctx)
	warm = time.Since(began)
	if err != nil || n != b.items {
		return 0, 0, 0, fmt.Errorf("warm cluster: order_items has %d rows in its statistics, want %d (%v)", n, b.items, err)
	}
	fmt.Fprintf(b.log, "bench: cache: first run %s, warm start %s\n", dur(cold), dur(warm))
	return cold, warm, size, nil
}

func drop(ctx context.Context, srv pgserver.Server, conn *pgx.Conn, name string) {
	conn.Close(ctx)
	if err := pgserver.DropDatabase(ctx, srv, name); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func dur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}

func count(n int64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func bytesHuman(n int64) string {
	return fmt.Sprintf("%.2f GB", float64(n)/(1<<30))
}
