package seed

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plangate/plangate/internal/diskfull"
	"github.com/plangate/plangate/internal/leftover"
	"github.com/plangate/plangate/internal/pgtest"
)

// TestCache_CorruptEntryIsRebuilt: an entry that does not match its
// manifest, or whose cluster was not shut down cleanly, is rebuilt, and
// the cache says so.
func TestCache_CorruptEntryIsRebuilt(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		corrupt func(entry string) error
		reason  string
	}{
		{"file removed", func(e string) error { return os.Remove(filepath.Join(e, "data", "base", "1")) }, "base/1 is missing"},
		{"file truncated", func(e string) error { return os.Truncate(filepath.Join(e, "data", "base", "1"), 1) }, "base/1 has 1 bytes, the manifest says 6"},
		{"file added", func(e string) error { return os.WriteFile(filepath.Join(e, "data", "base", "2"), nil, 0o600) }, "base/2 is not in the manifest"},
		{"no manifest", func(e string) error { return os.Remove(filepath.Join(e, manifestName)) }, "no manifest"},
		{"crashed cluster", func(e string) error {
			path := filepath.Join(e, "data", "global", "pg_control")
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			binary.NativeEndian.PutUint32(b[16:], 6)
			return os.WriteFile(path, b, 0o600)
		}, "its cluster was not shut down cleanly (database cluster state: in production)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var warn bytes.Buffer
			c, err := NewCache(t.TempDir(), WithCopyDir(t.TempDir()), WithCacheWarnings(&warn))
			if err != nil {
				t.Fatal(err)
			}
			const key = "0123456789abcdef"
			builds := 0
			build := func(dir string) error { builds++; return fakeCluster("seeded")(dir) }
			if _, _, err := c.DataDir(ctx, key, build); err != nil {
				t.Fatal(err)
			}
			if err := tt.corrupt(filepath.Join(c.Dir(), key)); err != nil {
				t.Fatal(err)
			}
			dir, hit, err := c.DataDir(ctx, key, build)
			if err != nil {
				t.Fatal(err)
			}
			if hit || builds != 2 {
				t.Errorf("hit = %v after %d builds: the corrupt entry was used", hit, builds)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "base", "1")); string(got) != "seeded" {
				t.Errorf("the copy holds %q", got)
			}
			if want := "the entry for key " + key + " is corrupt (" + tt.reason; !strings.Contains(warn.String(), want) {
				t.Errorf("warnings %q lack %q", warn.String(), want)
			}
			if _, hit, err := c.DataDir(ctx, key, build); err != nil || !hit {
				t.Errorf("the rebuilt entry is no hit: %v %v", hit, err)
			}
		})
	}
}

// TestCache_Discard: an entry found corrupt by its user is built again.
func TestCache_Discard(t *testing.T) {
	ctx := context.Background()
	c, err := NewCache(t.TempDir(), WithCopyDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	const key = "0123456789abcdef"
	builds := 0
	build := func(dir string) error { builds++; return fakeCluster("seeded")(dir) }
	for range 2 {
		if _, _, err := c.DataDir(ctx, key, build); err != nil {
			t.Fatal(err)
		}
		if err := c.Discard(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if builds != 2 {
		t.Errorf("%d builds, want 2", builds)
	}
	if left, _ := filepath.Glob(filepath.Join(c.Dir(), ".build-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestCache_SweepsKilledRuns: what a killed run left in the cache (a build
// directory and the lock file of a key with no entry) and in the copy
// directory (a copy marked by a process that is gone) is removed by the
// next run; a live run's copy, a key another run holds and lock files of
// entries stay.
func TestCache_SweepsKilledRuns(t *testing.T) {
	ctx := context.Background()
	copies := t.TempDir()
	c, err := NewCache(t.TempDir(), WithCopyDir(copies))
	if err != nil {
		t.Fatal(err)
	}
	const kept, killed, held, other = "aaaaaaaa", "bbbbbbbb", "cccccccc", "dddddddd"
	if _, _, err := c.DataDir(ctx, kept, fakeCluster("kept")); err != nil {
		t.Fatal(err)
	}
	unlock, err := c.lock(ctx, held)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	mkdir := func(path, marker string) string {
		t.Helper()
		if err := os.MkdirAll(path, 0o700); err != nil {
			t.Fatal(err)
		}
		if marker != "" {
			if err := os.WriteFile(filepath.Join(path, leftover.File), []byte(marker), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return path
	}
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	deadMarker := fmt.Sprintf("plangate run: host=%s pid=%d start=1 at=%s", host, dead.Process.Pid, time.Now().UTC().Format(time.RFC3339))
	killedBuild := mkdir(filepath.Join(c.Dir(), ".build-"+killed+"-123"), "")
	if err := os.WriteFile(c.lockPath(killed), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	heldBuild := mkdir(filepath.Join(c.Dir(), ".build-"+held+"-456"), "")
	killedCopy := mkdir(filepath.Join(copies, "plangate-data-killed"), deadMarker)
	liveCopy := mkdir(filepath.Join(copies, "plangate-data-live"), leftover.Marker())

	if _, _, err := c.DataDir(ctx, other, fakeCluster("other")); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{
		killedBuild: false, c.lockPath(killed): false, killedCopy: false,
		heldBuild: true, liveCopy: true, c.lockPath(kept): true, c.EntryPath(kept): true,
	} {
		_, err := os.Stat(path)
		if got := err == nil; got != want {
			t.Errorf("%s: there = %v, want %v", path, got, want)
		}
	}
}

// TestCache_CopyOnAFullDisk: a copy that does not fit says disk full, with
// the path and its free space, and leaves nothing behind.
func TestCache_CopyOnAFullDisk(t *testing.T) {
	ctx := context.Background()
	small := smallDisk(t, 1<<20)
	c, err := NewCache(t.TempDir(), WithCopyDir(small))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 4<<20)
	_, _, err = c.DataDir(ctx, "0123456789abcdef", fakeCluster(big))
	var full *diskfull.Error
	if !errors.As(err, &full) || !strings.Contains(err.Error(), "disk full: "+small) {
		t.Errorf("DataDir: %v", err)
	}
	if left, _ := os.ReadDir(small); len(left) > 0 {
		t.Errorf("left on the full disk: %v", left)
	}
}

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
