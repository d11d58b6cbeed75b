package seed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
)

// imageServer starts PostgreSQL major from the locally built image, which
// carries the plangate_stats extension.
func imageServer(t *testing.T, major int) pgserver.Server {
	t.Helper()
	unavailable := t.Skipf
	if os.Getenv("PLANGATE_REQUIRE_DOCKER") == "1" {
		unavailable = t.Fatalf
	}
	ctx := context.Background()
	if !pgserver.DockerAvailable(ctx) {
		unavailable("no Docker engine answers")
	}
	image := fmt.Sprintf("%s:%d", pgserver.LocalImageRepo, major)
	srv, err := pgserver.StartDocker(ctx, pgserver.WithImage(image))
	var missing *pgserver.ImageUnavailableError
	if errors.As(err, &missing) {
		unavailable("image %s: run .ci/build-images", image)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

// TestApplyStats_LiveImages exports the statistics of a "production"
// database of 200,000 orders and restores them into a CI database of 2,000
// on every supported major, as the images run it (with plangate_stats):
// the planner sees production's table size and production's selectivity
// (5% of orders pending, where the CI data has half of them pending), and
// ApplyStats has no rescaling to warn about.
func TestApplyStats_LiveImages(t *testing.T) {
	for _, major := range []int{13, 15, 17, 18} {
		t.Run(strconv.Itoa(major), func(t *testing.T) {
			t.Parallel()
			liveImport(t, imageServer(t, major), major)
		})
	}
}

func liveImport(t *testing.T, srv pgserver.Server, major int) {
	ctx := context.Background()
	exec := func(db string, sqls ...string) {
		t.Helper()
		conn, err := pgx.Connect(ctx, srv.ConnString(db))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		for _, sql := range sqls {
			if _, err := conn.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
	}
	const schema = "CREATE TABLE orders (id int PRIMARY KEY, status text NOT NULL, customer_id int NOT NULL)"
	for _, db := range []string{"prod", "ci"} {
		if err := pgserver.CreateDatabase(ctx, srv, db, ""); err != nil {
			t.Fatal(err)
		}
	}
	exec("prod", schema,
		"INSERT INTO orders SELECT g, CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'done' END, g % 5000 FROM generate_series(1, 200000) g",
		"ANALYZE orders")
	exec("ci", schema,
		"INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'pending' ELSE 'done' END, g % 50 FROM generate_series(1, 2000) g",
		"ANALYZE orders")

	stats, err := ExportStats(ctx, srv.ConnString("prod"), WithStatsValues())
	if err != nil {
		t.Fatal(err)
	}
	if got := stats.ServerVersionNum / 10000; got != major {
		t.Fatalf("the image runs PostgreSQL %s, not %d", stats.ServerVersion, major)
	}
	before := estimate(t, srv.ConnString("ci"), "SELECT * FROM orders WHERE status = 'pending'")
	warnings, err := ApplyStats(ctx, srv.ConnString("ci"), stats)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, w := range warnings {
		said = append(said, w.String())
	}
	pending := estimate(t, srv.ConnString("ci"), "SELECT * FROM orders WHERE status = 'pending'")
	all := estimate(t, srv.ConnString("ci"), "SELECT * FROM orders")
	t.Logf("PostgreSQL %s: pending: %.0f rows before the import, %.0f after, of %.0f; warnings: %q", stats.ServerVersion, before, pending, all, said)

	if share := before / 2000; share < 0.4 {
		t.Fatalf("before the import, %.0f%% of the CI orders are estimated pending, want about 50%%", 100*share)
	}
	// Production's size: the extension hands the planner pg_class's row
	// count instead of rescaling it to the CI table's pages.
	if all < 180000 || all > 220000 {
		t.Errorf("the table is estimated at %.0f rows, want production's 200,000", all)
	}
	// Production's most-common values drive the estimate: 5% pending.
	if share := pending / all; share < 0.04 || share > 0.06 {
		t.Errorf("after the import, %.1f%% of the orders are estimated pending, want production's 5%%", 100*share)
	}
	if joined := strings.Join(said, "\n"); strings.Contains(joined, "scales reltuples to the table's real size") {
		t.Errorf("ApplyStats warns of rescaling although the extension is there: %q", said)
	}
}

// estimate is the planner's row estimate for query's top node.
func estimate(t *testing.T, dsn, query string) float64 {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var doc string
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+query).Scan(&doc); err != nil {
		t.Fatal(err)
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(doc), &out); err != nil || len(out) == 0 {
		t.Fatalf("EXPLAIN %s: %v", query, err)
	}
	return out[0].Plan.Rows
}
