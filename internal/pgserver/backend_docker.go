package pgserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/modules/postgres"
	"github.com/testcontainers/testcontainers-go/wait"
)

// reaperImage is the image testcontainers starts as its reaper. Its public
// name is deprecated in favour of an internal value that equals it; it is
// the only one there is.
var reaperImage = testcontainers.ReaperDefaultImage //nolint:staticcheck // see above

// DefaultDockerImage is the image StartDocker runs unless told otherwise.
const DefaultDockerImage = "postgres:17"

// DockerLabel marks every container StartDocker creates, so that those of a
// killed process (when the reaper is off) can be found and removed:
//
//	docker rm -f -v $(docker ps -aq --filter label=org.plangate.backend)
const DockerLabel = "org.plangate.backend"

// dockerInstanceLabel tells one StartDocker's container from another's.
const dockerInstanceLabel = "org.plangate.instance"

// dockerReadyTimeout bounds a start, image pulls excepted: initdb and the
// init restart take seconds, more on a loaded CI machine.
const dockerReadyTimeout = 2 * time.Minute

// DockerOption configures StartDocker.
type DockerOption func(*dockerConfig)

type dockerConfig struct {
	image         string
	settings      Settings
	reaper        *bool // nil: decide from the environment and the engine
	log           io.Writer
	snapshotKey   string
	snapshotScope string
}

// WithImage runs image, which must be compatible with the official postgres
// image (POSTGRES_PASSWORD, /docker-entrypoint-initdb.d, `postgres -c k=v`).
func WithImage(image string) DockerOption { return func(c *dockerConfig) { c.image = image } }

// WithDockerSettings applies server settings (work_mem, shared_buffers, ...)
// as `-c` flags; they override the settings pinned for repeatable plans.
func WithDockerSettings(s Settings) DockerOption { return func(c *dockerConfig) { c.settings = s } }

// WithReaper turns testcontainers' reaper (Ryuk) on or off. The reaper
// removes containers of a process that died without closing them; without
// it plangate still removes its container on Close and when ctx is done.
// By default the reaper runs when TESTCONTAINERS_RYUK_DISABLED is not "true"
// and its image is on the engine or can be pulled.
func WithReaper(enabled bool) DockerOption { return func(c *dockerConfig) { c.reaper = &enabled } }

// WithDockerLog writes testcontainers' progress lines about the container
// to w (discarded by default). Its lines about the engine are always
// discarded: they would go to stderr.
func WithDockerLog(w io.Writer) DockerOption { return func(c *dockerConfig) { c.log = w } }

// ImageUnavailableError is returned by StartDocker when the image is not on
// the engine and cannot be pulled.
type ImageUnavailableError struct {
	Image string
	Err   error // why the pull failed
}

func (e *ImageUnavailableError) Error() string {
	return fmt.Sprintf("docker: image %q is not on this machine and cannot be pulled (%v): pull or build it, or name a local image with --image",
		e.Image, e.Err)
}

func (e *ImageUnavailableError) Unwrap() error { return e.Err }

// docker is a throwaway PostgreSQL container.
type docker struct {
	image    string
	version  string
	user     string
	password string
	hostPort string // host:port the engine maps 5432 to
	instance string // value of dockerInstanceLabel on this server's container
	ctr      *postgres.PostgresContainer
	snapshot *dockerSnapshot // nil without WithSnapshot

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{}
}

