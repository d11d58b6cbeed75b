package pgserver

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// StateShutDown is the cluster state of a cluster that was shut down
// cleanly, as pg_controldata words it.
const StateShutDown = "shut down"

// dbStates are the values of pg_control's state field (DBState), in the
// words pg_controldata prints them.
var dbStates = []string{"starting up", StateShutDown, "shut down in recovery", "shutting down",
	"in crash recovery", "in archive recovery", "in production"}

// ClusterState returns the "Database cluster state" of the cluster in
// dataDir, as pg_controldata (from bin, when it is there) reports it:
// "shut down" after a clean shutdown, "in production" for a running server
// or one that died.
func ClusterState(ctx context.Context, bin Binaries, dataDir string) (string, error) {
	prog, ok := bin.program("pg_controldata")
	if !ok {
		return ControlFileState(dataDir)
	}
	cmd := exec.CommandContext(ctx, prog, "-D", dataDir)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("local cluster: pg_controldata %s: %v: %s", dataDir, err, lastLine(out))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "Database cluster state:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", fmt.Errorf("local cluster: pg_controldata %s: no cluster state in its output", dataDir)
}

// ControlFileState reads the cluster state from dataDir's global/pg_control
// itself, for where pg_controldata is not at hand. The state is the third
// field of ControlFileData (after the 8-byte system identifier and two
// 4-byte version numbers), where it has been since PostgreSQL 8.
func ControlFileState(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "global", "pg_control")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("cluster state: %w", err)
	}
	if len(b) < 20 {
		return "", fmt.Errorf("cluster state: %s is truncated (%d bytes)", path, len(b))
	}
	state := binary.NativeEndian.Uint32(b[16:20])
	if int(state) >= len(dbStates) {
		return "", fmt.Errorf("cluster state: %s holds unknown state %d", path, state)
	}
	return dbStates[state], nil
}

// program returns the path of the PostgreSQL program name: in b.Dir, else
// beside the file b.Dir's postgres links to (a directory of links to some
// of the programs, as /usr/local/bin can be).
func (b Binaries) program(name string) (string, bool) {
	dirs := []string{b.Dir}
	if real, err := filepath.EvalSymlinks(filepath.Join(b.Dir, "postgres")); err == nil {
		dirs = append(dirs, filepath.Dir(real))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, true
		}
	}
	return "", false
}
