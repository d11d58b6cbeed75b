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
	"github.com/plangate/plangate/internal/capture"
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
	Code    string
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

// Replayer replays statements on one connection.
type Replayer struct {
	conn      *pgx.Conn
	opts      options
	version   int // server_version_num
	blockSize int
	settings  map[string]string
}

// New connects to the seeded database and pins the session's settings.
func New(ctx context.Context, connString string, opts ...Option) (*Replayer, error) {
	o := options{timeout: 60 * time.Second, tempFileLimit: "1GB"}
	for _, fn := range opts {
		fn(&o)
	}
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return nil, fmt.Errorf("replay: connect: %w", err)
	}
	r := &Replayer{conn: conn, opts: o, settings: map[string]string{}}
	if err := r.setup(ctx); err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return r, nil
}

func (r *Replayer) setup(ctx context.Context) error {
	var version, block string
	if err := r.conn.QueryRow(ctx, "SELECT current_setting('server_version_num'), current_setting('block_size')").Scan(&version, &block); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	r.version, _ = strconv.Atoi(version)
	r.blockSize, _ = strconv.Atoi(block)

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
		r.settings[k] = v
	}
	if r.opts.tempFileLimit != "" {
		err := r.set(ctx, "temp_file_limit", r.opts.tempFileLimit)
		var pe *pgconn.PgError
		switch {
		case errors.As(err, &pe) && pe.Code == "42501":
			r.warnf("replay: temp_file_limit not set: it needs a superuser and this role is not one; replays run without a cap on temporary files")
		case err != nil:
			return fmt.Errorf("replay: setting temp_file_limit = %q: %w", r.opts.tempFileLimit, err)
		default:
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

// Close closes the connection.
func (r *Replayer) Close(ctx context.Context) error { return r.conn.Close(ctx) }

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

// explain runs EXPLAIN (options) q in a transaction that is rolled back. A
// statement error is returned as *Error; a dead connection as error.
//
// BEGIN, the EXPLAIN and ROLLBACK go to the server in one round trip.
func (r *Replayer) explain(ctx context.Context, q Query, options string) ([]byte, *Error, error) {
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
	results, err := r.conn.PgConn().ExecBatch(ctx, batch).ReadAll()
	if ctx.Err() != nil {
		r.rollback()
		return nil, nil, ctx.Err()
	}
	var pe *pgconn.PgError
	if err != nil && !errors.As(err, &pe) {
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
		return nil, classify(err), nil
	}
	plan := results[len(results)-2]
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
