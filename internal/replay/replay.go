// Package replay runs one statement at a time under EXPLAIN ANALYZE against a
// seeded database, in a transaction that is always rolled back, and returns
// the raw plan JSON. pgx stays inside this package.
package replay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/queryid"
)

// Option configures a Replayer.
type Option func(*options)

type options struct {
	timeout       time.Duration
	tempFileLimit string
	settings      map[string]string
	warn          io.Writer
}

// WithTimeout sets statement_timeout for every replayed statement (default 60s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithTempFileLimit sets temp_file_limit, e.g. "1GB" (the default). An empty
// value leaves the server's setting alone.
func WithTempFileLimit(limit string) Option { return func(o *options) { o.tempFileLimit = limit } }

// WithSettings applies session settings (work_mem, random_page_cost, ...) on
// top of the pinned ones (jit off, no parallel workers).
func WithSettings(s map[string]string) Option { return func(o *options) { o.settings = s } }

// WithWarnings writes warnings (e.g. a setting that could not be applied) to w.
func WithWarnings(w io.Writer) Option { return func(o *options) { o.warn = w } }

// PinnedSettings are applied to every replay session: they make plans
// repeatable. Settings given with WithSettings override them.
var PinnedSettings = map[string]string{
	"jit":                             "off",
	"max_parallel_workers_per_gather": "0",
}

// Query is one statement to replay.
type Query struct {
	SQL    string
	Params []capture.Param
	// ReadOnly runs the statement in a read-only transaction; set it for
	// plain SELECTs.
	ReadOnly bool
	// Generic plans the statement as a prepared statement under
	// plan_cache_mode = force_generic_plan: the plan a driver's prepared
	// statement switches to after five executions, made without looking at
	// the parameter values. Missing parameter values are NULLs, which only
	// an estimate (Estimate) can do with.
	Generic bool
}

// genericName is the prepared statement Generic replays use.
const genericName = "plangate_generic"

// ErrorKind classifies why a statement could not be measured.
type ErrorKind string

// The kinds of replay errors.
const (
	ErrorTimeout   ErrorKind = "timeout"
	ErrorTempLimit ErrorKind = "temp_file_limit"
	ErrorStatement ErrorKind = "error"
)

// Error is a statement that failed under EXPLAIN ANALYZE. It is a result for
// that statement, not a failure of the run.
type Error struct {
	Kind ErrorKind
	// Code is the SQLSTATE, when the server sent one.
	Code string
	// Message is the server's message (and detail), with every parameter
	// value and constant of the statement replaced by "?": it goes into
	// baselines and reports.
	Message string
}

func (e *Error) Error() string { return e.Message }

// Result is the outcome of replaying one statement.
type Result struct {
	// Explain is the JSON printed by EXPLAIN (ANALYZE, BUFFERS, WAL,
	// SETTINGS, FORMAT JSON); nil when the statement failed.
	Explain []byte
	// Estimate is the JSON of a plain EXPLAIN, made when ANALYZE failed so
	// the report can still show the plan; nil when that failed too.
	Estimate []byte
	// Err is set when the statement failed, timed out or hit temp_file_limit.
	Err *Error
}

// Replayer replays statements on one connection, as an unprivileged role
// created for the run, and keeps a second one, as the role it was given,
// for its own housekeeping.
type Replayer struct {
	// conn is the replay session; connCfg opens it again after a replayed
	// statement ended it (pg_terminate_backend(pg_backend_pid())).
	conn    *pgx.Conn
	connCfg *pgx.ConnConfig
	// admin is the connection New was given: it creates and drops the
	// run's role, restores sequences and vacuums after writes.
	admin *pgx.Conn
	// role is the run's unprivileged role; "" when replays run as the
	// role New was given, which may not create roles.
	role string
	// roleTempLimit is set when temp_file_limit is the role's setting.
	roleTempLimit bool
	// noCheckpoint is set once the server refused a CHECKPOINT (a dsn
	// server's role without the right): writes then replay without one.
	noCheckpoint bool
	opts         options
	version      int // server_version_num
	blockSize    int
	settings     map[string]string
}

