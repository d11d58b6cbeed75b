package seed

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgtest"
)

// fakeCluster stands in for a seeded cluster where only the cache's file
// handling is under test: a cleanly shut down one.
func fakeCluster(content string) func(string) error {
	return fakeClusterIn(content, 1)
}

// fakeClusterIn is a fake cluster whose control file holds state (1: shut
// down, 6: in production).
func fakeClusterIn(content string, state uint32) func(string) error {
	return func(dir string) error {
		if err := os.WriteFile(filepath.Join(dir, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
			return err
		}
		if err := os.Mkdir(filepath.Join(dir, "base"), 0o700); err != nil {
			return err
		}
		if err := os.Mkdir(filepath.Join(dir, "global"), 0o700); err != nil {
			return err
		}
		control := make([]byte, 8192)
		binary.NativeEndian.PutUint32(control[16:], state)
		if err := os.WriteFile(filepath.Join(dir, "global", "pg_control"), control, 0o600); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "base", "1"), []byte(content), 0o600)
	}
}

func TestCache_DataDir(t *testing.T) {
	ctx := context.Background()
	var log bytes.Buffer
	c, err := NewCache(t.TempDir(), WithCacheLog(&log), WithCopyDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	const key = "0123456789abcdef0123456789abcdef"
	builds := 0
	build := func(dir string) error { builds++; return fakeCluster("seeded")(dir) }

	dir1, hit, err := c.DataDir(ctx, key, build)
	if err != nil || hit || builds != 1 {
		t.Fatalf("first DataDir: hit=%v builds=%d err=%v", hit, builds, err)
	}
	// A replay changes its copy; the entry stays as built.
	if err := os.WriteFile(filepath.Join(dir1, "base", "1"), []byte("changed by a replay"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir2, hit, err := c.DataDir(ctx, key, build)
	if err != nil || !hit || builds != 1 {
		t.Fatalf("second DataDir: hit=%v builds=%d err=%v", hit, builds, err)
	}
	if dir1 == dir2 {
		t.Errorf("both runs got %s", dir1)
	}
	if got, _ := os.ReadFile(filepath.Join(dir2, "base", "1")); string(got) != "seeded" {
		t.Errorf("the copy holds %q: the entry was modified", got)
	}
	if info, err := os.Stat(dir2); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("copy mode = %v (%v), want 0700 as the server requires", info.Mode().Perm(), err)
	}
	for _, want := range []string{"cache miss: key " + key, "cache hit: key " + key + " at " + c.EntryPath(key)} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestCache_DataDirErrors(t *testing.T) {
	ctx := context.Background()
	c, err := NewCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, key string
		build     func(string) error
		want      string
	}{
		{"bad key", "../../etc", fakeCluster(""), `key "../../etc": want 8 to 64 lowercase hex digits`},
		{"build fails", "aaaaaaaa", func(string) error { return errors.New("initdb: no space left") }, "build key aaaaaaaa: initdb: no space left"},
		{"build leaves nothing", "bbbbbbbb", func(string) error { return nil }, "left no cluster"},
		{"server still running", "cccccccc", func(dir string) error {
			if err := fakeCluster("")(dir); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dir, "postmaster.pid"), []byte("4242\n"), 0o600)
		}, "left its server running (postmaster.pid: pid 4242)"},
		{"server not shut down cleanly", "dddddddd", fakeClusterIn("", 6), "left a cluster that was not shut down cleanly (database cluster state: in production): not kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.DataDir(ctx, tt.key, tt.build)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
			if keyRE.MatchString(tt.key) {
				if _, err := os.Stat(filepath.Join(c.Dir(), tt.key)); !os.IsNotExist(err) {
					t.Errorf("a failed build left an entry (%v)", err)
				}
			}
		})
	}
	leftovers, _ := filepath.Glob(filepath.Join(c.Dir(), ".build-*"))
	if len(leftovers) > 0 {
		t.Errorf("build directories left behind: %v", leftovers)
	}
}

