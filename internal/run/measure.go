package run

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/plan"
	"github.com/plangate/plangate/internal/queryid"
	"github.com/plangate/plangate/internal/replay"
)

// Measurement is what one replay of a query gave.
type Measurement struct {
	Query
	// Plan is the plan EXPLAIN gave; nil when not even an estimate could
	// be made.
	Plan    *plan.Plan
	Metrics plan.Metrics
	Spills  []plan.Spill
	// Err is why the query could not be measured (an error, a timeout,
	// temp_file_limit); Metrics then hold what an estimate gave.
	Err *replay.Error
	// Spread is each metric's max - min over repeated runs (--repeat).
	Spread map[string]float64
}

// Result is what measuring a query set on one seeded database gave.
type Result struct {
	// Postgres is the server's version, e.g. "15.18".
	Postgres string
	// BlockSize is the server's block size in bytes.
	BlockSize int
	// Server says how the server was provided.
	Server string
	// Settings are the planner settings in effect (EXPLAIN (SETTINGS)).
	Settings map[string]string
	// Measurements are the queries' measurements, by name.
	Measurements []Measurement
}

// Measure provisions a server, seeds a database and replays every set of
// queries on it, returning one result per set. Everything it started is
// gone when it returns.
func Measure(ctx context.Context, cfg config.Config, env Env, sets ...[]Query) ([]*Result, error) {
	return measure(ctx, cfg, env, nil, sets)
}

