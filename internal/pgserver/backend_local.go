package pgserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/diskfull"
	"github.com/plangate/plangate/internal/leftover"
)

// LocalOption configures StartLocal.
type LocalOption func(*localConfig)

type localConfig struct {
	binDir   string
	port     int
	settings Settings
	tempDir  string
	runAs    string
	ready    time.Duration
	dataDir  string
	tcp      bool
}

// WithBinDir uses the PostgreSQL programs in dir instead of searching for them.
func WithBinDir(dir string) LocalOption { return func(c *localConfig) { c.binDir = dir } }

// WithDataDir runs the cluster on dir instead of a temporary data
// directory: a dir that holds a cluster (PG_VERSION) is started as it is, an
// empty or missing one is initialized first. Close stops the server but
// never removes dir; the socket and log stay in the temporary directory.
func WithDataDir(dir string) LocalOption { return func(c *localConfig) { c.dataDir = dir } }

// WithPort numbers the cluster's unix socket (.s.PGSQL.<port>), and its
// TCP port under WithTCP, instead of a free port's number.
func WithPort(port int) LocalOption { return func(c *localConfig) { c.port = port } }

// WithTCP makes the cluster listen on 127.0.0.1 too, trusting every
// connection there: any local user may then connect as its superuser. It is
// for tests of clients that need TCP (TLS); plangate's own clusters listen
// only on a unix socket in a directory no other user can enter.
func WithTCP() LocalOption { return func(c *localConfig) { c.tcp = true } }

// WithSettings applies server settings (work_mem, shared_buffers, ...) at start.
func WithSettings(s Settings) LocalOption { return func(c *localConfig) { c.settings = s } }

// WithTempDir makes the cluster's temporary directory under dir.
func WithTempDir(dir string) LocalOption { return func(c *localConfig) { c.tempDir = dir } }

// WithRunAs names the unprivileged user that runs the server when plangate
// runs as root (initdb refuses root). The default is "postgres", else "nobody".
func WithRunAs(name string) LocalOption { return func(c *localConfig) { c.runAs = name } }

// PortInUseError is returned when the requested port is taken.
type PortInUseError struct{ Port int }

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d is in use: pick another with postgres.port in plangate.yaml, or leave it unset to take a free one", e.Port)
}

// local is a throwaway cluster: initdb in a temporary directory, a postgres
// child process, everything removed on Close. It listens on a unix socket
// in that directory (mode 0700, the server's user's) and on no TCP port, so
// only the server's own user (and root) can connect; trust authentication
// then gives no one more than the data directory's permissions already do.
type local struct {
	bin  Binaries
	dir  string // the temporary directory holding data, socket and log
	port int
	tcp  bool // listening on 127.0.0.1 too (WithTCP)
	data string
	// keepData is set when the data directory outlives the server
	// (WithDataDir): Close then checks that it was shut down cleanly.
	keepData bool
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
}

// settingsPinned are applied to every throwaway cluster: they make plans and
// measurements repeatable and a throwaway cluster fast. full_page_writes stays
// on so that WAL volume is what a production server would write, and
// synchronous_commit too: after an asynchronous commit VACUUM cannot mark
// pages all-visible until the WAL is flushed, which turns index-only scans
// into bitmap scans at random.
var settingsPinned = Settings{
	"autovacuum":                      "off",
	"jit":                             "off",
	"fsync":                           "off",
	"max_parallel_workers_per_gather": "0",
	"log_min_messages":                "warning",
}

