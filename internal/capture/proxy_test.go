package capture

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/plangate/plangate/internal/pgtest"
)

// proxyEnv is a fresh database with a recording proxy in front of it.
type proxyEnv struct {
	// dsn reaches the database directly.
	dsn   string
	proxy *Proxy
	port  uint16

	mu  sync.Mutex
	got []Execution
}

// startProxy starts a proxy to upstream (the fresh database itself when
// upstream is "") that records into the returned env; it stops when the
// test ends.
func startProxy(t testing.TB, upstream string) *proxyEnv {
	t.Helper()
	env := &proxyEnv{dsn: pgtest.NewDatabase(t)}
	if upstream == "" {
		upstream = env.dsn
	}
	p, err := NewProxy(upstream, WithRecorder(func(e Execution) {
		env.mu.Lock()
		env.got = append(env.got, e)
		env.mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.proxy, env.port = p, uint16(ln.Addr().(*net.TCPAddr).Port)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return 10s after its context ended")
		}
	})
	return env
}

// config returns a connection config for the database; through the proxy
// unless direct is set.
func (e *proxyEnv) config(t testing.TB, direct bool) *pgx.ConnConfig {
	t.Helper()
	cfg, err := pgx.ParseConfig(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	if !direct {
		cfg.Host, cfg.Port, cfg.TLSConfig, cfg.Fallbacks = "127.0.0.1", e.port, nil, nil
	}
	cfg.ConnectTimeout = 10 * time.Second
	return cfg
}

func connect(t testing.TB, cfg *pgx.ConnConfig) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// take returns the executions recorded since the last call.
func (e *proxyEnv) take() []Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	got := e.got
	e.got = nil
	return got
}

