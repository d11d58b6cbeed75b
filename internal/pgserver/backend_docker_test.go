package pgserver

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"
)

// dockerTestImage returns the image the docker tests run: PLANGATE_TEST_IMAGE,
// by default the one .ci/build-images builds. Without an engine or that
// image the test is skipped, or fails when PLANGATE_REQUIRE_DOCKER=1 (CI).
func dockerTestImage(t *testing.T) string {
	t.Helper()
	image := os.Getenv("PLANGATE_TEST_IMAGE")
	if image == "" {
		image = "plangate/postgres:15"
	}
	unavailable := t.Skipf
	if os.Getenv("PLANGATE_REQUIRE_DOCKER") == "1" {
		unavailable = t.Fatalf
	}
	ctx := context.Background()
	if !DockerAvailable(ctx) {
		unavailable("no Docker engine answers (DOCKER_HOST=%q)", os.Getenv("DOCKER_HOST"))
	}
	cli := testDockerClient(t)
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		unavailable("image %s: %v: run .ci/build-images or set PLANGATE_TEST_IMAGE", image, err)
	}
	return image
}

func testDockerClient(t *testing.T) *client.Client {
	t.Helper()
	cli, err := dockerClient()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// waitContainerGone fails the test unless container id is gone within limit.
func waitContainerGone(t *testing.T, id string, limit time.Duration) {
	t.Helper()
	cli := testDockerClient(t)
	deadline := time.Now().Add(limit)
	for {
		_, err := cli.ContainerInspect(context.Background(), id, client.ContainerInspectOptions{})
		if cerrdefs.IsNotFound(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %.12s still exists %s later (inspect: %v)", id, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestStartDocker_SettingsQueryAndClose(t *testing.T) {
	image := dockerTestImage(t)
	ctx := context.Background()
	start := time.Now()
	srv, err := StartDocker(ctx, WithImage(image), WithDockerLog(testWriter{t}),
		WithDockerSettings(Settings{"work_mem": "77MB", "shared_buffers": "64MB"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s ready in %s", srv.Describe(), time.Since(start).Round(time.Millisecond))
	id := srv.(*docker).ctr.GetContainerID()
	t.Cleanup(func() { srv.Close(ctx) })
	cli := testDockerClient(t)
	inspect, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var volumes []string
	for _, m := range inspect.Container.Mounts {
		if m.Type == "volume" {
			volumes = append(volumes, m.Name)
		}
	}

	if !strings.HasPrefix(srv.ConnString("app"), "postgres://postgres:") ||
		!strings.Contains(srv.ConnString("app"), "/app?") {
		t.Errorf("ConnString(app) = %q, want a postgres:// URL for database app", srv.ConnString("app"))
	}
	if d := srv.Describe(); !strings.Contains(d, image) || !strings.Contains(d, "PostgreSQL ") {
		t.Errorf("Describe() = %q, want the image and the server version", d)
	}
	if err := CreateDatabase(ctx, srv, "app", ""); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, srv.ConnString("app"))
	if err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := conn.QueryRow(ctx, "SELECT sum(i)::int FROM generate_series(1, 10) i").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if sum != 55 {
		t.Errorf("sum = %d, want 55", sum)
	}
	for setting, want := range map[string]string{
		"work_mem": "77MB", "shared_buffers": "64MB", "jit": "off", "listen_addresses": "*",
	} {
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting($1)", setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	conn.Close(ctx)

	if err := srv.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitContainerGone(t, id, 0)
	for _, v := range volumes {
		if _, err := cli.VolumeInspect(ctx, v, client.VolumeInspectOptions{}); !cerrdefs.IsNotFound(err) {
			t.Errorf("volume %.12s still exists after Close (inspect: %v)", v, err)
		}
	}
	if err := srv.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartDocker_CancelledContextRemovesContainer(t *testing.T) {
	image := dockerTestImage(t)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := StartDocker(ctx, WithImage(image))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	id := srv.(*docker).ctr.GetContainerID()
	cancel()
	waitContainerGone(t, id, 30*time.Second)
	if err := srv.Close(context.Background()); err != nil {
		t.Errorf("Close after cancel: %v", err)
	}
}

func TestStartDocker_CancelledDuringStartLeavesNothing(t *testing.T) {
	image := dockerTestImage(t)
	for _, limit := range []time.Duration{300 * time.Millisecond, time.Second, 2 * time.Second} {
		t.Run(limit.String(), func(t *testing.T) {
			before := labelledContainers(t)
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			srv, err := StartDocker(ctx, WithImage(image))
			if err == nil {
				// Faster than the deadline: the watcher must still remove it.
				id := srv.(*docker).ctr.GetContainerID()
				<-ctx.Done()
				waitContainerGone(t, id, 30*time.Second)
				return
			}
			if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("got %q, want one line with a deadline error", err)
			}
			for id := range labelledContainers(t) {
				if !before[id] {
					t.Errorf("container %.12s left behind", id)
				}
			}
		})
	}
}

// labelledContainers returns the IDs of all containers StartDocker made.
func labelledContainers(t *testing.T) map[string]bool {
	t.Helper()
	list, err := testDockerClient(t).ContainerList(context.Background(), client.ContainerListOptions{
		All: true, Filters: client.Filters{}.Add("label", DockerLabel)})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, c := range list.Items {
		ids[c.ID] = true
	}
	return ids
}

func TestStartDocker_Errors(t *testing.T) {
	image := dockerTestImage(t)
	ctx := context.Background()
	tests := []struct {
		name string
		opts []DockerOption
		want string
	}{
		{"image not on the engine", []DockerOption{WithImage("localhost:1/plangate/missing:0")},
			`image "localhost:1/plangate/missing:0" is not on this machine and cannot be pulled`},
		{"bad setting name", []DockerOption{WithImage(image), WithDockerSettings(Settings{"work mem": "1MB"})},
			`setting "work mem": not a setting name`},
		{"bad shared_buffers", []DockerOption{WithImage(image), WithDockerSettings(Settings{"shared_buffers": "lots"})},
			`shared_buffers: "lots" is not a memory size`},
		{"server rejects a value", []DockerOption{WithImage(image), WithDockerSettings(Settings{"work_mem": "-5"})},
			`is outside the valid range for parameter "work_mem"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := StartDocker(ctx, tt.opts...)
			if err == nil {
				srv.Close(ctx)
				t.Fatalf("StartDocker succeeded, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error = %q, want one line containing %q", err, tt.want)
			}
		})
	}
}

func TestStartDocker_ImageUnavailableError(t *testing.T) {
	dockerTestImage(t)
	_, err := StartDocker(context.Background(), WithImage("localhost:1/plangate/missing:0"))
	var ie *ImageUnavailableError
	if !errors.As(err, &ie) || ie.Image != "localhost:1/plangate/missing:0" {
		t.Fatalf("got %v, want an ImageUnavailableError for the image", err)
	}
	if !strings.Contains(err.Error(), "--image") {
		t.Errorf("error %q does not say how to name another image", err)
	}
}

func TestDockerShmSize(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		want     int64
	}{
		{"default", nil, 512 << 20},
		{"small shared_buffers keeps the floor", Settings{"shared_buffers": "128MB"}, 512 << 20},
		{"large shared_buffers plus margin", Settings{"shared_buffers": "2GB"}, 2<<30 + 256<<20},
		{"8kB pages without a unit", Settings{"shared_buffers": "131072"}, 1<<30 + 256<<20},
		{"fraction", Settings{"shared_buffers": "1.5GB"}, 1536<<20 + 256<<20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dockerShmSize(tt.settings)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("dockerShmSize(%v) = %d, want %d", tt.settings, got, tt.want)
			}
		})
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512kB", 512 << 10, true},
		{"64 MB", 64 << 20, true},
		{"1TB", 1 << 40, true},
		{"100", 100 << 13, true},
		{"64mb", 0, false}, // units are case-sensitive in PostgreSQL
		{"-1", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMemory(tt.in, 8<<10)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseMemory(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestDockerArgs_SortedAndOverridingPinned(t *testing.T) {
	args, err := dockerArgs(Settings{"work_mem": "8MB", "jit": "on"})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(args, " ")
	for _, want := range []string{"-c jit=on", "-c work_mem=8MB", "-c fsync=off"} {
		if !strings.Contains(got, want) {
			t.Errorf("args %q lack %q", got, want)
		}
	}
	if strings.Contains(got, "jit=off") {
		t.Errorf("args %q keep the pinned jit=off", got)
	}
	if i, j := strings.Index(got, "autovacuum="), strings.Index(got, "work_mem="); i > j {
		t.Errorf("args %q are not sorted by name", got)
	}
}

// testWriter sends testcontainers' progress lines to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