// StartLocal initializes and starts a throwaway cluster from the PostgreSQL
// binaries found on this machine.
func StartLocal(ctx context.Context, opts ...LocalOption) (_ Server, err error) {
	cfg := localConfig{ready: 60 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := FindBinaries(ctx, cfg.binDir)
	if err != nil {
		return nil, err
	}
	l := &local{bin: bin, exited: make(chan struct{}), tcp: cfg.tcp}
	if l.port, err = pickPort(cfg.port, cfg.tcp); err != nil {
		return nil, err
	}
	cred, err := unprivileged(cfg.runAs)
	if err != nil {
		return nil, err
	}
	base := cfg.tempDir
	if base == "" {
		base = os.TempDir()
	}
	if cred != nil && !traversable(base, cred) {
		// The server's user must reach its data directory: a private
		// TMPDIR of root's (as test runners set) will not do.
		base = "/tmp"
	}
	// What runs that were killed left here (their servers died with
	// them) goes first.
	leftover.Sweep(base, "plangate-pg-*", 0)
	if l.dir, err = os.MkdirTemp(base, "plangate-pg-"); err != nil {
		return nil, fmt.Errorf("local cluster: %w", diskfull.Wrap(err, base))
	}
	defer func() {
		if err != nil {
			l.Close(context.Background())
		}
	}()
	if err := leftover.Mark(l.dir); err != nil {
		return nil, fmt.Errorf("local cluster: %w", diskfull.Wrap(err, l.dir))
	}
	if cred != nil {
		if err := os.Chown(l.dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("local cluster: %w", err)
		}
	}
	data := filepath.Join(l.dir, "data")
	if cfg.dataDir != "" {
		data, l.keepData = cfg.dataDir, true
	}
	l.data = data
	if err := l.initData(ctx, data, cred); err != nil {
		return nil, err
	}

	listen := ""
	if cfg.tcp {
		listen = "127.0.0.1"
	}
	args := []string{"-D", data, "-p", strconv.Itoa(l.port), "-k", l.dir,
		"-c", "listen_addresses=" + listen, "-c", "unix_socket_permissions=0700"}
	merged := Settings{}
	for k, v := range settingsPinned {
		merged[k] = v
	}
	for k, v := range cfg.settings {
		merged[k] = v
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+merged[k])
	}
	logPath := filepath.Join(l.dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("local cluster: %w", err)
	}
	defer logFile.Close()
	// The server is not tied to ctx: Close stops it in order, even after a
	// Ctrl-C, and Pdeathsig stops it should plangate itself be killed.
	l.cmd = exec.Command(filepath.Join(bin.Dir, "postgres"), args...)
	l.cmd.Stdout, l.cmd.Stderr = logFile, logFile
	l.cmd.Dir = l.dir
	l.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("local cluster: start postgres: %w", err)
	}
	go func() {
		l.waitErr = l.cmd.Wait()
		close(l.exited)
	}()
	if err := l.waitReady(ctx, cfg.ready, logPath); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *local) waitReady(ctx context.Context, limit time.Duration, logPath string) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-l.exited:
			out, _ := os.ReadFile(logPath)
			if full := diskfull.FromLog(out, l.data); full != nil {
				return fmt.Errorf("local cluster: postgres exited at start: %w", full)
			}
			return fmt.Errorf("local cluster: postgres exited at start: %s", fatalLine(out))
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		conn, err := pgx.Connect(cctx, l.ConnString(""))
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("local cluster: postgres not ready after %s: %v", limit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *local) ConnString(database string) string {
	if database == "" {
		database = "postgres"
	}
	q := url.Values{"host": {l.dir}, "port": {strconv.Itoa(l.port)}, "user": {"postgres"}, "sslmode": {"disable"}}
	return "postgres:///" + url.PathEscape(database) + "?" + q.Encode()
}

func (l *local) Describe() string {
	if l.tcp {
		return fmt.Sprintf("local cluster (PostgreSQL %s) on port %d", l.bin.Version, l.port)
	}
	return fmt.Sprintf("local cluster (PostgreSQL %s) on a private unix socket", l.bin.Version)
}

// Close stops the server with a fast shutdown (SIGINT), escalating to
// SIGKILL, and removes the temporary directory. It returns a
// *diskfull.Error when the server's log says a write failed for want of
// space (which is why a seed fails with a lost connection), and, for a data
// directory that outlives the server (WithDataDir), an error unless the
// cluster was shut down cleanly: a shutdown checkpoint that failed leaves a
// cluster that only crash recovery can start.
func (l *local) Close(ctx context.Context) error {
	var err error
	if l.cmd != nil && l.cmd.Process != nil {
		_ = l.cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-l.exited:
		case <-time.After(15 * time.Second):
			_ = l.cmd.Process.Kill()
			<-l.exited
		}
		log, _ := os.ReadFile(filepath.Join(l.dir, "postgres.log"))
		if err = diskfull.FromLog(log, l.data); err == nil && l.keepData {
			err = l.checkShutDown(ctx, log)
		}
	}
	if l.dir != "" {
		if rerr := leftover.Remove(l.dir); rerr != nil && err == nil {
			err = fmt.Errorf("local cluster: remove %s: %w", l.dir, rerr)
		}
	}
	return err
}