// StartDocker starts PostgreSQL in a container and waits until it accepts
// connections. The container is removed by Close, on any error, and as soon
// as ctx is done, so that Ctrl-C never leaves one behind. With WithSnapshot
// the server is a Snapshotter, started from a saved snapshot when one fits.
func StartDocker(ctx context.Context, opts ...DockerOption) (Server, error) {
	dockerQuiet()
	cfg := dockerConfig{image: DefaultDockerImage, log: io.Discard}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.image = dockerHubPrefixed(cfg.image)
	args, err := dockerArgs(cfg.settings)
	if err != nil {
		return nil, err
	}
	shm, err := dockerShmSize(cfg.settings)
	if err != nil {
		return nil, err
	}

	cli, err := dockerClient()
	if err != nil {
		return nil, err
	}
	defer cli.Close()
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		return nil, fmt.Errorf("docker: no engine answers at %s: %v: start Docker, or use --backend local or --dsn", cli.DaemonHost(), err)
	}
	if err := dockerEnsureImage(ctx, cli, cfg.image); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("docker: %w", ctx.Err())
		}
		return nil, &ImageUnavailableError{Image: cfg.image, Err: err}
	}
	if err := dockerSettleReaper(ctx, cli, cfg.reaper); err != nil {
		return nil, err
	}

	d := &docker{image: cfg.image, user: "postgres", password: dockerRandom(), instance: dockerRandom(),
		closed: make(chan struct{})}
	run := cfg.image
	runOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(dockerLogger{cfg.log}),
		postgres.WithUsername(d.user),
		postgres.WithDatabase("postgres"),
		testcontainers.WithCmd(append([]string{"postgres"}, args...)...),
		testcontainers.WithLabels(map[string]string{DockerLabel: "docker", dockerInstanceLabel: d.instance}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hc.ShmSize = shm }),
		testcontainers.WithWaitStrategyAndDeadline(dockerReadyTimeout, wait.ForMappedPort("5432/tcp")),
	}
	if cfg.snapshotKey != "" {
		var password string
		d.snapshot, password, err = findSnapshot(ctx, cli, cfg, args)
		if err != nil {
			return nil, err
		}
		if d.snapshot.restored {
			run, d.password = d.snapshot.ref, password
		}
		runOpts = append(runOpts, testcontainers.WithEnv(map[string]string{"PGDATA": snapshotPGDATA}))
	}
	d.ctr, err = postgres.Run(ctx, run, append(runOpts, postgres.WithPassword(d.password))...)
	if err == nil {
		err = d.waitReady(ctx, time.Now().Add(dockerReadyTimeout))
	}
	if err != nil {
		cut := ctx.Err() != nil
		if cut {
			err = ctx.Err()
		} else {
			err = d.startFailure(err)
		}
		_ = d.remove()
		if cut {
			d.sweepLate()
		}
		return nil, fmt.Errorf("docker: start %s: %w", cfg.image, err)
	}
	go func() {
		select {
		case <-ctx.Done():
			_ = d.remove()
		case <-d.closed:
		}
	}()
	return d, nil
}

