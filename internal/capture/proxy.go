package capture

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// Execution is one statement the recording proxy saw run to completion: the
// statement, with its bound values and the application_name of its session
// as Group, and what the run took.
type Execution struct {
	Statement
	// Duration runs from the Execute (or simple Query) message to the
	// server's CommandComplete for the statement.
	Duration time.Duration
	// Tag is the server's command tag, as "SELECT 20" or "UPDATE 3".
	Tag string
	// Notes say where the recording may differ from what the application
	// sent, such as a binary value of an unknown type recorded as hex.
	Notes []string
}

// ProxyStats counts what a proxy saw.
type ProxyStats struct {
	// Connections is the number of client sessions that reached the
	// upstream server.
	Connections int
	// Recorded is the number of statements handed to the recorder.
	Recorded int
	// Skipped counts statements that were not recorded because they cannot
	// be planned (transaction control, SET, SHOW, DDL, ...) or are
	// connection pings, by their first keyword in upper case.
	Skipped map[string]int
	// Failed is the number of statements that ended in an error.
	Failed int
	// CancelsForwarded is the number of cancel requests passed upstream.
	CancelsForwarded int
}

// Proxy is a recording PostgreSQL proxy. Clients connect to it as to a
// server; it opens a connection to the upstream server for each, passes every
// message through unchanged in both directions, and hands each statement the
// client runs to its recorder.
//
// Clients speak to the proxy in plaintext: it declines SSL and GSS
// encryption requests, and negotiates TLS with the upstream server itself as
// the upstream connection string's sslmode asks. Authentication passes
// through, so clients log in to the upstream server with their own
// credentials. Cancel requests are forwarded to the server that runs the
// session they name.
type Proxy struct {
	targets []upstreamTarget
	record  func(Execution)
	log     io.Writer
	every   bool

	mu       sync.Mutex
	stats    ProxyStats
	sessions map[*session]struct{}
	// cancelKeys maps a session's BackendKeyData (process ID and secret key,
	// as sent) to the server that issued it.
	cancelKeys map[string]upstreamTarget
	// transactions counts the transactions sessions began, across sessions:
	// the number of the next one names its group (see TransactionGroup).
	transactions int
}

// ProxyOption configures a Proxy.
type ProxyOption func(*Proxy)

// WithRecorder sets the function each executed statement is handed to. It is
// called from the connections' goroutines, one statement at a time per
// connection but concurrently across connections, and must not block for
// long: the client waits for the statement's result meanwhile.
func WithRecorder(record func(Execution)) ProxyOption {
	return func(p *Proxy) { p.record = record }
}

// WithEveryStatement records every statement that completes, those a
// capture leaves out among them (transaction control, DDL, SET): what a
// migration tool runs, in order.
func WithEveryStatement() ProxyOption {
	return func(p *Proxy) { p.every = true }
}

// WithProxyLog sets where the proxy reports connections that fail, such as
// an unreachable upstream server. By default it reports nothing.
func WithProxyLog(w io.Writer) ProxyOption {
	return func(p *Proxy) { p.log = w }
}

// NewProxy returns a proxy to the server named by upstream, a PostgreSQL
// connection string in URL or keyword/value form. Its host, port and TLS
// settings (sslmode, sslrootcert, ...) say how the proxy reaches the server;
// its user, password and database are the clients' business.
func NewProxy(upstream string, opts ...ProxyOption) (*Proxy, error) {
	cfg, err := pgconn.ParseConfig(upstream)
	if err != nil {
		return nil, fmt.Errorf("capture: upstream: %w", err)
	}
	p := &Proxy{
		targets:    upstreamTargets(cfg),
		record:     func(Execution) {},
		log:        io.Discard,
		sessions:   map[*session]struct{}{},
		cancelKeys: map[string]upstreamTarget{},
	}
	for _, o := range opts {
		o(p)
	}
	return p, nil
}

// Upstream describes the server the proxy forwards to, as host:port (the
// first one, when the connection string names several).
func (p *Proxy) Upstream() string {
	return p.targets[0].address
}

// Serve accepts clients on ln until ctx is done, then closes ln and every
// open connection and returns nil once all of them have finished. It returns
// an error only when accepting fails for another reason.
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		p.mu.Lock()
		for s := range p.sessions {
			s.close()
		}
		p.mu.Unlock()
	})
	defer stop()

	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.serveConn(ctx, c)
		}()
	}
	if ctx.Err() != nil {
		err = nil
	} else {
		err = fmt.Errorf("capture: proxy: accept: %w", err)
	}
	cancel()
	wg.Wait()
	return err
}

// Stats returns what the proxy has seen so far.
func (p *Proxy) Stats() ProxyStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Skipped = maps.Clone(p.stats.Skipped)
	return s
}

func (p *Proxy) logf(format string, args ...any) {
	fmt.Fprintf(p.log, "capture: "+format+"\n", args...)
}

// track registers a live session so that Serve can close it on shutdown; it
// reports false when the proxy is already shutting down.
func (p *Proxy) track(ctx context.Context, s *session) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ctx.Err() != nil {
		return false
	}
	p.sessions[s] = struct{}{}
	p.stats.Connections++
	return true
}

// nextTransaction numbers a transaction a session began.
func (p *Proxy) nextTransaction() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.transactions++
	return p.transactions
}

func (p *Proxy) untrack(s *session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.sessions, s)
	for _, k := range s.cancelKeys {
		delete(p.cancelKeys, k)
	}
}

func (p *Proxy) addCancelKey(s *session, key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.cancelKeys = append(s.cancelKeys, key)
	p.cancelKeys[key] = s.target
}

func (p *Proxy) cancelTarget(key string) (upstreamTarget, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.cancelKeys[key]
	return t, ok
}

func (p *Proxy) cancelForwarded() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.CancelsForwarded++
}

// count records the fate of one statement in the stats.
func (p *Proxy) count(recorded bool, skippedAs string, failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case failed:
		p.stats.Failed++
	case recorded:
		p.stats.Recorded++
	default:
		if p.stats.Skipped == nil {
			p.stats.Skipped = map[string]int{}
		}
		p.stats.Skipped[skippedAs]++
	}
}
