// Package diskfull turns a full disk, wherever plangate meets one (a cache
// entry, a data copy, a server's WAL, a report), into an error that says so
// and names the place and its free space, instead of the "unexpected EOF" or
// bare errno the failure first shows as.
package diskfull

import (
	"bytes"
	"errors"
	"fmt"
	"syscall"
)

// Error is a write that failed because the file system holding Path is
// full (or the user's quota is).
type Error struct {
	// Path is where plangate was writing.
	Path string
	// Free is the space left for an unprivileged user on Path's file
	// system, in bytes; -1 when unknown.
	Free int64
	// Err is the failure as it was met.
	Err error
}

func (e *Error) Error() string {
	free := "free space unknown"
	if e.Free >= 0 {
		free = formatBytes(e.Free) + " free"
	}
	return fmt.Sprintf("disk full: %s (%s on its file system): free some space, or point plangate at another directory (TMPDIR, cache.dir)", e.Path, free)
}

func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err as an *Error for path when it is a full disk or quota
// (ENOSPC, EDQUOT), and err itself otherwise.
func Wrap(err error, path string) error {
	var already *Error
	if err == nil || errors.As(err, &already) {
		return err
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return &Error{Path: path, Free: Free(path), Err: err}
	}
	return err
}

// serverMessages are how PostgreSQL (and initdb) report a full disk: the
// errno's text, and the hint it adds to a short write, which has no errno
// ("could not extend file ...: wrote only 4096 of 8192 bytes").
var serverMessages = [][]byte{
	[]byte("No space left on device"),
	[]byte("Disk quota exceeded"),
	[]byte("Check free disk space"),
}

// FromLog returns an *Error for path when a PostgreSQL server log (or a
// program's output) says a write failed for want of space, and nil
// otherwise.
func FromLog(log []byte, path string) error {
	for _, m := range serverMessages {
		if bytes.Contains(log, m) {
			return &Error{Path: path, Free: Free(path), Err: syscall.ENOSPC}
		}
	}
	return nil
}

// Free returns the bytes available to an unprivileged user on path's file
// system, or -1 when it cannot be had.
func Free(path string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