// waitReady waits until the server answers a query over the mapped port,
// and learns its address and version on the way.
//
// Readiness is a query over TCP rather than the "ready to accept
// connections" log line that the postgres module counts twice: the
// entrypoint's temporary init server listens on the Unix socket only, so
// nothing answers over TCP before the real server, and no count of log lines
// is needed (it would never come with log_min_messages=fatal). Nor is it
// testcontainers' port check, which runs `docker exec` in a tight loop and
// slows the very start it waits for.
func (d *docker) waitReady(ctx context.Context, deadline time.Time) error {
	hosts, port, err := d.candidateHosts(ctx)
	if err != nil {
		return err
	}
	for {
		if d.hostPort == "" {
			d.hostPort = dialAny(ctx, hosts, port)
		}
		if d.hostPort != "" {
			if d.version, err = d.serverVersion(ctx); err == nil {
				return nil
			}
		} else {
			err = fmt.Errorf("port %s answers at none of %s: set TESTCONTAINERS_HOST_OVERRIDE to the engine's address",
				port, strings.Join(hosts, ", "))
		}
		if st, serr := d.ctr.State(ctx); serr == nil && !st.Running {
			return fmt.Errorf("container exited with code %d", st.ExitCode)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready in time: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// candidateHosts returns the hosts that may reach the container's mapped
// port, and that port. testcontainers guesses the engine's host, or, when
// this process looks like it runs in a container (it has /.dockerenv), the
// default gateway: wrong on a machine that merely has that file. So for an
// engine on this machine's socket the loopback address is a candidate too,
// unless TESTCONTAINERS_HOST_OVERRIDE settles the question.
func (d *docker) candidateHosts(ctx context.Context) ([]string, string, error) {
	host, err := d.ctr.Host(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("host: %w", err)
	}
	port, err := d.ctr.MappedPort(ctx, "5432/tcp")
	if err != nil {
		return nil, "", fmt.Errorf("mapped port: %w", err)
	}
	hosts := []string{host}
	dockerHost := os.Getenv("DOCKER_HOST")
	if os.Getenv("TESTCONTAINERS_HOST_OVERRIDE") == "" && host != "localhost" && host != "127.0.0.1" &&
		(dockerHost == "" || strings.HasPrefix(dockerHost, "unix://")) {
		hosts = append(hosts, "127.0.0.1")
	}
	return hosts, port.Port(), nil
}

// dialAny returns host:port for the first of hosts that accepts a TCP
// connection on port within a second, or "" if none does. The hosts are
// tried at once so that one that drops packets costs no extra time.
func dialAny(ctx context.Context, hosts []string, port string) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	found := make(chan string, len(hosts))
	for _, h := range hosts {
		go func() {
			addr := net.JoinHostPort(h, port)
			var dialer net.Dialer
			conn, err := dialer.DialContext(ctx, "tcp", addr)
			if err != nil {
				addr = ""
			} else {
				conn.Close()
			}
			found <- addr
		}()
	}
	for range hosts {
		if addr := <-found; addr != "" {
			return addr
		}
	}
	return ""
}

// serverVersion connects once and returns the server's version ("17.5").
func (d *docker) serverVersion(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.ConnString(""))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "", err
	}
	return strings.Fields(v)[0], nil
}

// startFailure explains a failed start by the server's own FATAL or ERROR
// line (a bad setting, a bad init script) when the container logged one.
func (d *docker) startFailure(err error) error {
	if d.ctr == nil || d.ctr.Container == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	logs, lerr := d.ctr.Logs(ctx)
	if lerr != nil {
		return err
	}
	defer logs.Close()
	out, _ := io.ReadAll(io.LimitReader(logs, 1<<20))
	if bytes.Contains(out, []byte("FATAL:")) || bytes.Contains(out, []byte("ERROR:")) {
		return errors.New(fatalLine(out))
	}
	return err
}

// ConnString returns a URL for database on the container's mapped port,
// as the superuser postgres.
func (d *docker) ConnString(database string) string {
	if database == "" {
		database = "postgres"
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(d.user, d.password), Host: d.hostPort,
		Path: "/" + database, RawQuery: "sslmode=disable"}
	return u.String()
}

// Describe names the image, the server version, the snapshot it started
// from if any, and the mapped address.
func (d *docker) Describe() string {
	from := ""
	if d.FromSnapshot() {
		from = ", seeded snapshot " + d.snapshot.key[:min(12, len(d.snapshot.key))]
	}
	return fmt.Sprintf("container %s (PostgreSQL %s%s) at %s", d.image, d.version, from, d.hostPort)
}

// Close removes the container and its volumes. It does so even when ctx is
// already done (a deferred Close after Ctrl-C), within a bounded time.
func (d *docker) Close(ctx context.Context) error {
	return d.remove()
}

// remove stops and removes the container once; later calls return the
// first result.
func (d *docker) remove() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var errs []error
		if d.ctr != nil {
			// Throwaway data: no need to wait for a clean shutdown.
			errs = append(errs, d.ctr.Terminate(ctx, testcontainers.StopTimeout(0)))
		}
		// A start cut short may leave a container the engine created after
		// the request was abandoned, one this process never learnt the ID of.
		errs = append(errs, dockerSweep(ctx, d.instance))
		if err := errors.Join(errs...); err != nil {
			d.closeErr = fmt.Errorf("docker: remove container of %s: %w", d.image, err)
		}
	})
	return d.closeErr
}

