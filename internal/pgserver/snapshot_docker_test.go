package pgserver

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func TestSnapshotKey(t *testing.T) {
	tests := []struct {
		name       string
		a, b       [][]byte
		wantEquals bool
	}{
		{"same parts", [][]byte{[]byte("schema"), []byte("seed")}, [][]byte{[]byte("schema"), []byte("seed")}, true},
		{"a changed part", [][]byte{[]byte("schema"), []byte("seed")}, [][]byte{[]byte("schema"), []byte("seed2")}, false},
		{"a boundary moved", [][]byte{[]byte("ab"), []byte("c")}, [][]byte{[]byte("a"), []byte("bc")}, false},
		{"an empty part counts", [][]byte{[]byte("a")}, [][]byte{[]byte("a"), nil}, false},
		{"order counts", [][]byte{[]byte("a"), []byte("b")}, [][]byte{[]byte("b"), []byte("a")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := SnapshotKey(tt.a...), SnapshotKey(tt.b...)
			if (a == b) != tt.wantEquals {
				t.Errorf("SnapshotKey(%q) = %s, SnapshotKey(%q) = %s; want equal: %v", tt.a, a, tt.b, b, tt.wantEquals)
			}
			if !snapshotKeyRE.MatchString(a) || len(a) != 32 {
				t.Errorf("SnapshotKey(%q) = %q, want 32 hex digits", tt.a, a)
			}
		})
	}
}

// testSnapshotScope returns a scope of the test's own and removes every
// snapshot of it when the test ends.
func testSnapshotScope(t *testing.T) string {
	t.Helper()
	scope := "test " + t.Name() + " " + dockerRandom()
	t.Cleanup(func() {
		if _, err := PruneSnapshots(context.Background(), scope, 0); err != nil {
			t.Errorf("remove the test's snapshots: %v", err)
		}
	})
	return scope
}

