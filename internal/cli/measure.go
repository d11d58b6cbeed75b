package cli

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

// measurement is what one replay of a query gave.
type measurement struct {
	query
	plan    *plan.Plan // nil when not even an estimate could be made
	metrics plan.Metrics
	spills  []plan.Spill
	err     *replay.Error
	// spread is each metric's max - min over repeated runs (--repeat).
	spread map[string]float64
}

// run is the result of measuring a query set on one seeded database.
type run struct {
	postgres     string // server version, e.g. "15.18"
	blockSize    int    // the server's block size in bytes
	server       string // how the server was provided
	settings     map[string]string
	measurements []measurement
}

// measure provisions a server, seeds a scratch database and replays every
// set of queries on it, returning one run per set. Everything it started is
// gone when it returns.
func measure(ctx context.Context, cfg config.Config, s *streams, sets ...[]query) (_ []*run, err error) {
	progress := newProgress(s)
	defer progress.done()

	sd, err := provision(ctx, cfg, s, progress)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := sd.close(context.WithoutCancel(ctx)); cerr != nil && err == nil {
			err = cerr
		}
	}()
	srv, db := sd.srv, sd.db

	r, err := replay.New(ctx, srv.ConnString(db),
		replay.WithTimeout(time.Duration(cfg.Replay.StatementTimeout)),
		replay.WithTempFileLimit(cfg.Replay.TempFileLimit),
		replay.WithSettings(serverSettings(cfg)),
		replay.WithWarnings(s.err))
	if err != nil {
		return nil, err
	}
	defer r.Close(context.WithoutCancel(ctx))

	var runs []*run
	for _, queries := range sets {
		queries = withGenericVariants(queries, cfg.Replay.GenericPlans)
		out := &run{server: srv.Describe(), settings: r.Settings(), postgres: versionString(r.ServerVersion()), blockSize: r.BlockSize()}
		for i, q := range replayOrder(queries) {
			progress.stage("replaying %d/%d %s", i+1, len(queries), q.name)
			m, err := measureRepeated(ctx, r, q, max(cfg.Replay.Repeat, 1))
			if err != nil {
				return nil, err
			}
			out.measurements = append(out.measurements, m)
		}
		sort.SliceStable(out.measurements, func(i, j int) bool { return out.measurements[i].name < out.measurements[j].name })
		runs = append(runs, out)
	}
	return runs, nil
}

// genericSuffix marks the generic-plan variant of a parameterized query.
const genericSuffix = " [generic plan]"

// withGenericVariants adds, for every query with parameter values, its
// replay as a prepared statement's generic plan: drivers switch to it after
// five executions, and a generic plan that is far worse than the custom one
// is a classic production surprise.
func withGenericVariants(queries []query, on bool) []query {
	if !on {
		return queries
	}
	out := make([]query, 0, len(queries))
	for _, q := range queries {
		out = append(out, q)
		if len(q.st.Params) > 0 && !q.estimateOnly && q.id.Kind != queryid.KindUtility {
			g := q
			g.name, g.generic, g.calls, g.groups = q.name+genericSuffix, true, 0, nil
			out = append(out, g)
		}
	}
	return out
}

// replayOrder puts reads before writes. A rolled-back write leaves index
// pages split even after the vacuum that follows it, so reads replayed first
// see the data exactly as seeded, and every write sees the same state from
// run to run.
func replayOrder(queries []query) []query {
	out := append([]query(nil), queries...)
	sort.SliceStable(out, func(i, j int) bool {
		return !out[i].id.Kind.Writes() && out[j].id.Kind.Writes()
	})
	return out
}

// measureRepeated replays q n times after a warm-up run when n > 1, and
// keeps the median of each metric and its spread (max - min); with n == 1
// it replays once.
func measureRepeated(ctx context.Context, r *replay.Replayer, q query, n int) (measurement, error) {
	first, err := measureOne(ctx, r, q)
	if err != nil || n == 1 || first.err != nil || q.estimateOnly {
		return first, err
	}
	runs := make([]measurement, 0, n)
	for range n {
		m, err := measureOne(ctx, r, q)
		if err != nil {
			return measurement{}, err
		}
		if m.err != nil {
			return m, nil
		}
		runs = append(runs, m)
	}
	mid := runs[n/2]
	mid.metrics, mid.spread = plan.Metrics{}, map[string]float64{}
	for name := range runs[0].metrics {
		vals := make([]float64, 0, n)
		for _, m := range runs {
			vals = append(vals, m.metrics[name])
		}
		sort.Float64s(vals)
		mid.metrics[name] = vals[len(vals)/2]
		mid.spread[name] = vals[len(vals)-1] - vals[0]
	}
	return mid, nil
}

func measureOne(ctx context.Context, r *replay.Replayer, q query) (measurement, error) {
	readOnly := q.id.Kind == queryid.KindSelect && !q.id.SelectForUpdate
	if q.id.Kind == queryid.KindUtility {
		return measurement{query: q, err: &replay.Error{Kind: replay.ErrorStatement,
			Message: "not replayed: a utility statement (DDL, VACUUM, SET, ...) cannot run under EXPLAIN ANALYZE"}}, nil
	}
	rq := replay.Query{SQL: q.st.SQL, Params: q.st.Params, ReadOnly: readOnly, Generic: q.generic}
	run := r.Run
	if q.estimateOnly {
		// No values for the placeholders: the generic plan's estimate is
		// all there is to have.
		rq.Generic, run = true, r.Estimate
	}
	res, err := run(ctx, rq)
	if err != nil {
		return measurement{}, fmt.Errorf("replay %s: %w", q.name, err)
	}
	m := measurement{query: q, err: res.Err}
	doc := res.Explain
	if doc == nil {
		doc = res.Estimate
	}
	if doc == nil {
		return m, nil
	}
	p, err := plan.Parse(doc)
	if err != nil {
		return measurement{}, fmt.Errorf("replay %s: %w", q.name, err)
	}
	m.plan = p
	m.metrics = p.Metrics(r.BlockSize())
	m.spills = p.Spills(r.BlockSize())
	return m, nil
}

func versionString(num int) string {
	major, minor := num/10000, num%10000
	if major < 10 {
		return fmt.Sprintf("%d.%d.%d", major, minor/100, minor%100)
	}
	return fmt.Sprintf("%d.%d", major, minor)
}
