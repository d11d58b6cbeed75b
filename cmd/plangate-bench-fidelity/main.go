// Command plangate-bench-fidelity measures how closely a CI database's plans
// follow production's, for each way plangate can prepare it, on each
// PostgreSQL major.
//
// On each major's plangate/postgres image (built by .ci/build-images, with
// the plangate_stats extension) it seeds a "production" database from
// production.yaml: 8.3 million rows with skewed references, skewed
// categories, ids and times rising together, NULLs, and half a year of
// events in a default partition. The CI database is ten times smaller and
// prepared four ways:
//
//	spec                 hand.yaml, the spec a team writes without production's
//	                     data: the right tables, every value equally likely
//	spec+stats           the same, then production's statistics restored
//	                     (plangate stats export / stats: in plangate.yaml), the
//	                     planner left to rescale row counts to the seeded
//	                     tables' size (18 only: before 18 there is no way to
//	                     restore column statistics without the extension)
//	spec+stats+ext       the same with plangate_stats: production's sizes too
//	stats-driven         data generated from a spec that `plangate stats spec`
//	                     writes from production's statistics (no hand-written
//	                     spec), at a tenth of production's size
//
// Each of queries.sql's statements is planned (EXPLAIN, not run) on
// production and on each CI database; the table gives the share whose plan
// shape (plan.Shape: nodes, relations, indexes, keys and conditions) equals
// production's, and the median and worst ratio of the CI plan's total cost
// to production's (the worst as a factor, whichever way).
//
//	go run ./cmd/plangate-bench-fidelity [-majors 13,15,17,18] [-v]
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/plan"
	"github.com/plangate/plangate/internal/seed"
)

var (
	//go:embed schema.sql
	schemaSQL []byte
	//go:embed production.yaml
	productionSpec []byte
	//go:embed hand.yaml
	handSpec []byte
	//go:embed queries.sql
	queriesSQL string
)

// ciScale is the CI database's size as a share of production's.
const ciScale = 0.1

func main() {
	majors := flag.String("majors", "13,15,17,18", "PostgreSQL majors to run, each on plangate/postgres:MAJOR")
	verbose := flag.Bool("v", false, "list every statement whose plan shape differs from production's")
	flag.Parse()
	var list []int
	for _, s := range strings.Split(*majors, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			fmt.Fprintf(os.Stderr, "plangate-bench-fidelity: -majors %q: want a list such as 13,15,17,18\n", *majors)
			os.Exit(2)
		}
		list = append(list, m)
	}
	b := bench{log: os.Stderr, verbose: *verbose}
	if err := b.run(context.Background(), os.Stdout, list); err != nil {
		fmt.Fprintln(os.Stderr, "plangate-bench-fidelity:", err)
		os.Exit(2)
	}
}

type bench struct {
	log     io.Writer
	verbose bool
	dir     string
}

// outcome is one way of preparing the CI database on one major.
type outcome struct {
	major    int
	method   string
	skipped  string // why the method does not apply, if it does not
	same     int
	total    int
	ratios   []float64
	differ   []string
	duration time.Duration
}