// New connects to the seeded database as the role in connString, which
// must own the seeded objects, creates an unprivileged role for the run and
// connects again as that role: replays run as it, so functions that act on
// the server as a whole (terminating other sessions, replication slots,
// server files, configuration) fail as the statement's error.
// statement_timeout, lock_timeout, idle_in_transaction_session_timeout and
// temp_file_limit are the role's own settings. Close drops the role.
//
// When the role in connString may not create roles (a server the user
// names, without CREATEROLE), New warns and replays as that role.
func New(ctx context.Context, connString string, opts ...Option) (_ *Replayer, err error) {
	o := options{timeout: 60 * time.Second, tempFileLimit: "1GB"}
	for _, fn := range opts {
		fn(&o)
	}
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	admin, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("replay: connect: %w", err)
	}
	r := &Replayer{admin: admin, opts: o, settings: map[string]string{}}
	defer func() {
		if err != nil {
			r.Close(context.WithoutCancel(ctx))
		}
	}()
	var version, block string
	// Housekeeping (the vacuum after a write) is not under test: no
	// statement_timeout.
	if _, err := admin.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if err := admin.QueryRow(ctx, "SELECT current_setting('server_version_num'), current_setting('block_size')").Scan(&version, &block); err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	r.version, _ = strconv.Atoi(version)
	r.blockSize, _ = strconv.Atoi(block)
	if err := r.createRole(ctx, cfg); err != nil {
		return nil, err
	}
	// A cancelled statement (Ctrl-C, the replay-side deadline) is cancelled
	// on the server too, and the session stays usable.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	r.connCfg = cfg
	if err := r.connect(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// connect opens the replay session and pins its settings. The first time,
// it also records them (Settings) and warns of those that cannot be set.
func (r *Replayer) connect(ctx context.Context) error {
	first := r.conn == nil
	conn, err := pgx.ConnectConfig(ctx, r.connCfg.Copy())
	if err != nil {
		if r.role != "" {
			return fmt.Errorf("replay: connect as the run's role %s: %w: the server must let a role log in with its password (pg_hba.conf)", r.role, err)
		}
		return fmt.Errorf("replay: connect: %w", err)
	}
	r.conn = conn
	settings := map[string]string{}
	for k, v := range PinnedSettings {
		settings[k] = v
	}
	for k, v := range r.opts.settings {
		settings[k] = v
	}
	settings["statement_timeout"] = strconv.FormatInt(r.opts.timeout.Milliseconds(), 10)
	for k, v := range settings {
		if err := r.set(ctx, k, v); err != nil {
			var pe *pgconn.PgError
			// Server-wide settings (shared_buffers, ...) are applied by the
			// backend at start and cannot be changed per session.
			if errors.As(err, &pe) && pe.Code == "55P02" {
				continue
			}
			return fmt.Errorf("replay: setting %s = %q: %w", k, v, err)
		}
		if first {
			r.settings[k] = v
		}
	}
	switch {
	case r.opts.tempFileLimit == "":
	case r.roleTempLimit:
		if first {
			r.settings["temp_file_limit"] = r.opts.tempFileLimit
		}
	case r.role == "":
		err := r.set(ctx, "temp_file_limit", r.opts.tempFileLimit)
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "42501":
			if first {
				r.warnf("replay: temp_file_limit not set: it needs a superuser and this role is not one; replays run without a cap on temporary files")
			}
		case err != nil:
			return fmt.Errorf("replay: setting temp_file_limit = %q: %w", r.opts.tempFileLimit, err)
		case first:
			r.settings["temp_file_limit"] = r.opts.tempFileLimit
		}
	}
	return nil
}

func (r *Replayer) set(ctx context.Context, name, value string) error {
	_, err := r.conn.Exec(ctx, "SELECT set_config($1, $2, false)", name, value)
	return err
}

func (r *Replayer) warnf(format string, args ...any) {
	if r.opts.warn != nil {
		fmt.Fprintf(r.opts.warn, format+"\n", args...)
	}
}

// BlockSize is the server's block size in bytes, for turning block counts
// into bytes.
func (r *Replayer) BlockSize() int { return r.blockSize }

// ServerVersion is the server's version as server_version_num, e.g. 150018.
func (r *Replayer) ServerVersion() int { return r.version }

// Settings are the session settings every statement is replayed under.
func (r *Replayer) Settings() map[string]string { return r.settings }

// Close closes the replay session, drops the run's role and closes the
// housekeeping connection.
func (r *Replayer) Close(ctx context.Context) error {
	var errs []error
	if r.conn != nil {
		errs = append(errs, r.conn.Close(ctx))
	}
	if r.admin != nil {
		errs = append(errs, r.dropRole(ctx), r.admin.Close(ctx))
	}
	return errors.Join(errs...)
}