func TestCache_Prune(t *testing.T) {
	ctx := context.Background()
	c, err := NewCache(t.TempDir(), WithCopyDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{"11111111", "22222222", "33333333"}
	for i, k := range keys {
		if _, _, err := c.DataDir(ctx, k, fakeCluster(k)); err != nil {
			t.Fatal(err)
		}
		at := time.Now().Add(time.Duration(i-10) * time.Minute)
		os.Chtimes(filepath.Join(c.Dir(), k), at, at)
	}
	removed, err := c.Prune(ctx, 2)
	if err != nil || len(removed) != 1 || removed[0] != "11111111" {
		t.Fatalf("Prune removed %v (%v), want the least recently used", removed, err)
	}
	if _, err := os.Stat(c.EntryPath("33333333")); err != nil {
		t.Error("Prune removed a recent entry")
	}
}

func TestCacheKey(t *testing.T) {
	dir := t.TempDir()
	schema := write(t, dir, "schema.sql", "CREATE TABLE t (id int);")
	moved := write(t, t.TempDir(), "renamed.sql", "CREATE TABLE t (id int);")
	other := write(t, dir, "other.sql", "CREATE TABLE t (id bigint);")
	spec := mustSpec(t, "version: 1\ntables: {t: {rows: 10, columns: {id: {generator: sequence}}}}\n")
	spec2 := mustSpec(t, "version: 1\ntables: {t: {rows: 11, columns: {id: {generator: sequence}}}}\n")
	base := CacheKey{SchemaFiles: []string{schema}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "15.18"}
	hash := func(k CacheKey) string {
		t.Helper()
		h, err := k.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	want := hash(base)
	if len(want) != 32 || !keyRE.MatchString(want) {
		t.Fatalf("key %q is not 32 hex digits", want)
	}
	same := map[string]CacheKey{
		"same inputs":         base,
		"schema file moved":   {SchemaFiles: []string{moved}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "15.18"},
		"scale 0 counts as 1": {SchemaFiles: []string{schema}, Spec: spec, Scale: 0, Seed: 1, PostgresVersion: "15.18"},
	}
	for name, k := range same {
		if got := hash(k); got != want {
			t.Errorf("%s: key %s, want %s", name, got, want)
		}
	}
	differ := map[string]CacheKey{
		"schema content":   {SchemaFiles: []string{other}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "15.18"},
		"spec":             {SchemaFiles: []string{schema}, Spec: spec2, Scale: 1, Seed: 1, PostgresVersion: "15.18"},
		"scale":            {SchemaFiles: []string{schema}, Spec: spec, Scale: 0.5, Seed: 1, PostgresVersion: "15.18"},
		"seed":             {SchemaFiles: []string{schema}, Spec: spec, Scale: 1, Seed: 2, PostgresVersion: "15.18"},
		"postgres version": {SchemaFiles: []string{schema}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "16.4"},
		"seed files":       {SchemaFiles: []string{schema}, SeedFiles: []string{other}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "15.18"},
		"extra":            {SchemaFiles: []string{schema}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "15.18", Extra: []string{"locale=C"}},
		"schema as seed":   {SeedFiles: []string{schema}, Spec: spec, Scale: 1, Seed: 1, PostgresVersion: "15.18"},
	}
	for name, k := range differ {
		if got := hash(k); got == want {
			t.Errorf("%s changed but the key did not", name)
		}
	}
	if _, err := (CacheKey{Spec: spec}).Hash(); err == nil {
		t.Error("a key without the PostgreSQL version")
	}
	if _, err := (CacheKey{SchemaFiles: []string{filepath.Join(dir, "nope.sql")}, PostgresVersion: "15"}).Hash(); err == nil {
		t.Error("a key from a missing schema file")
	}
}

// TestCache_SeededCluster seeds a real cluster through the cache, then
// starts servers on copies: the second run is a hit, sees the same data,
// and what the first run changed in its copy is not in the cache.
func TestCache_SeededCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts clusters")
	}
	ctx := context.Background()
	bin, err := pgserver.FindBinaries(ctx, "")
	if err != nil {
		t.Skip(err)
	}
	cacheDir := pgtest.ServerReachableDir(t)
	c, err := NewCache(cacheDir, WithCopyDir(pgtest.ServerReachableDir(t)))
	if err != nil {
		t.Fatal(err)
	}
	spec := mustSpec(t, shopSpec)
	key, err := CacheKey{Spec: spec, Seed: spec.Seed, PostgresVersion: bin.Version, Extra: []string{shopSchema}}.Hash()
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]string
	builds := 0
	build := func(dataDir string) error {
		builds++
		srv := startServer(t, bin, dataDir)
		defer stopServer(t, srv)
		dsn := srv.ConnString("")
		conn := connect(t, dsn)
		if _, err := conn.Exec(ctx, shopSchema); err != nil {
			return err
		}
		if _, err := Generate(ctx, dsn, spec); err != nil {
			return err
		}
		want = checksums(t, dsn, "customers", "orders", "items")
		return nil
	}

	dir, hit, err := c.DataDir(ctx, key, build)
	if err != nil || hit {
		t.Fatalf("first run: hit=%v, %v", hit, err)
	}
	srv := startServer(t, bin, dir)
	if got := checksums(t, srv.ConnString(""), "customers", "orders", "items"); !equalMaps(got, want) {
		t.Errorf("first copy: %v, seeded %v", got, want)
	}
	if _, err := connect(t, srv.ConnString("")).Exec(ctx, "TRUNCATE items"); err != nil {
		t.Fatal(err)
	}
	stopServer(t, srv)
	os.RemoveAll(dir)

	start := time.Now()
	dir, hit, err = c.DataDir(ctx, key, build)
	if err != nil || !hit || builds != 1 {
		t.Fatalf("second run: hit=%v builds=%d, %v", hit, builds, err)
	}
	defer os.RemoveAll(dir)
	srv = startServer(t, bin, dir)
	defer stopServer(t, srv)
	t.Logf("warm start (copy and server start): %s", time.Since(start))
	if got := checksums(t, srv.ConnString(""), "customers", "orders", "items"); !equalMaps(got, want) {
		t.Errorf("second copy: %v, seeded %v", got, want)
	}
	// The planner statistics came along with the data.
	if n := queryFloat(t, connect(t, srv.ConnString("")), `SELECT count(*) FROM pg_stats WHERE tablename = 'orders'`); n == 0 {
		t.Error("no statistics in the cached cluster")
	}
}

// startServer starts a local server on dataDir, running initdb first when
// the directory is empty. Close it (a fast shutdown, which ends with a
// checkpoint) before using the directory; it is closed at the end of the
// test in any case.
func startServer(t *testing.T, bin pgserver.Binaries, dataDir string) pgserver.Server {
	t.Helper()
	srv, err := pgserver.StartLocal(context.Background(), pgserver.WithBinDir(bin.Dir), pgserver.WithDataDir(dataDir))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

// stopServer closes srv, failing the test if it does not stop cleanly.
func stopServer(t *testing.T, srv pgserver.Server) {
	t.Helper()
	if err := srv.Close(context.Background()); err != nil {
		t.Error(err)
	}
}
