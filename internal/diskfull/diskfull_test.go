package diskfull

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestWrap(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		err  error
		full bool
	}{
		{"ENOSPC", &fs.PathError{Op: "write", Path: dir + "/f", Err: syscall.ENOSPC}, true},
		{"EDQUOT, wrapped", fmt.Errorf("copy: %w", syscall.EDQUOT), true},
		{"other", &fs.PathError{Op: "open", Path: dir, Err: syscall.EACCES}, false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Wrap(tt.err, dir)
			var full *Error
			if errors.As(err, &full) != tt.full {
				t.Fatalf("Wrap(%v) = %v", tt.err, err)
			}
			if tt.full && (!strings.HasPrefix(err.Error(), "disk full: "+dir+" (") || full.Free < 0 || !errors.Is(err, tt.err)) {
				t.Errorf("message %q, free %d", err, full.Free)
			}
		})
	}
}

func TestFromLog(t *testing.T) {
	log := []byte("2026-01-01 PANIC:  could not write to file \"pg_wal/xlogtemp.1\": No space left on device\n")
	if err := FromLog(log, "/data"); err == nil || !strings.Contains(err.Error(), "disk full: /data") {
		t.Errorf("FromLog = %v", err)
	}
	short := []byte("ERROR:  could not extend file \"base/16384/16390\": wrote only 4096 of 8192 bytes at block 22\nHINT:  Check free disk space.\n")
	if err := FromLog(short, "/data"); err == nil {
		t.Error("FromLog missed a short write")
	}
	if err := FromLog([]byte("LOG: database system is shut down"), "/data"); err != nil {
		t.Errorf("FromLog of a clean log = %v", err)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
