package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
)

// debianPython is the interpreter the Python example applications run on:
// Debian's, where python3-django, python3-sqlalchemy and their kin install.
const debianPython = "/usr/bin/python3"

// requirePython skips the test when debianPython cannot import modules, naming
// the Debian packages that provide them; where CI must run the examples
// (PLANGATE_REQUIRE_POSTGRES set), it fails instead.
func requirePython(t *testing.T, what string, modules []string, packages ...string) {
	t.Helper()
	out, err := exec.Command(debianPython, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("%s cannot run %s (apt-get install %s): %v\n%s", debianPython, what, strings.Join(packages, " "), err, out)
	if os.Getenv("PLANGATE_REQUIRE_POSTGRES") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// loggingServer starts a local server that logs every statement to
// server.log (or server.csv for csvlog) in a directory of its own, with
// settings laid over that, and returns it and the directory. The server is
// closed when the test ends.
func loggingServer(t *testing.T, settings pgserver.Settings) (pgserver.Server, string) {
	t.Helper()
	// The server writes its log there, as its own user.
	logDir := pgtest.ServerReachableDir(t)
	if err := os.Chmod(logDir, 0o777); err != nil {
		t.Fatal(err)
	}
	all := pgserver.Settings{
		"logging_collector":          "on",
		"log_destination":            "csvlog",
		"log_directory":              logDir,
		"log_filename":               "server.log",
		"log_min_duration_statement": "0",
	}
	for k, v := range settings {
		all[k] = v
	}
	ctx := context.Background()
	srv, err := pgserver.StartLocal(ctx, pgserver.WithSettings(all))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv, logDir
}

// fileSize is the size of the file at path, 0 when there is none yet.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// waitForLog copies what the server logged after offset to dst once the
// logging collector has written a line matching last.
func waitForLog(t *testing.T, serverLog string, offset int64, dst string, last *regexp.Regexp) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		data, err := os.ReadFile(serverLog)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if int64(len(data)) > offset && last.Match(data[offset:]) {
			if err := os.WriteFile(dst, data[offset:], 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: nothing matching %s logged after byte %d", serverLog, last, offset)
		}
	}
}

// releaseCheck is what check must say of one captured release of an
// example against its committed baseline.
type releaseCheck struct {
	capture string // under the example's captures/
	code    int
	want    string // in the JSON report
}

// checkReleases runs check on each capture of the example in dir.
func checkReleases(t *testing.T, dir string, checks []releaseCheck) {
	t.Helper()
	t.Setenv("PLANGATE_CACHE_DIR", pgtest.ServerReachableDir(t))
	for _, c := range checks {
		t.Run(c.capture, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"check", "--config", filepath.Join(dir, "plangate.yaml"),
				"--backend", "local", "--format", "json", "--queries", filepath.Join(dir, "captures", c.capture)},
				strings.NewReader(""), &stdout, &stderr)
			if code != c.code || !strings.Contains(stdout.String(), c.want) {
				t.Errorf("exit %d (want %d), report lacks %s:\n%s\n%s", code, c.code, c.want, stdout.String(), stderr.String())
			}
		})
	}
}

// releaseChecks expects release 1 and 3 to pass, release 2 to fail on
// total_cost and release 4 on query_count, for each capture of a release
// named by name(release, ext).
func releaseChecks(name func(release int, ext string) string, exts ...string) []releaseCheck {
	var out []releaseCheck
	for _, r := range []struct {
		release, code int
		want          string
	}{
		{1, ExitPass, `"verdict": "pass"`},
		{2, ExitRegressed, `"metric": "total_cost"`},
		{3, ExitPass, `"verdict": "pass"`},
		{4, ExitRegressed, `"metric": "query_count"`},
	} {
		for _, ext := range exts {
			out = append(out, releaseCheck{name(r.release, ext), r.code, r.want})
		}
	}
	return out
}