func mustExec(t testing.TB, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func texts(vs ...any) []Param {
	out := make([]Param, len(vs))
	for i, v := range vs {
		if v == nil {
			out[i] = Param{Null: true}
		} else {
			out[i] = Param{Value: v.(string)}
		}
	}
	return out
}

func TestProxy_Records(t *testing.T) {
	env := startProxy(t, "")
	setup := connect(t, env.config(t, true))
	mustExec(t, setup, `CREATE TABLE people (id int8 PRIMARY KEY, name text, note text);
		INSERT INTO people SELECT g, 'person ' || g, NULL FROM generate_series(1, 50) g`)

	const byID = "SELECT name FROM people WHERE id = $1"
	tests := []struct {
		name string
		run  func(ctx context.Context, conn *pgx.Conn) error
		want []Statement
	}{
		{
			name: "simple query",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				return conn.PgConn().Exec(ctx, "SELECT name FROM people WHERE id = 7").Close()
			},
			want: []Statement{{SQL: "SELECT name FROM people WHERE id = 7"}},
		},
		{
			name: "several statements in one simple query",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				return conn.PgConn().Exec(ctx, "BEGIN; SELECT count(*) FROM people;\n UPDATE people SET note = 'a;b' WHERE id = 1; COMMIT").Close()
			},
			want: []Statement{
				{SQL: "SELECT count(*) FROM people"},
				{SQL: "UPDATE people SET note = 'a;b' WHERE id = 1"},
			},
		},
		{
			name: "named statement reused",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				for _, id := range []int64{3, 4} {
					if _, err := conn.Exec(ctx, byID, pgx.QueryExecModeCacheStatement, id); err != nil {
						return err
					}
				}
				return nil
			},
			want: []Statement{{SQL: byID, Params: texts("3")}, {SQL: byID, Params: texts("4")}},
		},
		{
			name: "unnamed statement described first",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				_, err := conn.Exec(ctx, byID, pgx.QueryExecModeDescribeExec, int64(5))
				return err
			},
			want: []Statement{{SQL: byID, Params: texts("5")}},
		},
		{
			name: "unnamed statement with text values",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				_, err := conn.Exec(ctx, byID, pgx.QueryExecModeExec, int64(6))
				return err
			},
			want: []Statement{{SQL: byID, Params: texts("6")}},
		},
		{
			name: "awkward values",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				_, err := conn.Exec(ctx, "UPDATE people SET name = $2, note = $3 WHERE id = $1 OR name = $4 OR name = $5",
					int64(8), "O'Brien, \"Jr\"", "two\nlines\tand a tab", "Zoë 東京 🐘", nil)
				if err != nil {
					return err
				}
				_, err = conn.Exec(ctx, "SELECT $1::text, $2::text", "", `ends in \`)
				return err
			},
			want: []Statement{
				{SQL: "UPDATE people SET name = $2, note = $3 WHERE id = $1 OR name = $4 OR name = $5",
					Params: texts("8", "O'Brien, \"Jr\"", "two\nlines\tand a tab", "Zoë 東京 🐘", nil)},
				{SQL: "SELECT $1::text, $2::text", Params: texts("", `ends in \`)},
			},
		},
		{
			name: "transaction and session statements left out",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				tx, err := conn.Begin(ctx)
				if err != nil {
					return err
				}
				defer tx.Rollback(ctx)
				for _, sql := range []string{"SET LOCAL work_mem = '8MB'", "SHOW work_mem", "SELECT 1", "DELETE FROM people WHERE id = 50"} {
					if _, err := tx.Exec(ctx, sql); err != nil {
						return err
					}
				}
				return tx.Commit(ctx)
			},
			want: []Statement{{SQL: "DELETE FROM people WHERE id = 50"}},
		},
		{
			name: "failed statement left out",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				if _, err := conn.Exec(ctx, "SELECT 1/0"); err == nil {
					return errors.New("SELECT 1/0 did not fail")
				}
				_, err := conn.Exec(ctx, "SELECT id FROM people WHERE id = $1", int64(9))
				return err
			},
			want: []Statement{{SQL: "SELECT id FROM people WHERE id = $1", Params: texts("9")}},
		},
		{
			name: "batch in one round trip",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				b := &pgx.Batch{}
				b.Queue("SELECT name FROM people WHERE id = $1", int64(10))
				b.Queue("UPDATE people SET note = $1 WHERE id = $2", "batched", int64(11))
				b.Queue("SELECT count(*) FROM people WHERE note IS NULL")
				return conn.SendBatch(ctx, b).Close()
			},
			want: []Statement{
				{SQL: "SELECT name FROM people WHERE id = $1", Params: texts("10")},
				{SQL: "UPDATE people SET note = $1 WHERE id = $2", Params: texts("batched", "11")},
				{SQL: "SELECT count(*) FROM people WHERE note IS NULL"},
			},
		},
		{
			name: "application_name set during the session",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				if _, err := conn.Exec(ctx, "SET application_name = 'GET /people'"); err != nil {
					return err
				}
				_, err := conn.Exec(ctx, "SELECT count(*) FROM people")
				return err
			},
			want: []Statement{{SQL: "SELECT count(*) FROM people", Group: "GET /people"}},
		},
		{
			name: "portal run in steps, binary value of an untold type",
			run: func(ctx context.Context, conn *pgx.Conn) error {
				pc := conn.PgConn()
				fe := pc.Frontend()
				fe.Send(&pgproto3.Parse{Query: "SELECT g FROM generate_series(1, $1::int4) g"})
				fe.Send(&pgproto3.Bind{ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{0, 0, 0, 5}}})
				fe.Send(&pgproto3.Execute{MaxRows: 2})
				fe.Send(&pgproto3.Execute{MaxRows: 2})
				fe.Send(&pgproto3.Execute{})
				fe.Send(&pgproto3.Sync{})
				if err := fe.Flush(); err != nil {
					return err
				}
				var rows, suspended int
				for {
					msg, err := pc.ReceiveMessage(ctx)
					if err != nil {
						return err
					}
					switch m := msg.(type) {
					case *pgproto3.DataRow:
						rows++
					case *pgproto3.PortalSuspended:
						suspended++
					case *pgproto3.ErrorResponse:
						return errors.New(m.Message)
					case *pgproto3.ReadyForQuery:
						if rows != 5 || suspended != 2 {
							return fmt.Errorf("%d rows, %d suspensions, want 5 and 2", rows, suspended)
						}
						return nil
					}
				}
			},
			want: []Statement{{SQL: "SELECT g FROM generate_series(1, $1::int4) g", Params: texts(`\x00000005`)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := env.config(t, false)
			cfg.RuntimeParams["application_name"] = tt.name
			conn := connect(t, cfg)
			env.take()
			if err := tt.run(ctx, conn); err != nil {
				t.Fatal(err)
			}
			var got []Statement
			for _, e := range env.take() {
				if e.Duration <= 0 || e.Duration > 30*time.Second {
					t.Errorf("%q: duration %v", e.SQL, e.Duration)
				}
				if e.Tag == "" {
					t.Errorf("%q: no command tag", e.SQL)
				}
				got = append(got, e.Statement)
			}
			want := tt.want
			for i := range want {
				if want[i].Group == "" {
					want[i].Group = tt.name
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("recorded statements (-want +got):\n%s", diff)
			}
		})
	}

	stats := env.proxy.Stats()
	if stats.Failed != 1 {
		t.Errorf("stats: %d failed statements, want 1", stats.Failed)
	}
	for _, word := range []string{"BEGIN", "COMMIT", "SET", "SHOW", "SELECT 1"} {
		if stats.Skipped[word] == 0 {
			t.Errorf("stats: no %s skipped: %v", word, stats.Skipped)
		}
	}
}

func TestProxy_NotesHexValues(t *testing.T) {
	env := startProxy(t, "")
	conn := connect(t, env.config(t, false))
	pc := conn.PgConn()
	fe := pc.Frontend()
	fe.Send(&pgproto3.Parse{Query: "SELECT $1::int4 + $2::int4"})
	fe.Send(&pgproto3.Bind{ParameterFormatCodes: []int16{1, 0}, Parameters: [][]byte{{0, 0, 0, 5}, []byte("6")}})
	fe.Send(&pgproto3.Execute{})
	fe.Send(&pgproto3.Sync{})
	if err := fe.Flush(); err != nil {
		t.Fatal(err)
	}
	for {
		msg, err := pc.ReceiveMessage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
			break
		}
	}
	got := env.take()
	if len(got) != 1 {
		t.Fatalf("recorded %d statements, want 1", len(got))
	}
	if diff := cmp.Diff(texts(`\x00000005`, "6"), got[0].Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	want := []string{"params[0] ($1): binary value of unknown type recorded as hex"}
	if diff := cmp.Diff(want, got[0].Notes); diff != "" {
		t.Errorf("notes (-want +got):\n%s", diff)
	}
}

// TestProxy_BinaryParams sends values of common types in binary format and
// checks that the text recorded for each means the same value to the server.
func TestProxy_BinaryParams(t *testing.T) {
	env := startProxy(t, "")
	proxied := connect(t, env.config(t, false))
	direct := connect(t, env.config(t, true))
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	tests := []struct {
		typ   string
		value any
	}{
		{"int2", int16(-7)},
		{"int4", int32(1 << 30)},
		{"int8", int64(-1 << 62)},
		{"float4", float32(1.5)},
		{"float8", 0.1},
		{"numeric", mustNumeric(t, "12345678901234567890.000001")},
		{"bool", true},
		{"text", "O'Brien\n\"quoted\" 🐘"},
		{"varchar", "short"},
		{"bytea", []byte{0, 1, 2, 0xff, '\''}},
		{"uuid", [16]byte{0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"date", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"timestamp", ts},
		{"timestamptz", ts},
		{"interval", 90 * time.Minute},
		{"json", map[string]any{"b": 1, "a": []any{"x", nil}}},
		{"jsonb", map[string]any{"z": 1, "a": "O'Brien"}},
		{"int4[]", []int32{1, 2, 3}},
		{"text[]", []string{"a,b", `c"d`, "", "NULL"}},
		{"inet", netip.MustParsePrefix("10.1.2.3/8")},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			ctx := context.Background()
			sql := fmt.Sprintf("SELECT $1::%s", tt.typ)
			env.take()
			if _, err := proxied.Exec(ctx, sql, pgx.QueryExecModeCacheStatement, tt.value); err != nil {
				t.Fatal(err)
			}
			got := env.take()
			if len(got) != 1 || len(got[0].Params) != 1 {
				t.Fatalf("recorded %+v, want one statement with one value", got)
			}
			if len(got[0].Notes) > 0 {
				t.Errorf("notes: %v", got[0].Notes)
			}
			recorded := got[0].Params[0].Value
			var same bool
			check := fmt.Sprintf("SELECT $1::text::%[1]s::text = $2::%[1]s::text", tt.typ)
			if err := direct.QueryRow(ctx, check, recorded, tt.value).Scan(&same); err != nil {
				t.Fatalf("recorded %q: %v", recorded, err)
			}
			if !same {
				t.Errorf("recorded %q, which is not the value sent", recorded)
			}
		})
	}
}

