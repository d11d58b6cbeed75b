package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// GenOption configures Generate. WithProgress, the Apply option, is one too.
type GenOption interface {
	applyGen(*genConfig)
}

type genConfig struct {
	scale    float64
	seed     int64
	seedSet  bool
	progress io.Writer
	tty      bool
	parallel int
	workMem  string
	noFreeze bool // load without COPY FREEZE: tests compare the two
}

type genOptionFunc func(*genConfig)

func (f genOptionFunc) applyGen(c *genConfig) { f(c) }

// applyGen lets WithProgress configure Generate: plain progress lines.
// WithDeferredIndexes changes nothing there: Generate always defers them.
func (o Option) applyGen(c *genConfig) {
	var cfg config
	o(&cfg)
	if cfg.progress != nil {
		c.progress, c.tty = cfg.progress, false
	}
}

// WithScale multiplies every table's row count by f, keeping the
// distributions: Zipf skews, category weights, null fractions and value
// ranges stay as the spec gives them. A table with rows gets at least one.
func WithScale(f float64) GenOption { return genOptionFunc(func(c *genConfig) { c.scale = f }) }

// WithSeed sets the seed every value derives from, overriding the spec's
// `seed:`. The same spec and seed give the same data on every run.
func WithSeed(seed int64) GenOption {
	return genOptionFunc(func(c *genConfig) { c.seed, c.seedSet = seed, true })
}

// WithProgressTo reports progress to w: on a terminal (isTerminal) one line
// kept up to date with rows/s and ETA, else a plain line every ten seconds
// and one per finished step, fit for CI logs.
func WithProgressTo(w io.Writer, isTerminal bool) GenOption {
	return genOptionFunc(func(c *genConfig) { c.progress, c.tty = w, isTerminal })
}

// WithParallel sets how many connections load tables and build indexes at
// once. The default is the number of CPUs, at most 4. The data is the same
// whatever the setting.
func WithParallel(n int) GenOption { return genOptionFunc(func(c *genConfig) { c.parallel = n }) }

// WithMaintenanceWorkMem sets maintenance_work_mem for the index builds and
// foreign key checks (default 256MB): more memory sorts in fewer passes.
func WithMaintenanceWorkMem(setting string) GenOption {
	return genOptionFunc(func(c *genConfig) { c.workMem = setting })
}

// defaultWorkMem is the maintenance_work_mem of index builds and foreign
// key checks.
const defaultWorkMem = "256MB"

// defaultParallel is how many connections load tables and build indexes at
// once: one per CPU, at most 4.
func defaultParallel() int { return min(runtime.NumCPU(), 4) }

// generatorVersion changes whenever the same spec and seed would give
// different data; seeded-state cache keys include it.
const generatorVersion = "1"