func (b *bench) run(ctx context.Context, out io.Writer, majors []int) error {
	dir, err := os.MkdirTemp("", "plangate-fidelity-")
	if err != nil {
		return err
	}
	if os.Getenv("PLANGATE_FIDELITY_KEEP") == "" {
		defer os.RemoveAll(dir)
	} else {
		fmt.Fprintf(b.log, "keeping %s\n", dir)
	}
	b.dir = dir
	// seed.Apply reads schema files.
	if err := os.WriteFile(filepath.Join(dir, "schema.sql"), schemaSQL, 0o644); err != nil {
		return err
	}
	queries := splitQueries(queriesSQL)
	var all []outcome
	for _, major := range majors {
		res, err := b.major(ctx, major, queries)
		if err != nil {
			return fmt.Errorf("PostgreSQL %d: %w", major, err)
		}
		all = append(all, res...)
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "major\tCI database prepared by\tsame plan shape\tcost ratio median\tworst\tprepared in\n")
	for _, o := range all {
		if o.skipped != "" {
			fmt.Fprintf(tw, "%d\t%s\t%s\t\t\t\n", o.major, o.method, o.skipped)
			continue
		}
		median, worst := ratioStats(o.ratios)
		fmt.Fprintf(tw, "%d\t%s\t%d/%d (%.0f%%)\t%.2f\t%.1fx\t%s\n", o.major, o.method, o.same, o.total,
			100*float64(o.same)/float64(o.total), median, worst, o.duration.Round(100*time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if b.verbose {
		for _, o := range all {
			for _, d := range o.differ {
				fmt.Fprintf(out, "%d %s: differs: %s\n", o.major, o.method, d)
			}
		}
	}
	return nil
}

// major seeds production and the CI databases on one major's image and
// compares their plans.
func (b *bench) major(ctx context.Context, major int, queries []string) ([]outcome, error) {
	image := fmt.Sprintf("%s:%d", pgserver.LocalImageRepo, major)
	fmt.Fprintf(b.log, "PostgreSQL %d: starting %s\n", major, image)
	srv, err := pgserver.StartDocker(ctx, pgserver.WithImage(image), pgserver.WithDockerSettings(pgserver.Settings{
		"shared_buffers": "512MB", "max_wal_size": "8GB", "autovacuum": "off"}))
	if err != nil {
		return nil, err
	}
	defer srv.Close(context.WithoutCancel(ctx))

	prodSpec, err := seed.ParseSpec("production.yaml", productionSpec)
	if err != nil {
		return nil, err
	}
	hand, err := seed.ParseSpec("hand.yaml", handSpec)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.log, "PostgreSQL %d: seeding production (%s)\n", major, rowsOf(prodSpec))
	if err := b.seeded(ctx, srv, "production", prodSpec); err != nil {
		return nil, err
	}
	// Production's statistics are ANALYZE's at the default target, not the
	// exact ones seeding computes.
	if err := exec(ctx, srv.ConnString("production"), "ANALYZE"); err != nil {
		return nil, err
	}
	reference, err := plans(ctx, srv.ConnString("production"), queries)
	if err != nil {
		return nil, err
	}
	stats, err := seed.ExportStats(ctx, srv.ConnString("production"), seed.WithStatsValues())
	if err != nil {
		return nil, err
	}

	var res []outcome
	measure := func(method, db string, start time.Time) error {
		got, err := plans(ctx, srv.ConnString(db), queries)
		if err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		o := outcome{major: major, method: method, total: len(queries), duration: time.Since(start)}
		for i, q := range queries {
			if slices.Equal(got[i].Shape(), reference[i].Shape()) {
				o.same++
			} else {
				o.differ = append(o.differ, q)
			}
			o.ratios = append(o.ratios, got[i].Root.TotalCost/math.Max(reference[i].Root.TotalCost, 0.01))
		}
		res = append(res, o)
		return nil
	}

	fmt.Fprintf(b.log, "PostgreSQL %d: seeding the CI database from the hand-written spec (%s)\n", major, rowsOf(hand))
	start := time.Now()
	if err := b.seeded(ctx, srv, "spec", hand); err != nil {
		return nil, err
	}
	handTime := time.Since(start)
	if err := measure("spec", "spec", start); err != nil {
		return nil, err
	}

	withStats := func(db string, sizes bool) error {
		start := time.Now()
		if err := pgserver.CreateDatabase(ctx, srv, db, "spec"); err != nil {
			return err
		}
		if _, err := seed.ApplyStats(ctx, srv.ConnString(db), stats); err != nil {
			return err
		}
		if !sizes {
			if err := exec(ctx, srv.ConnString(""), "ALTER DATABASE "+pgx.Identifier{db}.Sanitize()+" SET plangate_stats.use_catalog_sizes = off"); err != nil {
				return err
			}
		}
		return measure(db, db, start.Add(-handTime))
	}
	if major >= 18 {
		if err := withStats("spec+stats", false); err != nil {
			return nil, err
		}
	} else {
		res = append(res, outcome{major: major, method: "spec+stats", skipped: "n/a: restoring column statistics needs 18 or plangate_stats"})
	}
	if err := withStats("spec+stats+ext", true); err != nil {
		return nil, err
	}

	start = time.Now()
	written, err := seed.SpecFromStats(ctx, srv.ConnString("spec"), stats, seed.SpecFromStatsOptions{Scale: ciScale})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("stats-driven-%d.yaml", major)), written, 0o644); err != nil {
		return nil, err
	}
	derived, err := seed.ParseSpec("stats-driven.yaml", written)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(b.log, "PostgreSQL %d: seeding the CI database from the statistics-driven spec (%s)\n", major, rowsOf(derived))
	if err := b.seeded(ctx, srv, "stats-driven", derived); err != nil {
		return nil, err
	}
	if err := measure("stats-driven", "stats-driven", start); err != nil {
		return nil, err
	}
	return res, nil
}

// seeded creates database db with the schema and fills it from spec.
func (b *bench) seeded(ctx context.Context, srv pgserver.Server, db string, spec *seed.Spec) error {
	if err := pgserver.CreateDatabase(ctx, srv, db, ""); err != nil {
		return err
	}
	if _, err := seed.Apply(ctx, srv.ConnString(db), []string{filepath.Join(b.dir, "schema.sql")}, nil); err != nil {
		return err
	}
	_, err := seed.Generate(ctx, srv.ConnString(db), spec)
	return err
}

// plans is each query's plan (EXPLAIN, not run).
func plans(ctx context.Context, connString string, queries []string) ([]*plan.Plan, error) {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var out []*plan.Plan
	for _, q := range queries {
		var raw []byte
		if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&raw); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		p, err := plan.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func exec(ctx context.Context, connString, sql string) error {
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// ratioStats is the median ratio and the worst as a factor either way.
func ratioStats(ratios []float64) (median, worst float64) {
	if len(ratios) == 0 {
		return math.NaN(), math.NaN()
	}
	s := slices.Clone(ratios)
	slices.Sort(s)
	median = s[len(s)/2]
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	for _, r := range s {
		worst = math.Max(worst, math.Max(r, 1/r))
	}
	return median, worst
}

func rowsOf(spec *seed.Spec) string {
	var n int64
	for _, t := range spec.Tables {
		n += t.Rows
	}
	return fmt.Sprintf("%.1fM rows", float64(n)/1e6)
}

func splitQueries(s string) []string {
	var out []string
	for _, q := range strings.Split(s, ";\n") {
		if q = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(q), ";")); q != "" {
			out = append(out, q)
		}
	}
	return out
}