func mustNumeric(t *testing.T, s string) pgtype.Numeric {
	t.Helper()
	var n pgtype.Numeric
	if err := n.Scan(s); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestProxy_TrafficUnchanged runs the same work directly and through the
// proxy and compares everything the client sees.
func TestProxy_TrafficUnchanged(t *testing.T) {
	env := startProxy(t, "")
	setup := connect(t, env.config(t, true))
	mustExec(t, setup, `CREATE TABLE items (id int PRIMARY KEY, body text, price numeric, tags text[], at timestamptz, doc jsonb, raw bytea)`)

	work := func(t *testing.T, cfg *pgx.ConnConfig) ([]any, *pgx.Conn) {
		ctx := context.Background()
		var notices []string
		cfg.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) { notices = append(notices, n.Severity+" "+n.Message) }
		conn := connect(t, cfg)
		var out []any
		mustExec(t, conn, "CREATE TEMP TABLE scratch (LIKE items)")
		n, err := conn.CopyFrom(ctx, pgx.Identifier{"scratch"}, []string{"id", "body", "price", "tags", "at", "doc", "raw"},
			pgx.CopyFromSlice(5000, func(i int) ([]any, error) {
				return []any{i, strings.Repeat("x", i%300) + "é'\n", fmt.Sprintf("%d.%02d", i, i%100), []string{"a", fmt.Sprint(i)},
					time.Unix(int64(i)*3600, 0).UTC(), map[string]any{"i": i}, []byte{byte(i), 0}}, nil
			}))
		out = append(out, n, err)
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol} {
			rows, err := conn.Query(ctx, "SELECT * FROM scratch WHERE id >= $1 ORDER BY id", mode, 100)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				// The values as the server sent them, byte for byte.
				var vals []string
				for _, v := range rows.RawValues() {
					vals = append(vals, string(v))
				}
				out = append(out, vals)
			}
			out = append(out, rows.Err(), rows.CommandTag().String())
		}
		_, err = conn.Exec(ctx, "SELECT 1/0")
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) {
			out = append(out, pgErr.Severity, pgErr.Code, pgErr.Message)
		} else {
			t.Errorf("SELECT 1/0: %v", err)
		}
		if err := conn.PgConn().Exec(ctx, "DO $$ BEGIN RAISE NOTICE 'note %', 42; END $$").Close(); err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		tag, err := conn.PgConn().CopyTo(ctx, &buf, "COPY (SELECT id, body FROM scratch ORDER BY id LIMIT 100) TO STDOUT")
		out = append(out, buf.String(), tag.String(), err, notices)
		return out, conn
	}

	want, directConn := work(t, env.config(t, true))
	got, proxiedConn := work(t, env.config(t, false))
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b error) bool { return fmt.Sprint(a) == fmt.Sprint(b) })); diff != "" {
		t.Errorf("results through the proxy differ (-direct +proxy):\n%s", diff)
	}

	t.Run("notifications", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		mustExec(t, proxiedConn, "LISTEN plangate_events")
		mustExec(t, directConn, "NOTIFY plangate_events, 'it''s here'")
		n, err := proxiedConn.WaitForNotification(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n.Channel != "plangate_events" || n.Payload != "it's here" {
			t.Errorf("notification %+v", n)
		}
	})
}