// checkShutDown asks pg_controldata whether the cluster in the data
// directory was shut down cleanly.
func (l *local) checkShutDown(ctx context.Context, log []byte) error {
	state, err := ClusterState(ctx, l.bin, l.data)
	if err != nil {
		return err
	}
	if state != StateShutDown {
		return fmt.Errorf("local cluster: %s was not shut down cleanly (database cluster state: %s): %s", l.data, state, fatalLine(log))
	}
	return nil
}

// initData makes data hold a cluster of the binaries' major version,
// running initdb when it holds none.
func (l *local) initData(ctx context.Context, data string, cred *syscall.Credential) error {
	if version, err := os.ReadFile(filepath.Join(data, "PG_VERSION")); err == nil {
		if got := strings.TrimSpace(string(version)); got != strconv.Itoa(l.bin.Major) {
			return fmt.Errorf("local cluster: %s holds a PostgreSQL %s cluster, but the server binaries are %s: use binaries of that version or remove the directory", data, got, l.bin.Version)
		}
		return chownTree(data, cred)
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("local cluster: %w", err)
	}
	if err := chownTree(data, cred); err != nil {
		return err
	}
	// Trust on the private socket; TCP, should a setting open it, refused
	// unless WithTCP asked for it.
	authHost := "reject"
	if l.tcp {
		authHost = "trust"
	}
	initdb := exec.CommandContext(ctx, filepath.Join(l.bin.Dir, "initdb"),
		"-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host="+authHost, "--encoding=UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	initdb.Dir = l.dir
	if out, err := initdb.CombinedOutput(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if full := diskfull.FromLog(out, data); full != nil {
			return fmt.Errorf("local cluster: initdb: %w", full)
		}
		return fmt.Errorf("local cluster: initdb: %v: %s", err, lastLine(out))
	}
	return nil
}

// chownTree gives the server's user the data directory (mode 0700, as the
// server demands), when plangate runs as root.
func chownTree(dir string, cred *syscall.Credential) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("local cluster: %w", err)
	}
	if cred == nil {
		return nil
	}
	err := filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(cred.Uid), int(cred.Gid))
	})
	if err != nil {
		return fmt.Errorf("local cluster: %w", err)
	}
	return nil
}

// pickPort returns port if it is free, or a free port when port is 0.
// Without TCP a port only numbers the socket in a private directory, where
// it cannot be taken: any will do.
func pickPort(port int, tcp bool) (int, error) {
	if !tcp && port != 0 {
		return port, nil
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		if port != 0 {
			return 0, &PortInUseError{Port: port}
		}
		return 0, fmt.Errorf("local cluster: no free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// unprivileged returns the credentials to run the server with, or nil when
// plangate does not run as root.
func unprivileged(name string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	names := []string{name}
	if name == "" {
		names = []string{"postgres", "nobody"}
	}
	for _, n := range names {
		u, err := user.Lookup(n)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("local cluster: running as root and no unprivileged user to run postgres as (tried " +
		strings.Join(names, ", ") + "): create one or set postgres.run_as")
}

// ServerUserCanReach reports whether the user a local cluster runs as (see
// WithRunAs) can reach entries of dir. Only running as root makes a
// difference: otherwise the server runs as plangate's own user.
func ServerUserCanReach(dir, runAs string) bool {
	cred, err := unprivileged(runAs)
	if err != nil {
		return false
	}
	return cred == nil || traversable(dir, cred)
}

// traversable reports whether the user of cred can reach entries of dir:
// every directory on the way must grant it search permission.
func traversable(dir string, cred *syscall.Credential) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for d := abs; ; d = filepath.Dir(d) {
		var st syscall.Stat_t
		if err := syscall.Stat(d, &st); err != nil {
			return false
		}
		ok := st.Mode&0o001 != 0 ||
			(st.Uid == cred.Uid && st.Mode&0o100 != 0) ||
			(st.Gid == cred.Gid && st.Mode&0o010 != 0)
		if !ok {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func lastLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// fatalLine picks the FATAL or ERROR line from a server log, which says why
// the server did not start (an unknown setting, a bad value, ...).
func fatalLine(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	var last string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		last = line
		for _, sev := range []string{"FATAL:", "ERROR:"} {
			if i := strings.Index(line, sev); i >= 0 {
				return strings.TrimSpace(line[i+len(sev):])
			}
		}
	}
	return last
}
