package atomicfile

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/plangate/plangate/internal/diskfull"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.md")
	if err := Write(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	info, _ := os.Stat(path)
	if string(got) != "two" || info.Mode().Perm() != 0o600 {
		t.Errorf("content %q, mode %v", got, info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
	if err := Write(filepath.Join(dir, "missing", "x"), []byte("x")); err == nil {
		t.Error("wrote into a missing directory")
	}
}

func TestWrite_SymlinkWritesItsTarget(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, link, target string // target relative to dir
	}{
		{"relative link", "baseline.json", "real/baseline.json"},
		{"absolute link", "abs.json", filepath.Join(real, "abs.json")},
		{"dangling link", "new.json", "real/new.json"},
		{"link to a link", "twice.json", "baseline.json"},
	}
	if err := os.WriteFile(filepath.Join(real, "baseline.json"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "abs.json"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			link := filepath.Join(dir, tt.link)
			if err := os.Symlink(tt.target, link); err != nil {
				t.Fatal(err)
			}
			if err := Write(link, []byte(tt.name)); err != nil {
				t.Fatal(err)
			}
			if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
				t.Fatalf("%s is no longer a symbolic link (%v)", link, err)
			}
			got, err := os.ReadFile(link)
			if err != nil || string(got) != tt.name {
				t.Errorf("through the link: %q (%v), want %q", got, err, tt.name)
			}
		})
	}
	if info, err := os.Stat(filepath.Join(real, "abs.json")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("the target's mode was not kept: %v %v", info.Mode(), err)
	}
	if err := os.Symlink("loop2", filepath.Join(dir, "loop1")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("loop1", filepath.Join(dir, "loop2")); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "loop1"), []byte("x")); err == nil {
		t.Error("wrote through a loop of links")
	}
}

// TestWrite_DiskFull: a file that does not fit says disk full and leaves
// the old file and no temporary file.
func TestWrite_DiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small disk needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	path := filepath.Join(dir, "report.json")
	if err := Write(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	err := Write(path, make([]byte, 1<<20))
	var full *diskfull.Error
	if !errors.As(err, &full) || full.Path != path {
		t.Fatalf("Write: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("the old file holds %q", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left: %v", entries)
	}
}