// Generate fills the database at connString as spec describes. The tables
// must exist (apply the schema first); every table of the spec is emptied
// and refilled, other tables are left as they are.
//
// It loads the way a restore does: the spec tables' indexes and the foreign
// keys touching them are dropped, each table is truncated and loaded with
// one COPY in the same transaction (FREEZE, and no WAL where wal_level is
// minimal), then the indexes and foreign keys are rebuilt from their own
// definitions and every table is vacuumed and analyzed (Analyze). Rows come
// in row-number order, one stream per table, so the tables' physical order,
// and with it the planner's correlation statistics, repeat too.
func Generate(ctx context.Context, connString string, spec *Spec, opts ...GenOption) (Result, error) {
	cfg := genConfig{scale: 1, parallel: defaultParallel(), workMem: defaultWorkMem}
	for _, o := range opts {
		o.applyGen(&cfg)
	}
	if spec == nil {
		return Result{}, errors.New("seed: no data spec")
	}
	if cfg.scale <= 0 || math.IsInf(cfg.scale, 0) || math.IsNaN(cfg.scale) {
		return Result{}, fmt.Errorf("seed: scale %g: must be above 0", cfg.scale)
	}
	if cfg.parallel < 1 {
		cfg.parallel = 1
	}
	seed := spec.Seed
	if cfg.seedSet {
		seed = cfg.seed
	}
	var prog *progress
	if cfg.progress != nil {
		prog = newProgress(cfg.progress, cfg.tty)
	}

	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	g := &generation{cfg: cfg, connString: connString, prog: prog, spec: spec}
	comp := &compiler{ctx: ctx, conn: conn, file: spec.Path, seed: seed, tables: map[string]*tableInfo{}, lists: map[string][]val{}}
	seen := map[uint32]string{}
	for i := range spec.Tables {
		t, err := resolveTable(ctx, conn, spec.Path, &spec.Tables[i])
		if err != nil {
			return Result{}, err
		}
		if other, dup := seen[t.oid]; dup {
			return Result{}, &SpecError{File: spec.Path, Table: t.spec.Name, Problem: fmt.Sprintf("is the same table as %q: give it once", other)}
		}
		seen[t.oid] = t.spec.Name
		t.rows = scaleRows(t.spec.Rows, cfg.scale)
		comp.tables[t.spec.Name] = t
		g.tables = append(g.tables, t)
	}
	// A first pass checks every column against the schema, and reads the
	// tables outside the spec that references pick from; the load workers
	// compile their own generators from the same inputs.
	comp.newPass()
	for _, t := range g.tables {
		if _, err := comp.columns(t); err != nil {
			return Result{}, err
		}
	}
	for _, t := range g.tables {
		warnings, err := defaultWarnings(spec.Path, t)
		if err != nil {
			return Result{}, err
		}
		for _, w := range warnings {
			prog.logf("warning: %s", w)
		}
	}
	comp.conn = nil
	g.comp = comp

	deferred, err := readDeferred(ctx, conn, g.tables)
	if err != nil {
		return Result{}, err
	}
	if err := deferred.drop(ctx, conn, prog); err != nil {
		return Result{}, err
	}
	// From here on a failure leaves the spec tables without some of their
	// indexes or foreign keys: say so, and how to recover.
	partial := func(err error) error {
		return fmt.Errorf("%w (the database is left partly seeded, without some indexes or foreign keys: recreate it from the schema and seed again)", err)
	}
	if err := g.load(ctx); err != nil {
		return Result{}, partial(err)
	}
	if err := g.resetSequences(ctx, conn); err != nil {
		return Result{}, partial(err)
	}
	rc := rebuildConfig{connString: connString, parallel: cfg.parallel, workMem: cfg.workMem, prog: prog}
	if err := deferred.rebuild(ctx, conn, rc); err != nil {
		return Result{}, partial(err)
	}
	var w io.Writer
	if prog != nil {
		w = prog.w
	}
	start := time.Now()
	res, err := Analyze(ctx, conn, w)
	if err != nil {
		return Result{}, fmt.Errorf("seed: %w", err)
	}
	prog.logf("vacuum analyze: %s", humanDuration(time.Since(start)))
	return res, nil
}

// scaleRows multiplies a row count, keeping at least one row in a table
// that has any.
func scaleRows(rows int64, scale float64) int64 {
	if rows == 0 {
		return 0
	}
	n := int64(math.Round(float64(rows) * scale))
	return max(n, 1)
}

// generation is one run of Generate.
type generation struct {
	cfg        genConfig
	connString string
	prog       *progress
	spec       *Spec
	tables     []*tableInfo
	comp       *compiler
	compMu     sync.Mutex // comp is shared by the load workers
}

// load fills the spec tables, several at once.
func (g *generation) load(ctx context.Context) error {
	var total int64
	var names []string
	for _, t := range g.tables {
		total += t.rows
		names = append(names, t.spec.Name)
	}
	// Biggest first, so that the last table to finish is a small one.
	order := append([]*tableInfo(nil), g.tables...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].rows > order[j].rows })
	g.prog.begin("loading "+strings.Join(names, ", "), total)
	err := runParallel(ctx, g.cfg.parallel, len(order), g.connString, nil, func(ctx context.Context, conn *pgx.Conn, i int) error {
		return g.loadTable(ctx, conn, order[i])
	})
	g.prog.end()
	return err
}

