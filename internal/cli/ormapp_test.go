package cli

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/run"
)

// TestORMApp_ProxyAndLogAgree runs the example ORM application's own test
// suite against a real server, through plangate's recording proxy, while the
// server logs every statement; the two captures must name and fingerprint the
// same queries.
func TestORMApp_ProxyAndLogAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the example application")
	}
	ctx := context.Background()
	srv, logDir := loggingServer(t, nil)
	// Made directly: pgserver.CreateDatabase's own statements (the sweep of
	// killed runs' databases) would be in the server's log too.
	admin, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.Exec(ctx, "CREATE DATABASE app")
	admin.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	bin := filepath.Join(t.TempDir(), "ormapp.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./examples/orm-app")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the example: %v\n%s", err, out)
	}

	captured := filepath.Join(t.TempDir(), "app.jsonl")
	t.Chdir(filepath.Join("..", "..", "examples", "orm-app")) // the tests read schema.sql from there
	var stdout, stderr bytes.Buffer
	code := Main(ctx, []string{"capture", "--upstream", srv.ConnString("app"), "--out", captured,
		"--", bin, "-test.count=1", "-test.v"}, strings.NewReader(""), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("the example's tests failed through the proxy (exit %d):\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String(), "SKIP") || !strings.Contains(stdout.String(), "PASS") {
		t.Fatalf("the example's tests did not run:\n%s", stdout.String())
	}

	logFile := filepath.Join(logDir, "server.csv")
	var viaLog, viaProxy map[string]string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		viaProxy = identities(t, captured)
		if viaLog = identities(t, logFile); cmp.Equal(viaLog, viaProxy) {
			break
		}
	}
	if len(viaProxy) < 3 {
		t.Fatalf("only %d queries captured: %v", len(viaProxy), viaProxy)
	}
	if diff := cmp.Diff(viaProxy, viaLog); diff != "" {
		t.Errorf("query names and fingerprints differ between the proxy's capture and the server log (-proxy +log):\n%s", diff)
	}
	// The application names none of its SQL: its structure does.
	if _, ok := viaProxy["articles count where status"]; !ok {
		t.Errorf("no paginator's count among %v", viaProxy)
	}
}

// identities loads a capture or log as plangate check would and returns
// each query's fingerprint by name.
func identities(t *testing.T, path string) map[string]string {
	t.Helper()
	cfg := config.Defaults()
	cfg.Queries = []string{path}
	queries, err := run.LoadQueries(cfg)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for _, q := range queries {
		out[q.Name] = q.ID.Fingerprint
	}
	return out
}

// TestORMApp_CapturesCatchRegressions checks the example's captured
// releases against the baseline recorded from release 1: release 2 adds an
// aggregation to the paginated list, release 3 an N+1.
func TestORMApp_CapturesCatchRegressions(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the example's data")
	}
	checkReleases(t, filepath.Join("..", "..", "examples", "orm-app"), []releaseCheck{
		{"v1.jsonl", ExitPass, `"verdict": "pass"`},
		{"v2.jsonl", ExitRegressed, `"metric": "temp_written_bytes"`},
		{"v3.jsonl", ExitRegressed, `"metric": "query_count"`},
	})
}
