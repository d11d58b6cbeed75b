package cli

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/pgserver"
)

// captureServer is one PostgreSQL server for the capture tests, started on
// first use: PLANGATE_TEST_DSN's, or a throwaway local cluster.
var captureServer struct {
	once sync.Once
	srv  pgserver.Server
	err  error
}

func captureDSN(t *testing.T) string {
	t.Helper()
	captureServer.once.Do(func() {
		ctx := context.Background()
		if dsn := os.Getenv("PLANGATE_TEST_DSN"); dsn != "" {
			captureServer.srv, captureServer.err = pgserver.OpenDSN(ctx, dsn, false)
		} else {
			captureServer.srv, captureServer.err = pgserver.StartLocal(ctx)
		}
	})
	if captureServer.err != nil {
		if os.Getenv("PLANGATE_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL is required: %v", captureServer.err)
		}
		t.Skipf("no PostgreSQL server: %v", captureServer.err)
	}
	srv := captureServer.srv
	name := pgserver.ScratchName("plangate_capture")
	if err := pgserver.CreateDatabase(context.Background(), srv, name, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := pgserver.DropDatabase(context.Background(), srv, name); err != nil {
			t.Error(err)
		}
	})
	return srv.ConnString(name)
}

// TestCaptureHelperProcess is the application capture runs in the tests
// below: it does some work through DATABASE_URL and exits with
// PLANGATE_CAPTURE_HELPER's status.
func TestCaptureHelperProcess(t *testing.T) {
	code := os.Getenv("PLANGATE_CAPTURE_HELPER")
	if code == "" {
		t.Skip("run by the capture tests as their application")
	}
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(70)
	}
	conn, err := pgx.Connect(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		fail(err)
	}
	for _, sql := range []string{
		"SET application_name = 'GET /widgets'",
		"CREATE TABLE IF NOT EXISTS widgets (id int PRIMARY KEY, name text)",
		"BEGIN",
		"INSERT INTO widgets SELECT g, 'widget ' || g FROM generate_series(1, 10) g ON CONFLICT DO NOTHING",
		"COMMIT",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			fail(err)
		}
	}
	var name string
	if err := conn.QueryRow(ctx, "SELECT name FROM widgets WHERE id = $1", 7).Scan(&name); err != nil {
		fail(err)
	}
	conn.Close(ctx)
	// libpq's variables point at the proxy too.
	fmt.Printf("helper: %s via %s:%s\n", name, os.Getenv("PGHOST"), os.Getenv("PGPORT"))
	n, _ := strconv.Atoi(code)
	os.Exit(n)
}

