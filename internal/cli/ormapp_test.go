package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
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
	// The server writes its log there, as its own user.
	logDir := pgtest.ServerReachableDir(t)
	if err := os.Chmod(logDir, 0o777); err != nil {
		t.Fatal(err)
	}
	srv, err := pgserver.StartLocal(ctx, pgserver.WithSettings(pgserver.Settings{
		"logging_collector":          "on",
		"log_destination":            "csvlog",
		"log_directory":              logDir,
		"log_filename":               "server.log",
		"log_min_duration_statement": "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	if err := pgserver.CreateDatabase(ctx, srv, "app", ""); err != nil {
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
	if _, ok := viaProxy["articles_count"]; !ok {
		t.Errorf("no articles_count query among %v", viaProxy)
	}
}

// identities loads a capture or log as plangate check would and returns
// each query's fingerprint by name.
func identities(t *testing.T, path string) map[string]string {
	t.Helper()
	cfg := config.Defaults()
	cfg.Queries = []string{path}
	queries, err := loadQueries(cfg)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]string{}
	for _, q := range queries {
		out[q.name] = q.id.Fingerprint
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
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	config := filepath.Join("..", "..", "examples", "orm-app", "plangate.yaml")
	tests := []struct {
		capture string
		code    int
		want    string
	}{
		{"v1.jsonl", ExitPass, `"verdict": "pass"`},
		{"v2.jsonl", ExitRegressed, `"metric": "temp_written_bytes"`},
		{"v3.jsonl", ExitRegressed, `"metric": "query_count"`},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"check", "--config", config, "--backend", "local", "--format", "json",
				"--queries", filepath.Join("..", "..", "examples", "orm-app", "captures", tt.capture)}, strings.NewReader(""), &stdout, &stderr)
			if code != tt.code || !strings.Contains(stdout.String(), tt.want) {
				t.Errorf("exit %d (want %d), report lacks %s:\n%s\n%s", code, tt.code, tt.want, stdout.String(), stderr.String())
			}
		})
	}
}