// measure is Measure with a pull request's migrations: when migrate is not
// nil, the sets after the first (a baseline's, measured now) are replayed
// on the schema as it was, then migrate runs on the seeded database, then
// the first set (the pull request's queries) is replayed on the migrated
// schema.
func measure(ctx context.Context, cfg config.Config, env Env, migrate func(*Seeded) error, sets [][]Query) ([]*Result, error) {
	var results []*Result
	err := onSeeded(ctx, cfg, env, func(sd *Seeded) (err error) {
		if migrate == nil {
			results, err = replaySets(ctx, cfg, env, sd, sets)
			return err
		}
		before, err := replaySets(ctx, cfg, env, sd, sets[1:])
		if err != nil {
			return err
		}
		if err := migrate(sd); err != nil {
			return err
		}
		current, err := replaySets(ctx, cfg, env, sd, sets[:1])
		results = append(current, before...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// replaySets replays every set of queries on the seeded database.
func replaySets(ctx context.Context, cfg config.Config, env Env, sd *Seeded, sets [][]Query) ([]*Result, error) {
	if len(sets) == 0 {
		return nil, nil
	}
	srv, db := sd.Server, sd.DB

	r, err := replay.New(ctx, srv.ConnString(db),
		replay.WithTimeout(time.Duration(cfg.Replay.StatementTimeout)),
		replay.WithTempFileLimit(cfg.Replay.TempFileLimit),
		replay.WithSettings(ServerSettings(cfg)),
		replay.WithWarnings(env.stderr()))
	if err != nil {
		return nil, err
	}
	defer r.Close(context.WithoutCancel(ctx))

	p := env.progress()
	var results []*Result
	for _, queries := range sets {
		queries = withGenericVariants(queries, cfg.Replay.GenericPlans)
		out := &Result{Server: srv.Describe(), Settings: r.Settings(), Postgres: versionString(r.ServerVersion()), BlockSize: r.BlockSize()}
		for i, q := range replayOrder(queries) {
			p.Stage("replaying %d/%d %s", i+1, len(queries), q.Name)
			m, err := measureRepeated(ctx, r, q, max(cfg.Replay.Repeat, 1))
			if err != nil {
				return nil, err
			}
			out.Measurements = append(out.Measurements, m)
		}
		sort.SliceStable(out.Measurements, func(i, j int) bool { return out.Measurements[i].Name < out.Measurements[j].Name })
		results = append(results, out)
	}
	return results, nil
}

// genericSuffix marks the generic-plan variant of a parameterized query.
const genericSuffix = " [generic plan]"

// withGenericVariants adds, for every query with parameter values, its
// replay as a prepared statement's generic plan: drivers switch to it after
// five executions, and a generic plan that is far worse than the custom one
// is a classic production surprise.
func withGenericVariants(queries []Query, on bool) []Query {
	if !on {
		return queries
	}
	out := make([]Query, 0, len(queries))
	for _, q := range queries {
		out = append(out, q)
		if len(q.Statement.Params) > 0 && !q.EstimateOnly && q.ID.Kind != queryid.KindUtility {
			g := q
			g.Name, g.Generic, g.Calls, g.Groups = q.Name+genericSuffix, true, 0, nil
			out = append(out, g)
		}
	}
	return out
}

// replayOrder puts reads before writes. A rolled-back write leaves index
// pages split even after the vacuum that follows it, so reads replayed first
// see the data exactly as seeded, and every write sees the same state from
// run to run.
func replayOrder(queries []Query) []Query {
	out := append([]Query(nil), queries...)
	sort.SliceStable(out, func(i, j int) bool {
		return !out[i].ID.Kind.Writes() && out[j].ID.Kind.Writes()
	})
	return out
}

// measureRepeated replays q n times after a warm-up run when n > 1, and
// keeps the median of each metric and its spread (max - min); with n == 1
// it replays once.
func measureRepeated(ctx context.Context, r *replay.Replayer, q Query, n int) (Measurement, error) {
	first, err := measureOne(ctx, r, q)
	if err != nil || n == 1 || first.Err != nil || q.EstimateOnly {
		return first, err
	}
	runs := make([]Measurement, 0, n)
	for range n {
		m, err := measureOne(ctx, r, q)
		if err != nil {
			return Measurement{}, err
		}
		if m.Err != nil {
			return m, nil
		}
		runs = append(runs, m)
	}
	mid := runs[n/2]
	mid.Metrics, mid.Spread = plan.Metrics{}, map[string]float64{}
	for name := range runs[0].Metrics {
		vals := make([]float64, 0, n)
		for _, m := range runs {
			vals = append(vals, m.Metrics[name])
		}
		sort.Float64s(vals)
		mid.Metrics[name] = vals[len(vals)/2]
		mid.Spread[name] = vals[len(vals)-1] - vals[0]
	}
	return mid, nil
}

func measureOne(ctx context.Context, r *replay.Replayer, q Query) (Measurement, error) {
	readOnly := q.ID.Kind == queryid.KindSelect && !q.ID.SelectForUpdate
	if q.ID.Kind == queryid.KindUtility {
		return Measurement{Query: q, Err: &replay.Error{Kind: replay.ErrorStatement,
			Message: "not replayed: a utility statement (DDL, VACUUM, SET, ...) cannot run under EXPLAIN ANALYZE"}}, nil
	}
	rq := replay.Query{SQL: q.Statement.SQL, Params: q.Statement.Params, ReadOnly: readOnly, Generic: q.Generic}
	run := r.Run
	if q.EstimateOnly {
		// No values for the placeholders: the generic plan's estimate is
		// all there is to have.
		rq.Generic, run = true, r.Estimate
	}
	res, err := run(ctx, rq)
	if err != nil {
		return Measurement{}, fmt.Errorf("replay %s: %w", q.Name, err)
	}
	m := Measurement{Query: q, Err: res.Err}
	doc := res.Explain
	if doc == nil {
		doc = res.Estimate
	}
	if doc == nil {
		return m, nil
	}
	p, err := plan.Parse(doc)
	if err != nil {
		return Measurement{}, fmt.Errorf("replay %s: %w", q.Name, err)
	}
	m.Plan = p
	m.Metrics = p.Metrics(r.BlockSize())
	m.Spills = p.Spills(r.BlockSize())
	return m, nil
}

func versionString(num int) string {
	major, minor := num/10000, num%10000
	if major < 10 {
		return fmt.Sprintf("%d.%d.%d", major, minor/100, minor%100)
	}
	return fmt.Sprintf("%d.%d", major, minor)
}