// chunkRows is how many rows a generator worker encodes at a time.
const chunkRows = 4096

// loadTable truncates t and loads it with one COPY in the same transaction.
func (g *generation) loadTable(ctx context.Context, conn *pgx.Conn, t *tableInfo) error {
	workers := max(1, min(runtime.NumCPU()/2, 4))
	gens := make([][]column, workers)
	g.compMu.Lock()
	for w := range gens {
		g.comp.newPass()
		cols, err := g.comp.columns(t)
		if err != nil {
			g.compMu.Unlock()
			return err
		}
		gens[w] = cols
	}
	g.compMu.Unlock()
	cols := gens[0]
	binaryFormat := true
	var names []string
	for _, c := range cols {
		names = append(names, pgx.Identifier{c.name}.Sanitize())
		binaryFormat = binaryFormat && c.class != cOther
	}
	var opts []string
	if binaryFormat {
		opts = append(opts, "FORMAT binary")
	}
	if t.relkind == "r" && !g.cfg.noFreeze {
		// Rows are written frozen and all-visible, since the table was
		// emptied in the same transaction: VACUUM has nothing left to do.
		opts = append(opts, "FREEZE")
	}
	copySQL := "COPY " + t.qualified + " (" + strings.Join(names, ", ") + ") FROM STDIN"
	if len(opts) > 0 {
		copySQL += " WITH (" + strings.Join(opts, ", ") + ")"
	}
	start := time.Now()
	var genErr error
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "TRUNCATE "+t.qualified+" RESTART IDENTITY"); err != nil {
			return err
		}
		if t.rows == 0 {
			return nil
		}
		if len(cols) == 0 {
			// No column to write: every column takes its default.
			_, err := tx.Exec(ctx, "INSERT INTO "+t.qualified+" SELECT FROM generate_series(1, $1::bigint)", t.rows)
			g.prog.add(t.rows)
			return err
		}
		r := newRowReader(ctx, t, gens, binaryFormat, g.prog)
		defer r.close()
		_, err := conn.PgConn().CopyFrom(ctx, r, copySQL)
		if r.err != nil {
			genErr = r.err
			return r.err
		}
		return err
	})
	if genErr != nil {
		return genErr
	}
	if err != nil {
		return fmt.Errorf("seed: table %q: load: %w", t.spec.Name, err)
	}
	g.prog.logf("loaded %s: %s rows in %s", t.spec.Name, humanCount(t.rows), humanDuration(time.Since(start)))
	return nil
}

func (g *generation) resetSequences(ctx context.Context, conn *pgx.Conn) error {
	for _, t := range g.tables {
		for _, ci := range t.columns {
			if !ci.hasSeq || t.specColumn(ci.name) == nil || t.rows == 0 {
				continue
			}
			// The spec filled a column its sequence would have: move the
			// sequence past the values, so that later inserts do not collide.
			col := pgx.Identifier{ci.name}.Sanitize()
			agg := "max"
			if ci.seqStep < 0 {
				agg = "min"
			}
			sql := fmt.Sprintf("SELECT setval(pg_get_serial_sequence($1, $2), v) FROM (SELECT %s(%s) AS v FROM %s) s WHERE v IS NOT NULL", agg, col, t.qualified)
			if _, err := conn.Exec(ctx, sql, t.qualified, ci.name); err != nil {
				return fmt.Errorf("seed: table %q: column %q: advance its sequence: %w", t.spec.Name, ci.name, err)
			}
		}
	}
	return nil
}

