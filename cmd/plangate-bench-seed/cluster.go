package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
)

// cluster is a server on a data directory this command chose: what the
// seeded-state cache needs from the local backend, which starts its
// clusters in directories of its own.
type cluster struct {
	dsn     string
	cmd     *exec.Cmd
	sockets string
}

// startCluster starts postgres on dataDir, running initdb first when
// asked, with the local backend's pinned settings plus extra.
func startCluster(ctx context.Context, bin pgserver.Binaries, dataDir string, initdb bool, extra pgserver.Settings) (*cluster, error) {
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root without a postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dataDir, uid, gid); err != nil {
			return nil, err
		}
	}
	command := func(name string, args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, filepath.Join(bin.Dir, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		cmd.Dir = "/"
		return cmd
	}
	if initdb {
		out, err := command("initdb", "-D", dataDir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
	}
	sockets, err := os.MkdirTemp("", "plangate-bench-sock-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(sockets, 0o777); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	settings := pgserver.Settings{"fsync": "off", "synchronous_commit": "off", "autovacuum": "off", "jit": "off",
		"max_parallel_workers_per_gather": "0", "log_min_messages": "warning", "listen_addresses": ""}
	for k, v := range extra {
		settings[k] = v
	}
	args := []string{"-D", dataDir, "-p", strconv.Itoa(port), "-k", sockets}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}
	cmd := exec.Command(filepath.Join(bin.Dir, "postgres"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Dir = "/"
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	q := url.Values{"host": {sockets}, "port": {strconv.Itoa(port)}, "user": {"postgres"}, "sslmode": {"disable"}}
	c := &cluster{dsn: "postgres:///postgres?" + q.Encode(), cmd: cmd, sockets: sockets}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		conn, err := pgx.Connect(ctx, c.dsn)
		if err == nil {
			conn.Close(ctx)
			return c, nil
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("postgres not ready: %v: %s", err, logs.String())
		}
	}
}

// stop shuts the server down the fast way, which ends with a checkpoint,
// leaving a data directory fit to keep.
func (c *cluster) stop() {
	if c.cmd == nil {
		return
	}
	c.cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	c.cmd = nil
	os.RemoveAll(c.sockets)
}
