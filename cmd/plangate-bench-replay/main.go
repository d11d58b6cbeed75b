// Command plangate-bench-replay measures plangate's replay overhead: it
// replays 200 small queries against one seeded database through plangate's
// replayer, and runs the same EXPLAINs (each in a rolled-back transaction)
// through psql in one session, then prints both times and their ratio.
//
//	go run ./cmd/plangate-bench-replay [-queries 200] [-rounds 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/replay"
)

func main() {
	n := flag.Int("queries", 200, "number of queries")
	rounds := flag.Int("rounds", 5, "timed rounds of each; the median is reported")
	flag.Parse()
	if err := run(context.Background(), *n, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "plangate-bench-replay:", err)
		os.Exit(2)
	}
}

func run(ctx context.Context, n, rounds int) error {
	srv, err := pgserver.StartLocal(ctx)
	if err != nil {
		return err
	}
	defer srv.Close(context.Background())
	dsn := srv.ConnString("")
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	for _, sql := range []string{
		"CREATE TABLE items (id int PRIMARY KEY, kind int NOT NULL, note text NOT NULL)",
		"INSERT INTO items SELECT g, g % 100, md5(g::text) FROM generate_series(1, 100000) g",
		"VACUUM ANALYZE items",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			return err
		}
	}
	conn.Close(ctx)

	queries := make([]string, n)
	for i := range queries {
		switch i % 4 {
		case 0:
			queries[i] = fmt.Sprintf("SELECT * FROM items WHERE id = %d", i+1)
		case 1:
			queries[i] = fmt.Sprintf("SELECT count(*) FROM items WHERE kind = %d", i%100)
		case 2:
			queries[i] = fmt.Sprintf("SELECT id, note FROM items WHERE id BETWEEN %d AND %d ORDER BY note", i*10, i*10+50)
		case 3:
			queries[i] = fmt.Sprintf("SELECT kind, count(*) FROM items WHERE id < %d GROUP BY kind", 1000+i)
		}
	}

	script := filepath.Join(os.TempDir(), fmt.Sprintf("plangate-bench-%d.sql", os.Getpid()))
	var b strings.Builder
	b.WriteString("SET jit = off;\nSET max_parallel_workers_per_gather = 0;\n")
	for _, q := range queries {
		fmt.Fprintf(&b, "BEGIN READ ONLY;\nEXPLAIN (ANALYZE, BUFFERS, WAL, SETTINGS, FORMAT JSON) %s;\nROLLBACK;\n", q)
	}
	if err := os.WriteFile(script, []byte(b.String()), 0o644); err != nil {
		return err
	}
	defer os.Remove(script)
	psql, err := psqlPath()
	if err != nil {
		return err
	}
	u, _ := url.Parse(dsn)

	var plangateTimes, psqlTimes []time.Duration
	for round := 0; round < rounds; round++ {
		start := time.Now()
		r, err := replay.New(ctx, dsn)
		if err != nil {
			return err
		}
		for _, q := range queries {
			res, err := r.Run(ctx, replay.Query{SQL: q, ReadOnly: true})
			if err != nil {
				return err
			}
			if res.Err != nil {
				return res.Err
			}
		}
		r.Close(ctx)
		plangateTimes = append(plangateTimes, time.Since(start))

		start = time.Now()
		cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-o", "/dev/null", "-v", "ON_ERROR_STOP=1",
			"-h", u.Query().Get("host"), "-p", u.Query().Get("port"), "-U", "postgres", "-d", "postgres", "-f", script)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("psql: %v: %s", err, out)
		}
		psqlTimes = append(psqlTimes, time.Since(start))
	}
	p, q := median(plangateTimes), median(psqlTimes)
	fmt.Printf("replay of %d small queries (EXPLAIN ANALYZE in a rolled-back transaction each), median of %d rounds\n", n, rounds)
	fmt.Printf("  plangate  %8.1f ms  (%.2f ms/query)\n", ms(p), ms(p)/float64(n))
	fmt.Printf("  psql      %8.1f ms  (%.2f ms/query)\n", ms(q), ms(q)/float64(n))
	fmt.Printf("  ratio plangate/psql = %.2f\n", float64(p)/float64(q))
	return nil
}

func psqlPath() (string, error) {
	if p, err := exec.LookPath("psql"); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(matches) == 0 {
		return "", fmt.Errorf("psql not found")
	}
	sort.Strings(matches)
	return matches[len(matches)-1], nil
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