// runParallel runs n jobs on up to workers connections of their own, each
// set up with the setup statements; the first error stops the rest.
func runParallel(ctx context.Context, workers, n int, connString string, setup []string, job func(context.Context, *pgx.Conn, int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
		cancel()
	}
	for range min(workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, connString)
			if err != nil {
				fail(fmt.Errorf("seed: %w", err))
				return
			}
			defer conn.Close(context.WithoutCancel(ctx))
			for _, s := range setup {
				if _, err := conn.Exec(ctx, s); err != nil {
					fail(fmt.Errorf("seed: %s: %w", s, err))
					return
				}
			}
			for i := range next {
				if err := job(ctx, conn, i); err != nil {
					fail(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

// rowReader is the COPY stream of one table: generator workers encode
// chunks of rows concurrently, and Read hands them out in row order.
type rowReader struct {
	ctx    context.Context
	cancel context.CancelFunc
	chans  []chan chunk
	free   chan []byte
	next   int // index of the next chunk to read
	nChunk int
	cur    []byte
	off    int
	pooled bool   // cur is a chunk buffer, to reuse once read
	tail   []byte // the binary trailer, once every chunk is read
	prog   *progress
	err    error
	wg     sync.WaitGroup
}

type chunk struct {
	data []byte
	rows int64
	err  error
}

func newRowReader(ctx context.Context, t *tableInfo, gens [][]column, binaryFormat bool, prog *progress) *rowReader {
	ctx, cancel := context.WithCancel(ctx)
	nChunk := int((t.rows + chunkRows - 1) / chunkRows)
	r := &rowReader{ctx: ctx, cancel: cancel, nChunk: nChunk, prog: prog, free: make(chan []byte, 4*len(gens))}
	if binaryFormat {
		r.cur = copyBinaryHeader
		r.tail = []byte(copyBinaryTrailer)
	}
	for w := range gens {
		ch := make(chan chunk, 2)
		r.chans = append(r.chans, ch)
		r.wg.Add(1)
		go func(w int, cols []column) {
			defer r.wg.Done()
			defer close(ch)
			vals := make([]val, len(cols))
			for k := w; k < nChunk; k += len(gens) {
				from := int64(k)*chunkRows + 1
				to := min(from+chunkRows-1, t.rows)
				var buf []byte
				select {
				case buf = <-r.free:
				default:
				}
				data, err := encodeRows(buf[:0], t, cols, vals, from, to, binaryFormat)
				select {
				case ch <- chunk{data: data, rows: to - from + 1, err: err}:
				case <-ctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}(w, gens[w])
	}
	return r
}

// encodeRows appends rows from..to of t to b.
func encodeRows(b []byte, t *tableInfo, cols []column, vals []val, from, to int64, binaryFormat bool) ([]byte, error) {
	var err error
	for row := from; row <= to; row++ {
		if binaryFormat {
			b = append(b, byte(len(cols)>>8), byte(len(cols)))
		}
		for i := range cols {
			c := &cols[i]
			v := &vals[i]
			c.gen.gen(row, v)
			if binaryFormat {
				if b, err = appendBinary(b, c, v); err != nil {
					return b, fmt.Errorf("seed: table %q: column %q: row %d: %w", t.spec.Name, c.name, row, err)
				}
				continue
			}
			if i > 0 {
				b = append(b, '\t')
			}
			b = appendText(b, c, v)
		}
		if !binaryFormat {
			b = append(b, '\n')
		}
	}
	return b, nil
}

func (r *rowReader) Read(p []byte) (int, error) {
	for r.off >= len(r.cur) {
		if r.pooled {
			select {
			case r.free <- r.cur[:0]:
			default:
			}
		}
		r.cur, r.off, r.pooled = nil, 0, false
		if r.next >= r.nChunk {
			if len(r.tail) > 0 {
				r.cur, r.tail = r.tail, nil
				continue
			}
			return 0, io.EOF
		}
		select {
		case c, ok := <-r.chans[r.next%len(r.chans)]:
			if !ok {
				r.err = errors.New("seed: row generator stopped early")
				return 0, r.err
			}
			if c.err != nil {
				r.err = c.err
				return 0, c.err
			}
			r.cur, r.pooled = c.data, true
			r.prog.add(c.rows)
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
		r.next++
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	return n, nil
}

func (r *rowReader) close() {
	r.cancel()
	r.wg.Wait()
}
