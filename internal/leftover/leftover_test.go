package leftover

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestStale(t *testing.T) {
	now := time.Now()
	host, _ := os.Hostname()
	at := now.UTC().Format(time.RFC3339)
	old := now.Add(-2 * time.Hour).UTC().Format(time.RFC3339)
	dead := strconv.Itoa(deadPID(t))
	tests := []struct {
		name, marker string
		stale        bool
	}{
		{"this process", Marker(), false},
		{"a process that is gone", prefix + " host=" + host + " pid=" + dead + " start=1 at=" + at, true},
		{"a reused process id", prefix + " host=" + host + " pid=" + strconv.Itoa(os.Getpid()) + " start=1 at=" + at, true},
		{"another host, recent", prefix + " host=elsewhere pid=1 start=1 at=" + at, false},
		{"another host, old", prefix + " host=elsewhere pid=1 start=1 at=" + old, true},
		{"not a marker", "someone else's", false},
		{"no time", prefix + " host=" + host + " pid=" + dead, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Stale(tt.marker, time.Hour, now); got != tt.stale {
				t.Errorf("Stale(%q) = %v, want %v", tt.marker, got, tt.stale)
			}
		})
	}
}

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	host, _ := os.Hostname()
	deadMarker := prefix + " host=" + host + " pid=" + strconv.Itoa(deadPID(t)) + " start=1 at=" + time.Now().UTC().Format(time.RFC3339)
	mk := func(name, marker string, pidFile int) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Join(p, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if marker != "" {
			if err := os.WriteFile(filepath.Join(p, File), []byte(marker), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if pidFile != 0 {
			if err := os.WriteFile(filepath.Join(p, "data", "postmaster.pid"), []byte(strconv.Itoa(pidFile)+"\n/data\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	killed := mk("plangate-pg-killed", deadMarker, 0)
	live := mk("plangate-pg-live", Marker(), 0)
	unmarked := mk("plangate-pg-unmarked", "", 0)
	serving := mk("plangate-pg-serving", deadMarker, os.Getpid())
	other := mk("other-killed", deadMarker, 0)

	removed := Sweep(dir, "plangate-pg-*", time.Hour)
	if strings.Join(removed, ",") != killed {
		t.Errorf("removed %v, want only %s", removed, killed)
	}
	for _, kept := range []string{live, unmarked, serving, other} {
		if _, err := os.Stat(kept); err != nil {
			t.Errorf("%s removed", kept)
		}
	}
}

func TestRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plangate-pg-1")
	if err := os.MkdirAll(filepath.Join(dir, "data", "base"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := Mark(dir); err != nil {
		t.Fatal(err)
	}
	if err := Remove(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s is still there (%v)", dir, err)
	}
	if err := Remove(dir); err != nil {
		t.Errorf("removing what is gone: %v", err)
	}
}