// Run replays q under EXPLAIN ANALYZE in a transaction that is rolled back.
// After a statement that may have written, the dead rows it left are vacuumed
// away and sequences are put back, so the next statement sees the data as
// seeded. Only a broken connection or a cancelled ctx returns an error.
func (r *Replayer) Run(ctx context.Context, q Query) (Result, error) {
	var seqs []sequenceState
	if !q.ReadOnly {
		var err error
		if seqs, err = r.sequences(ctx); err != nil {
			return Result{}, err
		}
		r.checkpoint(ctx)
	}
	explain, stmtErr, err := r.explain(ctx, q, r.analyzeOptions())
	if err != nil {
		return Result{}, err
	}
	res := Result{Explain: explain}
	if stmtErr != nil {
		res.Err = stmtErr
		// EXPLAIN ANALYZE returns nothing when cut off: show the estimate.
		res.Estimate, _, err = r.explain(ctx, q, r.estimateOptions())
		if err != nil {
			return Result{}, err
		}
	}
	if !q.ReadOnly {
		if err := r.restore(ctx, seqs); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

// checkpoint starts a write from a checkpoint. The first change to a page
// after a checkpoint writes the whole page to WAL, as a production server
// does for most changes: with a checkpoint before every write, a statement's
// WAL bytes are the same whatever was replayed before it and whether the
// server was seeded just now or started from a cached copy.
func (r *Replayer) checkpoint(ctx context.Context) {
	if r.noCheckpoint {
		return
	}
	if _, err := r.admin.Exec(ctx, "CHECKPOINT"); err != nil {
		if ctx.Err() != nil {
			return // interrupted: the replay that follows says so
		}
		r.noCheckpoint = true
		r.warnf("replay: the server refused CHECKPOINT (%v): the WAL bytes of writes may then depend on what was replayed before them", err)
	}
}

// Estimate runs a plain EXPLAIN of q (no ANALYZE): the plan without running it.
func (r *Replayer) Estimate(ctx context.Context, q Query) (Result, error) {
	explain, stmtErr, err := r.explain(ctx, q, r.estimateOptions())
	if err != nil {
		return Result{}, err
	}
	return Result{Estimate: explain, Err: stmtErr}, nil
}

func (r *Replayer) analyzeOptions() string {
	opts := []string{"ANALYZE", "BUFFERS"}
	if r.version >= 130000 {
		opts = append(opts, "WAL")
	}
	return strings.Join(append(opts, r.estimateOptions()), ", ")
}

func (r *Replayer) estimateOptions() string {
	if r.version >= 120000 {
		return "SETTINGS, FORMAT JSON"
	}
	return "FORMAT JSON"
}

// deadlineGrace is how long past statement_timeout plangate waits before
// cancelling a statement itself: the server's own timeout, which gives the
// usual error, normally comes first.
const deadlineGrace = 2 * time.Second

// explain runs EXPLAIN (options) q in a transaction that is rolled back. A
// statement error is returned as *Error, with the statement's parameter
// values and constants taken out of its message; a dead connection as
// error.
func (r *Replayer) explain(ctx context.Context, q Query, options string) ([]byte, *Error, error) {
	plan, stmtErr, err := r.explainRaw(ctx, q, options)
	if stmtErr != nil {
		values := queryid.Constants(q.SQL)
		for _, p := range q.Params {
			if !p.Null {
				values = append(values, p.Value)
			}
		}
		stmtErr.Message = queryid.RedactValues(stmtErr.Message, values)
	}
	return plan, stmtErr, err
}

// explainRaw is explain without the redaction.
//
// BEGIN, the EXPLAIN and ROLLBACK go to the server in one round trip.
func (r *Replayer) explainRaw(ctx context.Context, q Query, options string) ([]byte, *Error, error) {
	begin := "BEGIN"
	if q.ReadOnly {
		begin = "BEGIN READ ONLY"
	}
	batch := &pgconn.Batch{}
	batch.ExecParams(begin, nil, nil, nil, nil)
	if q.Generic {
		// A prepared statement outlives the transaction: it is deallocated
		// below, whatever happens.
		defer r.deallocate()
		batch.ExecParams("SET LOCAL plan_cache_mode = force_generic_plan", nil, nil, nil, nil)
		batch.ExecParams("PREPARE "+genericName+" AS "+q.SQL, nil, nil, nil, nil)
		batch.ExecParams("EXPLAIN ("+options+") EXECUTE "+genericName+executeArgs(q.SQL, q.Params), nil, nil, nil, nil)
	} else {
		values := make([][]byte, len(q.Params))
		for i, p := range q.Params {
			if !p.Null {
				values[i] = []byte(p.Value)
			}
		}
		// Parameters go as text with unspecified types, as a driver sends
		// them: the server infers each type from the statement.
		batch.ExecParams("EXPLAIN ("+options+") "+q.SQL, values, nil, nil, nil)
	}
	batch.ExecParams("ROLLBACK", nil, nil, nil, nil)
	// Session-level advisory locks outlive the transaction: none may
	// outlive the statement.
	batch.ExecParams("SELECT pg_advisory_unlock_all()", nil, nil, nil, nil)

	// statement_timeout is the role's setting, and a replayed statement
	// cannot lift it beyond its own transaction; the deadline is there
	// should it be lifted anyway.
	bctx, cancel := ctx, context.CancelFunc(func() {})
	if r.opts.timeout > 0 {
		bctx, cancel = context.WithTimeout(ctx, r.opts.timeout+deadlineGrace)
	}
	results, err := r.conn.PgConn().ExecBatch(bctx, batch).ReadAll()
	deadline := bctx.Err() != nil && ctx.Err() == nil
	cancel()
	if ctx.Err() != nil {
		r.rollback()
		return nil, nil, ctx.Err()
	}
	if r.conn.IsClosed() {
		// The statement ended its own session, or the server ended it:
		// a result for this statement, once a new session is up.
		if rerr := r.connect(ctx); rerr != nil {
			return nil, nil, fmt.Errorf("replay: the session ended (%v) and a new one could not be opened: %w", err, rerr)
		}
		if deadline {
			return nil, r.deadlineError(), nil
		}
		e := classify(err)
		e.Message = "the statement ended its session: " + e.Message
		return nil, e, nil
	}
	var pe *pgconn.PgError
	if err != nil && !errors.As(err, &pe) && !deadline {
		return nil, nil, fmt.Errorf("replay: %w", err)
	}
	// After an error the server skipped the ROLLBACK: the transaction is
	// still open, aborted.
	if r.conn.PgConn().TxStatus() != 'I' {
		if err := r.rollback(); err != nil {
			return nil, nil, err
		}
	}
	if err != nil {
		if _, uerr := r.conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock_all()"); uerr != nil {
			return nil, nil, fmt.Errorf("replay: %w", uerr)
		}
		if deadline {
			return nil, r.deadlineError(), nil
		}
		return nil, classify(err), nil
	}
	plan := results[len(results)-3]
	if len(plan.Rows) == 0 {
		return nil, &Error{Kind: ErrorStatement, Message: "EXPLAIN returned no plan"}, nil
	}
	var b strings.Builder
	for _, row := range plan.Rows {
		b.Write(row[0])
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil, nil
}

func (r *Replayer) deadlineError() *Error {
	return &Error{Kind: ErrorTimeout, Code: "57014",
		Message: fmt.Sprintf("canceling statement: it ran past statement_timeout (%s)", r.opts.timeout)}
}

// executeArgs renders the argument list of EXECUTE: each value as a quoted
// literal of unknown type, which takes the type the prepared statement gave
// its parameter, and NULL for each placeholder that has no value.
func executeArgs(sql string, params []capture.Param) string {
	n := max(len(params), capture.Placeholders(sql))
	if n == 0 {
		return ""
	}
	args := make([]string, n)
	for i := range args {
		args[i] = "NULL"
		if i < len(params) && !params[i].Null {
			args[i] = "'" + strings.ReplaceAll(params[i].Value, "'", "''") + "'"
		}
	}
	return "(" + strings.Join(args, ", ") + ")"
}

func (r *Replayer) deallocate() {
	// Fails harmlessly (26000) when PREPARE itself failed.
	_, _ = r.conn.Exec(context.Background(), "DEALLOCATE "+genericName)
}

// rollback ends an open transaction, even when the replay's ctx is done.
func (r *Replayer) rollback() error {
	if _, err := r.conn.Exec(context.Background(), "ROLLBACK"); err != nil {
		return fmt.Errorf("replay: rollback: %w", err)
	}
	return nil
}

func classify(err error) *Error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return &Error{Kind: ErrorStatement, Message: err.Error()}
	}
	e := &Error{Kind: ErrorStatement, Code: pe.Code, Message: pe.Message}
	switch {
	case pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout"):
		e.Kind = ErrorTimeout
	case pe.Code == "53400" && strings.Contains(pe.Message, "temp_file_limit"):
		e.Kind = ErrorTempLimit
	}
	if pe.Detail != "" {
		e.Message += " (" + pe.Detail + ")"
	}
	return e
}
