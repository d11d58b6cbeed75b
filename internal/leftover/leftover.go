// Package leftover tells what a plangate run that was killed left behind
// (a build directory, a data copy, a socket directory, a role, a scratch
// database) from what a run still going is using. Everything plangate makes
// outside its own process carries a marker naming the process that made it;
// a marker whose process is gone, or that is older than a run can last, is
// a leftover that the next run may remove.
package leftover

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// prefix starts every marker.
const prefix = "plangate run:"

// File is the name of the marker file in a directory plangate made.
const File = "plangate.owner"

// Marker returns the marker of the current process: host, process id, the
// process's start time (which tells a reused process id apart) and the
// time now.
func Marker() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s host=%s pid=%d start=%s at=%s", prefix, host, os.Getpid(),
		processStart(os.Getpid()), time.Now().UTC().Format(time.RFC3339))
}

// IsMarker reports whether s is a marker (of any process).
func IsMarker(s string) bool { return strings.HasPrefix(s, prefix) }

// Stale reports whether marker names a run that is over: a process of this
// host that no longer runs, or a marker older than maxAge (for what another
// host made). Anything that is not a marker is never stale: it is not
// plangate's.
func Stale(marker string, maxAge time.Duration, now time.Time) bool {
	rest, ok := strings.CutPrefix(marker, prefix)
	if !ok {
		return false
	}
	f := map[string]string{}
	for _, kv := range strings.Fields(rest) {
		if k, v, ok := strings.Cut(kv, "="); ok {
			f[k] = v
		}
	}
	at, err := time.Parse(time.RFC3339, f["at"])
	if err != nil {
		return false
	}
	if maxAge > 0 && now.Sub(at) > maxAge {
		return true
	}
	host, _ := os.Hostname()
	pid, err := strconv.Atoi(f["pid"])
	if err != nil || host == "" || f["host"] != host {
		return false
	}
	return !running(pid, f["start"])
}

// Mark writes the current process's marker into dir.
func Mark(dir string) error {
	return os.WriteFile(filepath.Join(dir, File), []byte(Marker()+"\n"), 0o644)
}

// StaleDir reports whether dir holds a marker (see Mark) that is stale. A
// directory without a marker is not plangate's to remove.
func StaleDir(dir string, maxAge time.Duration) bool {
	b, err := os.ReadFile(filepath.Join(dir, File))
	if err != nil {
		return false
	}
	return Stale(strings.TrimSpace(string(b)), maxAge, time.Now())
}

// Sweep removes the entries of dir whose names match pattern (a
// filepath.Match pattern) and that hold a stale marker, unless a server
// still runs on them (a postmaster.pid naming a live process). It returns
// what it removed; what it cannot remove it leaves.
func Sweep(dir, pattern string, maxAge time.Duration) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, pattern))
	var removed []string
	for _, m := range matches {
		if !StaleDir(m, maxAge) || serverOutlives(m) {
			continue
		}
		if Remove(m) == nil {
			removed = append(removed, m)
		}
	}
	return removed
}

// Remove removes dir and everything in it, its marker last: a removal cut
// short (the run is killed) leaves a directory that is still marked, which
// the next Sweep finishes.
func Remove(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return os.RemoveAll(dir)
	}
	for _, e := range entries {
		if e.Name() == File {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return os.RemoveAll(dir)
}

// serverOutlives reports whether a server still runs in dir, the run that
// made dir being gone, a few seconds on: a killed run's server is stopped
// by the kernel (Pdeathsig) as the run dies, but its exit, and its
// backends', may take a moment.
func serverOutlives(dir string) bool {
	for deadline := time.Now().Add(3 * time.Second); serverRuns(dir); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			return true
		}
	}
	return false
}

// serverRuns reports whether a postmaster.pid in dir, or in its data
// subdirectory, names a process that runs.
func serverRuns(dir string) bool {
	for _, p := range []string{filepath.Join(dir, "postmaster.pid"), filepath.Join(dir, "data", "postmaster.pid")} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if pid, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && running(pid, "") {
			return true
		}
	}
	return false
}

// running reports whether process pid runs and, when start is known, is
// the process that started then (not a later one given the same id).
func running(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if processState(pid) == "Z" { // dead, not yet reaped by its new parent
		return false
	}
	if start == "" || start == "?" {
		return true
	}
	now := processStart(pid)
	return now == "?" || now == start
}

// processState returns the state of process pid (/proc/PID/stat, field
// 3: "R", "S", "Z" ...), or "?" where there is no /proc.
func processState(pid int) string {
	if f := statFields(pid); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// statFields returns the fields of /proc/PID/stat after the command name
// (field 3 onwards), or nil.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	// The command name (field 2) may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// processStart returns the start time of process pid in clock ticks since
// boot (/proc/PID/stat, field 22), or "?" where there is no /proc.
func processStart(pid int) string {
	fields := statFields(pid)
	if len(fields) < 20 {
		return "?"
	}
	return fields[19]
}
