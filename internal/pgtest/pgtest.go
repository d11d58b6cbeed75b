// Package pgtest gives tests a real PostgreSQL server: one per test binary,
// started in TestMain, and a fresh database per test, dropped when the test
// ends.
//
// PLANGATE_TEST_DSN names a server to use instead of a throwaway local
// cluster. With PLANGATE_REQUIRE_POSTGRES=1 (as CI sets) a server that cannot
// be had fails the run instead of skipping the tests that need it.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/plangate/plangate/internal/pgserver"
)

var (
	server   pgserver.Server
	startErr error
)

// Main starts the package's server, runs its tests and stops the server:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M, opts ...pgserver.LocalOption) int {
	ctx := context.Background()
	if dsn := os.Getenv("PLANGATE_TEST_DSN"); dsn != "" {
		server, startErr = pgserver.OpenDSN(ctx, dsn, false)
	} else {
		server, startErr = pgserver.StartLocal(ctx, opts...)
	}
	if startErr != nil && os.Getenv("PLANGATE_REQUIRE_POSTGRES") == "1" {
		fmt.Fprintln(os.Stderr, "pgtest: PostgreSQL is required (PLANGATE_REQUIRE_POSTGRES=1):", startErr)
		return 1
	}
	code := m.Run()
	if server != nil {
		if err := server.Close(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

// Server returns the package's server, skipping the test when there is none.
func Server(t testing.TB) pgserver.Server {
	t.Helper()
	if server == nil {
		t.Skipf("no PostgreSQL server: %v", startErr)
	}
	return server
}

// NewDatabase creates a fresh, empty database for the test and returns its
// connection string. The database is dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	srv := Server(t)
	ctx := context.Background()
	name := pgserver.ScratchName("plangate_test")
	if err := pgserver.CreateDatabase(ctx, srv, name, ""); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := pgserver.DropDatabase(ctx, srv, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return srv.ConnString(name)
}

// ServerReachableDir returns a temporary directory, removed when the test
// ends, that a local cluster's server can use: under root the server runs as
// another user, who cannot reach t.TempDir().
func ServerReachableDir(t testing.TB) string {
	t.Helper()
	if dir := t.TempDir(); pgserver.ServerUserCanReach(dir, "") {
		return dir
	}
	dir, err := os.MkdirTemp("/tmp", "plangate-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