func TestCapture_Command(t *testing.T) {
	dsn := captureDSN(t)
	tests := []struct {
		name     string
		status   string
		wantCode int
	}{
		{name: "command succeeds", status: "0", wantCode: ExitPass},
		{name: "command fails", status: "1", wantCode: ExitRegressed},
		{name: "command fails otherwise", status: "3", wantCode: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PLANGATE_CAPTURE_HELPER", tt.status)
			out := filepath.Join(t.TempDir(), "captures", "app.jsonl")
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"capture", "--upstream", dsn, "--out", out,
				"--", os.Args[0], "-test.run=^TestCaptureHelperProcess$"}, strings.NewReader(""), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), "helper: widget 7 via 127.0.0.1:") {
				t.Errorf("the command's stdout was not passed on: %q", stdout.String())
			}
			if !strings.Contains(stderr.String(), "plangate: captured 2 statements from 1 connection to "+out) {
				t.Errorf("stderr has no summary: %q", stderr.String())
			}
			sts, err := capture.Load([]string{out})
			if err != nil {
				t.Fatal(err)
			}
			want := []capture.Statement{
				{SQL: "INSERT INTO widgets SELECT g, 'widget ' || g FROM generate_series(1, 10) g ON CONFLICT DO NOTHING", Group: "GET /widgets"},
				{SQL: "SELECT name FROM widgets WHERE id = $1", Params: []capture.Param{{Value: "7"}}, Group: "GET /widgets"},
			}
			for i := range sts {
				sts[i].Source = ""
			}
			if diff := cmp.Diff(want, sts); diff != "" {
				t.Errorf("capture (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCapture_ListenUntilInterrupted(t *testing.T) {
	dsn := captureDSN(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	out := filepath.Join(t.TempDir(), "capture.jsonl")

	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var stderr bytes.Buffer
	exited := make(chan int, 1)
	go func() {
		exited <- Main(ctx, []string{"capture", "--listen", addr.String(), "--upstream", dsn, "--out", out},
			strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()

	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.TLSConfig, cfg.Fallbacks = "127.0.0.1", uint16(addr.Port), nil, nil
	var conn *pgx.Conn
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if conn, err = pgx.ConnectConfig(context.Background(), cfg); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connect through the proxy: %v", err)
		}
	}
	if _, err := conn.Exec(context.Background(), "SELECT count(*) FROM pg_class WHERE relname = $1", "pg_type"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(out + ".partial"); err != nil {
		t.Errorf("no partial capture while running: %v", err)
	}
	interrupt()
	select {
	case code := <-exited:
		if code != ExitPass {
			t.Errorf("exit %d after the interrupt, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("capture still running 15s after the interrupt")
	}
	sts, err := capture.Load([]string{out})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 || sts[0].SQL != "SELECT count(*) FROM pg_class WHERE relname = $1" {
		t.Errorf("captured %+v, want the one SELECT", sts)
	}
}

func TestCapture_UsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no upstream", []string{"capture", "--out", "x.jsonl"}, "plangate: capture: --upstream is required"},
		{"no out", []string{"capture", "--upstream", "postgres://localhost/db"}, "plangate: capture: --out is required"},
		{"command without --", []string{"capture", "--upstream", "postgres://localhost/db", "--out", "x.jsonl", "go", "test"},
			`plangate: capture: unexpected argument "go": put the command to run after --`},
		{"bad upstream", []string{"capture", "--upstream", "postgres://localhost:notaport/db", "--out", "x.jsonl"}, "plangate: capture: --upstream: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := Main(context.Background(), tt.args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
			if code != ExitError || !strings.HasPrefix(stderr.String(), tt.want) || strings.Count(stderr.String(), "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line starting %q", code, stderr.String(), tt.want)
			}
		})
	}
}

func TestChildEnv(t *testing.T) {
	tests := []struct {
		name     string
		upstream string
		environ  []string
		want     []string
	}{
		{
			name:     "URL with credentials",
			upstream: "postgres://app:s%40cret@db.internal:5433/shop?sslmode=require&application_name=api",
			environ:  []string{"HOME=/root", "PGHOST=db.internal", "PGHOSTADDR=10.0.0.1", "PGSSLMODE=require"},
			want: []string{"HOME=/root",
				"DATABASE_URL=postgres://app:s%40cret@127.0.0.1:6543/shop?application_name=api&sslmode=disable",
				"PGDATABASE=shop", "PGHOST=127.0.0.1", "PGPASSWORD=s@cret", "PGPORT=6543", "PGSSLMODE=disable", "PGUSER=app"},
		},
		{
			name:     "keyword/value without a password",
			upstream: "host=/var/run/postgresql user=ci dbname=test",
			want: []string{"DATABASE_URL=postgres://ci@127.0.0.1:6543/test?sslmode=disable",
				"PGDATABASE=test", "PGHOST=127.0.0.1", "PGPORT=6543", "PGSSLMODE=disable", "PGUSER=ci"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PGPASSFILE", filepath.Join(t.TempDir(), "none"))
			cfg, err := pgconn.ParseConfig(tt.upstream)
			if err != nil {
				t.Fatal(err)
			}
			got := capture.ClientEnv(tt.environ, cfg, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6543})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("environment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCaptureSummary(t *testing.T) {
	got := captureSummary(capture.ProxyStats{Connections: 3, Recorded: 40, Failed: 1,
		Skipped: map[string]int{"BEGIN": 5, "COMMIT": 5, "SET": 2}}, "c.jsonl")
	want := "captured 40 statements from 3 connections to c.jsonl; left out 12 (5 BEGIN, 5 COMMIT, 2 SET); 1 statement failed and not recorded"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
