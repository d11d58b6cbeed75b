package cli

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/pgtest"
)

// smallDisk mounts a tmpfs of size bytes for the test, skipping the test
// where that cannot be done (not root, no mount permission).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small disk needs root")
	}
	dir := pgtest.ServerReachableDir(t)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size)+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestSeed_DiskFull: a seed that fills the cache's disk fails with one line
// saying "disk full", the path and its free space, and keeps no entry.
func TestSeed_DiskFull(t *testing.T) {
	cache := smallDisk(t, 120<<20)
	t.Setenv("PLANGATE_CACHE_DIR", cache)
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	fill := filepath.Join(work, "fill.sql")
	// Rows under 2 kB are stored as they are, uncompressed: 300 MB.
	if err := os.WriteFile(fill, []byte("INSERT INTO accounts SELECT g, 1, 1, repeat('x', 1500) FROM generate_series(200001, 400000) g;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"seed", "--config", filepath.Join(work, "plangate.yaml"),
		"--seed", filepath.Join(work, "seed.sql"), "--seed", fill}, strings.NewReader(""), &stdout, &stderr)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != ExitError || len(lines) != 1 || !strings.Contains(lines[0], ": disk full: "+cache+"/") || !strings.Contains(lines[0], " free on its file system") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
	left, _ := filepath.Glob(filepath.Join(cache, "*"))
	for _, l := range left {
		if !strings.HasSuffix(l, ".lock") {
			t.Errorf("left on the full disk: %s", l)
		}
	}
}