// cancellingConfig makes a context's end send a cancel request, and gives
// the server 10s to act on it before the connection is dropped.
func cancellingConfig(cfg *pgx.ConnConfig) {
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 10 * time.Second}
	}
}

// checkCancel runs pg_sleep through conn and cancels it, by context and by
// an explicit cancel request, and checks that the server stopped it.
func checkCancel(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	t.Run("context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := conn.Exec(ctx, "SELECT pg_sleep(60)")
		if err == nil {
			t.Fatal("pg_sleep(60) was not cancelled")
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("cancelled after %v: the cancel request did not reach the server", took)
		}
		// Had the server not cancelled the query, pgx would have dropped the
		// connection after DeadlineDelay.
		var one int
		if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&one); err != nil {
			t.Errorf("connection unusable after the cancel: %v", err)
		}
	})
	t.Run("cancel request", func(t *testing.T) {
		errc := make(chan error, 1)
		go func() {
			_, err := conn.Exec(context.Background(), "SELECT pg_sleep(60)")
			errc <- err
		}()
		// Wait until the sleep runs, as seen from the server.
		monitor := connect(t, conn.Config())
		deadline := time.Now().Add(10 * time.Second)
		for {
			var n int
			if err := monitor.QueryRow(context.Background(),
				"SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' AND state = 'active'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("pg_sleep did not start")
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := conn.PgConn().CancelRequest(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-errc:
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
				t.Errorf("got %v, want the server's query_canceled (57014)", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("pg_sleep still running 10s after the cancel request")
		}
	})
}

func TestProxy_Cancel(t *testing.T) {
	env := startProxy(t, "")
	cfg := env.config(t, false)
	cancellingConfig(cfg)
	checkCancel(t, connect(t, cfg))
	if n := env.proxy.Stats().CancelsForwarded; n != 2 {
		t.Errorf("%d cancel requests forwarded, want 2", n)
	}
}

// tcpDSN returns a keyword/value connection string for the test server over
// TCP, with extra settings appended.
func tcpDSN(t *testing.T, dsn, extra string) string {
	t.Helper()
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("host=127.0.0.1 port=%d dbname=%s %s", cfg.Port, cfg.Database, extra)
}

// createTestRoles makes the roles pg_hba.conf names; they are dropped when
// the test ends.
func createTestRoles(t *testing.T, conn *pgx.Conn) {
	t.Helper()
	for _, role := range []string{rolePassword, roleTLSOnly} {
		mustExec(t, conn, fmt.Sprintf(`DO $$ BEGIN CREATE ROLE %s LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`, role))
		t.Cleanup(func() { conn.Exec(context.Background(), "DROP ROLE IF EXISTS "+role) })
	}
	mustExec(t, conn, "ALTER ROLE "+rolePassword+" PASSWORD 'correct horse'")
}

func TestProxy_ConnectErrors(t *testing.T) {
	env := startProxy(t, "")
	admin := connect(t, env.config(t, true))
	createTestRoles(t, admin)
	if testCA == "" {
		t.Skip("the test server runs without the pg_hba.conf these cases need")
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	tests := []struct {
		name     string
		upstream string // the server's TCP address when ""
		user     string
		password string
		database string
		wantCode string
		// direct is set when connecting directly must fail the same way.
		direct bool
	}{
		{name: "wrong password", user: rolePassword, password: "wrong", wantCode: "28P01", direct: true},
		{name: "unknown database", user: rolePassword, password: "correct horse", database: "plangate_no_such_db", wantCode: "3D000", direct: true},
		{name: "server requires TLS, upstream has none", user: roleTLSOnly, wantCode: "28000", direct: true},
		{name: "upstream down", upstream: fmt.Sprintf("host=127.0.0.1 port=%d", deadPort), user: "postgres", wantCode: "08001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream := tt.upstream
			if upstream == "" {
				upstream = tcpDSN(t, env.dsn, "sslmode=disable")
			}
			p := startProxy(t, upstream)
			cfg := p.config(t, false)
			cfg.User, cfg.Password = tt.user, tt.password
			if tt.database != "" {
				cfg.Database = tt.database
			}
			_, err := pgx.ConnectConfig(context.Background(), cfg)
			var got *pgconn.PgError
			if !errors.As(err, &got) || got.Code != tt.wantCode {
				t.Fatalf("through the proxy: %v, want SQLSTATE %s", err, tt.wantCode)
			}
			if !tt.direct {
				if !strings.Contains(got.Message, "cannot reach the upstream server") {
					t.Errorf("message %q does not say the upstream is unreachable", got.Message)
				}
				return
			}
			dcfg, err := pgx.ParseConfig(tcpDSN(t, env.dsn, "sslmode=disable"))
			if err != nil {
				t.Fatal(err)
			}
			dcfg.User, dcfg.Password = cfg.User, cfg.Password
			dcfg.Database = cfg.Database
			_, err = pgx.ConnectConfig(context.Background(), dcfg)
			var want *pgconn.PgError
			if !errors.As(err, &want) {
				t.Fatalf("directly: %v, want a server error", err)
			}
			// The server names the client's address in some messages.
			msg := strings.ReplaceAll(want.Message, "127.0.0.1", "")
			if want.Code != got.Code || msg != strings.ReplaceAll(got.Message, "127.0.0.1", "") {
				t.Errorf("through the proxy: %s %q, directly: %s %q", got.Code, got.Message, want.Code, want.Message)
			}
		})
	}
}

// TestProxy_TLS has the proxy reach the server over verified TLS while the
// client speaks plaintext to the proxy.
func TestProxy_TLS(t *testing.T) {
	admin := connect(t, func() *pgx.ConnConfig {
		cfg, err := pgx.ParseConfig(pgtest.NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}())
	var ssl string
	if err := admin.QueryRow(context.Background(), "SHOW ssl").Scan(&ssl); err != nil {
		t.Fatal(err)
	}
	if ssl != "on" || testCA == "" {
		t.Skip("the test server runs without TLS")
	}
	createTestRoles(t, admin)

	dsn := pgtest.NewDatabase(t)
	env := startProxy(t, tcpDSN(t, dsn, "sslmode=verify-full sslrootcert="+testCA))
	env.dsn = dsn
	for _, role := range []struct{ user, password string }{{roleTLSOnly, ""}, {rolePassword, "correct horse"}} {
		t.Run(role.user, func(t *testing.T) {
			cfg := env.config(t, false)
			cfg.User, cfg.Password = role.user, role.password
			cancellingConfig(cfg)
			conn := connect(t, cfg)
			var encrypted bool
			if err := conn.QueryRow(context.Background(), "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&encrypted); err != nil {
				t.Fatal(err)
			}
			if !encrypted {
				t.Error("the upstream connection is not encrypted")
			}
			checkCancel(t, conn)
		})
	}

	t.Run("certificate not trusted", func(t *testing.T) {
		p := startProxy(t, tcpDSN(t, dsn, "sslmode=verify-full"))
		cfg := p.config(t, false)
		cfg.User = roleTLSOnly
		_, err := pgx.ConnectConfig(context.Background(), cfg)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "08001" || !strings.Contains(pgErr.Message, "certificate") {
			t.Errorf("got %v, want 08001 naming the certificate", err)
		}
	})
}

func TestProxy_ServeStops(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	p, err := NewProxy(dsn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- p.Serve(ctx, ln) }()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port = "127.0.0.1", uint16(ln.Addr().(*net.TCPAddr).Port)
	conn := connect(t, cfg)
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10s after its context ended")
	}
	if err := conn.Ping(context.Background()); err == nil {
		t.Error("a client connection outlived the proxy")
	}
}

// TestProxy_TransactionGroups: without an application_name, the statements
// of each transaction block are grouped by it, numbered across connections;
// statements outside one stay ungrouped, and an application_name wins.
func TestProxy_TransactionGroups(t *testing.T) {
	env := startProxy(t, "")
	plain := env.config(t, false)
	plain.RuntimeParams["application_name"] = ""
	first, second := connect(t, plain), connect(t, plain)
	named := env.config(t, false)
	named.RuntimeParams["application_name"] = "TestNamed"
	third := connect(t, named)
	env.take()

	mustExec(t, first, "SELECT 11")
	mustExec(t, first, "BEGIN")
	mustExec(t, first, "SELECT 12")
	mustExec(t, first, "SELECT 13")
	mustExec(t, first, "COMMIT")
	mustExec(t, second, "BEGIN")
	mustExec(t, second, "SELECT 21")
	mustExec(t, second, "ROLLBACK")
	mustExec(t, first, "BEGIN")
	mustExec(t, first, "SELECT 14")
	mustExec(t, first, "COMMIT")
	mustExec(t, third, "BEGIN")
	mustExec(t, third, "SELECT 31")
	mustExec(t, third, "COMMIT")

	var got []Statement
	for _, e := range env.take() {
		got = append(got, e.Statement)
	}
	want := []Statement{
		{SQL: "SELECT 11"},
		{SQL: "SELECT 12", Group: "transaction 1"},
		{SQL: "SELECT 13", Group: "transaction 1"},
		{SQL: "SELECT 21", Group: "transaction 2"},
		{SQL: "SELECT 14", Group: "transaction 3"},
		{SQL: "SELECT 31", Group: "TestNamed"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded statements (-want +got):\n%s", diff)
	}
	for group, want := range map[string]bool{"transaction 3": true, "transaction": false, "transaction 3b": false, "TestNamed": false} {
		if IsPositional(group) != want {
			t.Errorf("IsPositional(%q) = %v", group, !want)
		}
	}
}