func TestStartDocker_Snapshot(t *testing.T) {
	image := dockerTestImage(t)
	ctx := context.Background()
	scope := testSnapshotScope(t)
	key := SnapshotKey([]byte(dockerRandom()))
	opts := []DockerOption{WithImage(image), WithSnapshot(key), WithSnapshotScope(scope),
		WithDockerSettings(Settings{"work_mem": "5MB"})}

	start := time.Now()
	cold, err := StartDocker(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cold.Close(ctx)
	if cold.(Snapshotter).FromSnapshot() {
		t.Fatal("FromSnapshot() = true before any snapshot was saved")
	}
	if err := CreateDatabase(ctx, cold, "app", ""); err != nil {
		t.Fatal(err)
	}
	execSQL(t, cold.ConnString("app"),
		"CREATE TABLE t (id int PRIMARY KEY, v text)",
		"INSERT INTO t SELECT i, 'v' || i FROM generate_series(1, 50000) i",
		"VACUUM ANALYZE t")
	t.Logf("cold start and seed: %s", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	if err := cold.(Snapshotter).SaveSnapshot(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot saved in %s", time.Since(start).Round(time.Millisecond))
	// The server keeps running after the snapshot.
	execSQL(t, cold.ConnString("app"), "INSERT INTO t VALUES (0, 'after the snapshot')")
	if err := cold.Close(ctx); err != nil {
		t.Fatal(err)
	}

	img, err := testDockerClient(t).ImageInspect(ctx, snapshotRef(key))
	if err != nil {
		t.Fatalf("no snapshot image: %v", err)
	}
	labels := img.Config.Labels
	if labels[snapshotLabel] != key || labels[snapshotScopeLabel] != scope || labels[snapshotDatabaseLabel] != "app" {
		t.Errorf("snapshot labels %v lack the key, scope or database", labels)
	}
	for k, v := range labels {
		if (strings.HasPrefix(k, "org.testcontainers") || k == dockerInstanceLabel) && v != "" {
			t.Errorf("snapshot carries label %s=%s of the run that made it", k, v)
		}
	}

	start = time.Now()
	warm, err := StartDocker(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer warm.Close(ctx)
	t.Logf("warm start: %s", time.Since(start).Round(time.Millisecond))
	if !warm.(Snapshotter).FromSnapshot() {
		t.Fatal("FromSnapshot() = false after a snapshot was saved under the key")
	}
	if d := warm.Describe(); !strings.Contains(d, "seeded snapshot "+key[:12]) {
		t.Errorf("Describe() = %q, want the snapshot named", d)
	}
	conn, err := pgx.Connect(ctx, warm.ConnString("app"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, c := range []struct {
		name, sql string
		want      int64
	}{
		{"rows as seeded", "SELECT count(*) FROM t", 50000},
		{"statistics kept", "SELECT count(*) FROM pg_stats WHERE tablename = 't'", 2},
		{"reltuples kept", "SELECT reltuples::bigint FROM pg_class WHERE relname = 't'", 50000},
		{"all-visible pages kept", "SELECT (relallvisible = relpages)::int FROM pg_class WHERE relname = 't'", 1},
	} {
		var got int64
		if err := conn.QueryRow(ctx, c.sql).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s: %s = %d, want %d", c.name, c.sql, got, c.want)
		}
	}
	var workMem string
	if err := conn.QueryRow(ctx, "SHOW work_mem").Scan(&workMem); err != nil || workMem != "5MB" {
		t.Errorf("work_mem = %q (%v), want the settings given at start", workMem, err)
	}
	if err := warm.(Snapshotter).SaveSnapshot(ctx, "app"); err != nil {
		t.Errorf("SaveSnapshot on a server started from the snapshot: %v", err)
	}

	// Other settings make another seeded state: no snapshot fits.
	other, err := StartDocker(ctx, WithImage(image), WithSnapshot(key), WithSnapshotScope(scope),
		WithDockerSettings(Settings{"work_mem": "6MB"}))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if other.(Snapshotter).FromSnapshot() {
		t.Error("started from a snapshot saved with other settings")
	}
}

func TestStartDocker_SnapshotErrors(t *testing.T) {
	image := dockerTestImage(t)
	ctx := context.Background()
	// An image with a volume over the data directory snapshots would need.
	volumed := testImage(t, image, nil, &container.Config{Volumes: map[string]struct{}{"/var/lib/plangate": {}}})
	tests := []struct {
		name string
		opts []DockerOption
		want string
	}{
		{"bad key", []DockerOption{WithImage(image), WithSnapshot("Not A Tag")}, `snapshot key "Not A Tag": want lowercase`},
		{"data on a volume", []DockerOption{WithImage(volumed), WithSnapshot("0123abcd")},
			"declares a volume at /var/lib/plangate"},
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

	t.Run("save without a key", func(t *testing.T) {
		srv, err := StartDocker(ctx, WithImage(image))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close(ctx)
		if err := srv.(Snapshotter).SaveSnapshot(ctx, "postgres"); err == nil || !strings.Contains(err.Error(), "WithSnapshot") {
			t.Errorf("SaveSnapshot = %v, want an error naming WithSnapshot", err)
		}
	})
}

func TestPruneSnapshots(t *testing.T) {
	image := dockerTestImage(t)
	ctx := context.Background()
	scope, other := testSnapshotScope(t), testSnapshotScope(t)
	cli := testDockerClient(t)
	fake := func(scope, key, created string) string {
		labels := map[string]string{snapshotLabel: key, snapshotScopeLabel: scope, snapshotCreatedLabel: created}
		ref := ""
		if key != "" {
			ref = snapshotRef(key)
		}
		return testImage(t, image, labels, nil, ref)
	}
	k := func(i int) string { return SnapshotKey([]byte(scope), []byte{byte(i)}) }
	oldest := fake(scope, k(1), "2026-01-01T00:00:01Z")
	fake(scope, k(2), "2026-01-01T00:00:02Z")
	newest := fake(scope, k(3), "2026-01-01T00:00:03Z")
	untagged := fake(scope, "", "2026-01-01T00:00:04Z")
	otherScope := fake(other, SnapshotKey([]byte(other)), "2026-01-01T00:00:00Z")

	// A container still using the oldest keeps it.
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Image: oldest})
	if err != nil {
		t.Fatal(err)
	}
	removed, err := PruneSnapshots(ctx, scope, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{snapshotRef(k(2)), untagged}
	sort.Strings(want)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	for ref, wantKept := range map[string]bool{oldest: true, snapshotRef(k(2)): false, newest: true, untagged: false, otherScope: true} {
		_, err := cli.ImageInspect(ctx, ref)
		if kept := err == nil; kept != wantKept {
			t.Errorf("%s kept: %v, want %v (inspect: %v)", ref, kept, wantKept, err)
		}
	}

	if _, err := cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := PruneSnapshots(ctx, scope, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ImageInspect(ctx, oldest); !cerrdefs.IsNotFound(err) {
		t.Errorf("%s kept once no container uses it (inspect: %v)", oldest, err)
	}

	// Every scope: here the untagged one goes, whatever keep says.
	replaced := fake(other, "", "2026-01-01T00:00:05Z")
	removed, err = PruneAllSnapshots(ctx, math.MaxInt32)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(removed, replaced) {
		t.Errorf("PruneAllSnapshots removed %q, not the untagged %s", removed, replaced)
	}
	if _, err := cli.ImageInspect(ctx, otherScope); err != nil {
		t.Errorf("PruneAllSnapshots with a high keep removed %s: %v", otherScope, err)
	}
}

// testImage commits a container created (never started) from base, with
// labels and config, tagged ref when given, and returns the reference or,
// untagged, the ID. The image is removed when the test ends.
func testImage(t *testing.T, base string, labels map[string]string, config *container.Config, ref ...string) string {
	t.Helper()
	ctx := context.Background()
	cli := testDockerClient(t)
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Image: base})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.ContainerRemove(ctx, created.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	if config == nil {
		config = &container.Config{}
	}
	config.Labels = labels
	opts := client.ContainerCommitOptions{Config: config, NoPause: true}
	if len(ref) > 0 && ref[0] != "" {
		opts.Reference = ref[0]
	}
	res, err := cli.ContainerCommit(ctx, created.ID, opts)
	if err != nil {
		t.Fatal(err)
	}
	name := res.ID
	if opts.Reference != "" {
		name = opts.Reference
	}
	t.Cleanup(func() {
		_, err := cli.ImageRemove(context.Background(), name, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			t.Errorf("remove test image %s: %v", name, err)
		}
	})
	return name
}

// execSQL runs statements on the database at connString.
func execSQL(t *testing.T, connString string, statements ...string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, connString)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}