// sweepLate sweeps the instance's containers again for a few seconds
// after a start cut short: the engine may still be creating the container
// the abandoned request asked for when the first sweep runs.
func (d *docker) sweepLate() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for range 12 {
		select {
		case <-ctx.Done():
			return
		case <-time.After(250 * time.Millisecond):
		}
		_ = dockerSweep(ctx, d.instance)
	}
}

// dockerSweep force-removes every container labelled with instance.
func dockerSweep(ctx context.Context, instance string) error {
	cli, err := dockerClient()
	if err != nil {
		return err
	}
	defer cli.Close()
	list, err := cli.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: client.Filters{}.Add("label", dockerInstanceLabel+"="+instance)})
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range list.Items {
		_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DockerAvailable reports whether a Docker engine answers within a couple
// of seconds. It decides the auto backend.
func DockerAvailable(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	cli, err := dockerClient()
	if err != nil {
		return false
	}
	defer cli.Close()
	_, err = cli.Ping(ctx, client.PingOptions{})
	return err == nil
}

// dockerClient talks to the engine named by DOCKER_HOST (and DOCKER_TLS_VERIFY,
// DOCKER_CERT_PATH), by default the local socket. It is a plain client rather
// than testcontainers' so that the reaper can be settled before
// testcontainers first reads its configuration.
func dockerClient() (*client.Client, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker: %w", err)
	}
	return cli, nil
}

// dockerEnsureImage makes image present on the engine, pulling it once if
// needed. testcontainers would retry a failing pull for many minutes.
func dockerEnsureImage(ctx context.Context, cli *client.Client, image string) error {
	_, err := cli.ImageInspect(ctx, image)
	if err == nil || !cerrdefs.IsNotFound(err) {
		return err
	}
	resp, err := cli.ImagePull(ctx, image, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	defer resp.Close()
	return resp.Wait(ctx)
}

// dockerHubPrefixed applies TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX to a Docker
// Hub image as testcontainers would, so that the image checked and pulled
// here is the one it runs.
func dockerHubPrefixed(image string) string {
	prefix := os.Getenv("TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX")
	first, _, found := strings.Cut(image, "/")
	if prefix == "" || found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return image
	}
	return path.Join(prefix, image)
}

const ryukDisabledEnv = "TESTCONTAINERS_RYUK_DISABLED"

var dockerReaper struct {
	sync.Mutex
	settled bool
	off     bool
}

// dockerSettleReaper decides, once per process, whether testcontainers runs
// its reaper. testcontainers reads that choice from TESTCONTAINERS_RYUK_DISABLED
// the first time it starts anything and never again, so turning the reaper off
// means setting that variable before then; it is the one switch it offers.
// want is nil to decide from the environment and from whether the reaper
// image can be had (it cannot without a registry, and testcontainers would
// retry its pull for minutes).
func dockerSettleReaper(ctx context.Context, cli *client.Client, want *bool) error {
	r := &dockerReaper
	r.Lock()
	defer r.Unlock()
	if r.settled {
		switch {
		case want != nil && *want && r.off:
			return errors.New("docker: the reaper was turned off earlier in this process and cannot be turned on again")
		case want != nil && !*want && !r.off:
			return errors.New("docker: the reaper was turned on earlier in this process and cannot be turned off again")
		}
		return nil
	}
	env, set := os.LookupEnv(ryukDisabledEnv)
	envOff := env == "true" // testcontainers' own reading of it
	var off bool
	switch {
	case want != nil && *want && envOff:
		return fmt.Errorf("docker: the reaper is required but %s=true", ryukDisabledEnv)
	case want != nil:
		off = !*want
	case set:
		off = envOff
	default:
		off = dockerEnsureImage(ctx, cli, dockerHubPrefixed(reaperImage)) != nil
	}
	if off && !envOff {
		if err := os.Setenv(ryukDisabledEnv, "true"); err != nil {
			return fmt.Errorf("docker: %w", err)
		}
	}
	tcOff := testcontainers.ReadConfig().RyukDisabled
	switch {
	case off && !tcOff:
		return fmt.Errorf("docker: testcontainers settled on its reaper earlier in this process; set %s=true to run without it", ryukDisabledEnv)
	case !off && !tcOff:
		if err := dockerEnsureImage(ctx, cli, dockerHubPrefixed(reaperImage)); err != nil {
			return fmt.Errorf("docker: reaper image %s cannot be pulled (%v): set %s=true to run without it",
				reaperImage, err, ryukDisabledEnv)
		}
	case !off && tcOff && want != nil:
		return errors.New("docker: the reaper is required but testcontainers' configuration (~/.testcontainers.properties) disables it")
	}
	r.settled, r.off = true, tcOff
	return nil
}

var settingNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// dockerArgs turns the pinned settings overlaid with s into sorted
// `-c name=value` arguments for postgres.
func dockerArgs(s Settings) ([]string, error) {
	merged := Settings{}
	for k, v := range settingsPinned {
		merged[k] = v
	}
	for k, v := range s {
		if !settingNameRE.MatchString(k) {
			return nil, fmt.Errorf("docker: setting %q: not a setting name", k)
		}
		merged[k] = v
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		args = append(args, "-c", k+"="+merged[k])
	}
	return args, nil
}

// dockerShmSize sizes the container's /dev/shm: Docker's 64 MB default is
// too small for parallel query and large shared_buffers, and a server that
// runs out of it fails queries with "could not resize shared memory segment".
func dockerShmSize(s Settings) (int64, error) {
	const margin, floor = 256 << 20, 512 << 20
	v, ok := s["shared_buffers"]
	if !ok {
		return floor, nil
	}
	n, err := parseMemory(v, 8<<10)
	if err != nil {
		return 0, fmt.Errorf("docker: setting shared_buffers: %w", err)
	}
	return max(n+margin, floor), nil
}

var memoryRE = regexp.MustCompile(`^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|kB|MB|GB|TB)?\s*$`)

// parseMemory reads a PostgreSQL memory setting ("128MB", "1.5GB", "16384")
// as bytes; a number without a unit counts units of unit bytes, as the
// setting's own unit does (8 kB pages for shared_buffers).
func parseMemory(v string, unit int64) (int64, error) {
	m := memoryRE.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("%q is not a memory size (like 128MB or 1GB)", v)
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a memory size: %w", v, err)
	}
	mult := map[string]int64{"": unit, "B": 1, "kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30, "TB": 1 << 40}[m[2]]
	return int64(n * float64(mult)), nil
}

// dockerRandom returns 32 random hex digits: a password (the mapped port
// listens on every interface of the host) or an instance label.
func dockerRandom() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var dockerQuietOnce sync.Once

// dockerQuiet keeps testcontainers off stderr. Besides the logger each
// container is given (WithLogger), it writes a few lines through a
// process-wide default logger, which prints to stderr: the engine it
// connected to ("Connected to docker: ..."), the reaper's progress. Setting
// that default (log.SetDefault) is the one switch it offers.
func dockerQuiet() {
	dockerQuietOnce.Do(func() { tclog.SetDefault(tclog.NewNoopLogger()) })
}

// dockerLogger adapts an io.Writer to testcontainers' logger.
type dockerLogger struct{ w io.Writer }

func (l dockerLogger) Printf(format string, v ...any) {
	fmt.Fprintf(l.w, strings.TrimSuffix(format, "\n")+"\n", v...)
}
