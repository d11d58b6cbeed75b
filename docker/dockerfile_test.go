// Package docker holds the build contexts of the images plangate's tests
// use, and the test of the repository's Dockerfile.
package docker

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/plangate/plangate/internal/pgserver"
)

// testImageRepo is where the images this test builds are tagged, each with
// a hash of what went into it, so that a rerun on unchanged sources reuses
// the image instead of building again.
const testImageRepo = "localhost/plangate-dockerfile-test"

// The base images .ci/build-images makes from Debian packages, since no
// registry can be assumed to answer.
const (
	goImage       = "plangate/golang:1.26"
	runtimeImage  = "plangate/debian:bookworm"
	postgresImage = "plangate/postgres:15"
)

// TestDockerfile builds the Dockerfile the offline way its header gives
// (vendored modules in a context streamed from tar), then runs the image:
// plangate --version, and baseline and check of a small project against a
// PostgreSQL server named by DSN, with the project mounted as the header
// shows. Without a Docker engine or the base images it is skipped, or fails
// with PLANGATE_REQUIRE_DOCKER=1 (CI).
func TestDockerfile(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	requireDocker(t, goImage, runtimeImage, postgresImage)
	// A cold build compiles libpg_query in the container: on two cores
	// shared with the other packages' tests that has taken over 9 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 18*time.Minute)
	defer cancel()

	tag := testImageRepo + ":" + sourceHash(t, root)[:16]
	if imageExists(tag) {
		t.Logf("image %s is built already", tag)
	} else {
		start := time.Now()
		buildImage(ctx, t, root, tag)
		t.Logf("built %s in %s", tag, time.Since(start).Round(time.Second))
		removeOtherTags(t, tag)
	}

	out := run(ctx, t, "docker", "run", "--rm", tag, "--version")
	if !strings.HasPrefix(out, "plangate version ") {
		t.Errorf("plangate --version printed %q, want plangate version ...", out)
	}

	srv, err := pgserver.StartDocker(ctx, pgserver.WithImage(postgresImage))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	dsn := hostLoopback(t, srv.ConnString(""))

	project := t.TempDir()
	if err := os.CopyFS(project, os.DirFS(filepath.Join(root, "internal", "cli", "testdata", "project"))); err != nil {
		t.Fatal(err)
	}
	// As the Dockerfile's header runs it, as the caller's user so that the
	// files it writes are the caller's; the host's network reaches the
	// port the server's container is published on.
	plangate := func(args ...string) string {
		t.Helper()
		return run(ctx, t, append([]string{"docker", "run", "--rm", "--network", "host",
			"--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
			"-v", project + ":/work", "-w", "/work", tag}, args...)...)
	}
	out = plangate("baseline", "--backend", "dsn", "--dsn", dsn)
	if !strings.Contains(out, " queries (0 failed)") {
		t.Errorf("plangate baseline printed %q, want every query recorded", out)
	}
	var baseline struct {
		Queries []struct{ Name string } `json:"queries"`
	}
	data, err := os.ReadFile(filepath.Join(project, "plangate.baseline.json"))
	if err != nil {
		t.Fatalf("no baseline written in the mounted directory: %v", err)
	}
	if err := json.Unmarshal(data, &baseline); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	recorded := map[string]bool{}
	for _, q := range baseline.Queries {
		recorded[q.Name] = true
	}
	queries, err := filepath.Glob(filepath.Join(project, "queries", "*.sql"))
	if err != nil || len(queries) == 0 {
		t.Fatalf("no queries in the project (%v)", err)
	}
	for _, q := range queries {
		if name := strings.TrimSuffix(filepath.Base(q), ".sql"); !recorded[name] {
			t.Errorf("baseline lacks query %s", name)
		}
	}
	out = plangate("check", "--backend", "dsn", "--dsn", dsn, "--format", "json")
	var report struct {
		Verdict string `json:"verdict"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || report.Verdict != "pass" {
		t.Errorf("plangate check: verdict %q (%v), want pass; output:\n%s", report.Verdict, err, out)
	}
}

// requireDocker skips the test, or fails it under PLANGATE_REQUIRE_DOCKER=1,
// unless the docker command reaches an engine that has images.
func requireDocker(t *testing.T, images ...string) {
	t.Helper()
	unavailable := t.Skipf
	if os.Getenv("PLANGATE_REQUIRE_DOCKER") == "1" {
		unavailable = t.Fatalf
	}
	if _, err := exec.LookPath("docker"); err != nil {
		unavailable("no docker command: %v", err)
	}
	if !pgserver.DockerAvailable(context.Background()) {
		unavailable("no Docker engine answers (DOCKER_HOST=%q)", os.Getenv("DOCKER_HOST"))
	}
	for _, image := range images {
		if !imageExists(image) {
			unavailable("image %s is not on the engine: run .ci/build-images", image)
		}
	}
}

func imageExists(image string) bool {
	return exec.Command("docker", "image", "inspect", image).Run() == nil
}

// imageID returns image's ID.
func imageID(t *testing.T, image string) string {
	t.Helper()
	return run(context.Background(), t, "docker", "image", "inspect", "-f", "{{.Id}}", image)
}

// sourceHash hashes what the image is made of: the Dockerfile, the module's
// requirements, the files of the module's packages cmd/plangate is built
// from (as go list reports them: Go, cgo and embedded files; tests and
// testdata do not count), and the base images.
func sourceHash(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,Module,GoFiles,CgoFiles,CFiles,HFiles,EmbedFiles", "./cmd/plangate")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	files := []string{"Dockerfile", "go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var pkg struct {
			Dir                                           string
			Module                                        *struct{ Main bool }
			GoFiles, CgoFiles, CFiles, HFiles, EmbedFiles []string
		}
		if err := dec.Decode(&pkg); err != nil {
			t.Fatalf("go list: %v", err)
		}
		if pkg.Module == nil || !pkg.Module.Main {
			continue // modules are covered by go.sum
		}
		for _, group := range [][]string{pkg.GoFiles, pkg.CgoFiles, pkg.CFiles, pkg.HFiles, pkg.EmbedFiles} {
			for _, f := range group {
				rel, err := filepath.Rel(root, filepath.Join(pkg.Dir, f))
				if err != nil {
					t.Fatal(err)
				}
				files = append(files, rel)
			}
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		fmt.Fprintf(h, "%s %x\n", f, sum)
	}
	fmt.Fprintf(h, "go image %s\nruntime image %s\n", imageID(t, goImage), imageID(t, runtimeImage))
	return hex.EncodeToString(h.Sum(nil))
}

// buildImage builds the Dockerfile as its header says to without a module
// proxy: modules vendored outside the checkout, the context streamed from tar.
func buildImage(ctx context.Context, t *testing.T, root, tag string) {
	t.Helper()
	tmp := t.TempDir()
	vendor := exec.CommandContext(ctx, "go", "mod", "vendor", "-o", filepath.Join(tmp, "vendor"))
	vendor.Dir = root
	if out, err := vendor.CombinedOutput(); err != nil {
		t.Fatalf("go mod vendor: %v\n%s", err, out)
	}
	script := `tar -c --exclude=./.git . -C "$VENDOR_PARENT" vendor |
	docker build --build-arg GOFLAGS=-mod=vendor --build-arg GO_IMAGE="$GO_IMAGE" \
		--build-arg RUNTIME_IMAGE="$RUNTIME_IMAGE" -t "$TAG" -`
	build := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", script)
	build.Dir = root
	build.Env = append(os.Environ(), "VENDOR_PARENT="+tmp, "GO_IMAGE="+goImage, "RUNTIME_IMAGE="+runtimeImage, "TAG="+tag)
	var log bytes.Buffer
	build.Stdout, build.Stderr = &log, &log
	if err := build.Run(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, tail(log.String(), 40))
	}
}

// removeOtherTags removes the images of earlier sources, keeping tag.
func removeOtherTags(t *testing.T, tag string) {
	t.Helper()
	out := run(context.Background(), t, "docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", testImageRepo)
	for _, other := range strings.Fields(out) {
		if other != tag {
			if err := exec.Command("docker", "image", "rm", other).Run(); err != nil {
				t.Logf("remove %s: %v", other, err)
			}
		}
	}
}

// hostLoopback returns connString with its host replaced by 127.0.0.1,
// where a container on the host's network finds the published port.
func hostLoopback(t *testing.T, connString string) string {
	t.Helper()
	u, err := url.Parse(connString)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = "127.0.0.1:" + u.Port()
	return u.String()
}

// run runs a command and returns its standard output, trimmed; it fails
// the test, with the command's stderr, if the command fails.
func run(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, tail(stdout.String(), 20), tail(stderr.String(), 20))
	}
	return strings.TrimSpace(stdout.String())
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
