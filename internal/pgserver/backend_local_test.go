package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/diskfull"
	"github.com/plangate/plangate/internal/leftover"
)

func TestStartLocal_SettingsAndTeardown(t *testing.T) {
	ctx := context.Background()
	srv, err := StartLocal(ctx, WithSettings(Settings{"work_mem": "7MB", "random_page_cost": "1.1"}))
	if err != nil {
		t.Fatal(err)
	}
	l := srv.(*local)
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	for setting, want := range map[string]string{"work_mem": "7MB", "random_page_cost": "1.1", "jit": "off", "autovacuum": "off"} {
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
	if _, err := os.Stat(l.dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists after Close", l.dir)
	}
	if _, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(l.port))); err == nil {
		t.Errorf("port %d still answers after Close", l.port)
	}
}

func TestStartLocal_Errors(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := ln.Addr().(*net.TCPAddr).Port

	t.Run("port in use", func(t *testing.T) {
		_, err := StartLocal(ctx, WithPort(busy), WithTCP())
		var pe *PortInUseError
		if !errors.As(err, &pe) || pe.Port != busy {
			t.Errorf("want PortInUseError for %d, got %v", busy, err)
		}
	})
	t.Run("no binaries", func(t *testing.T) {
		_, err := StartLocal(ctx, WithBinDir(t.TempDir()))
		if err == nil {
			t.Fatal("started without binaries")
		}
	})
	t.Run("unknown setting", func(t *testing.T) {
		_, err := StartLocal(ctx, WithSettings(Settings{"work_mme": "4MB"}))
		if err == nil || !strings.Contains(err.Error(), "work_mme") {
			t.Errorf("want error naming work_mme, got %v", err)
		}
	})
}

func TestFindBinaries_NewestWins(t *testing.T) {
	if !versionLess("9.6", "15.2") || versionLess("16.1", "15.9") || !versionLess("15.2", "15.10") {
		t.Error("versionLess orders versions wrongly")
	}
}

func TestStartLocal_DataDirOutlivesTheServer(t *testing.T) {
	ctx := context.Background()
	// Under root the server runs as another user, who must reach the
	// directory: t.TempDir() is private to root.
	base, err := os.MkdirTemp("/tmp", "plangate-datadir-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if !ServerUserCanReach(base, "") {
		t.Fatalf("%s not reachable by the server's user", base)
	}
	dir := filepath.Join(base, "cluster")
	exec := func(sql string) {
		t.Helper()
		srv, err := StartLocal(ctx, WithDataDir(dir))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close(ctx)
		conn, err := pgx.Connect(ctx, srv.ConnString(""))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("CREATE TABLE kept (id int)")
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err != nil {
		t.Fatalf("data directory gone after Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postmaster.pid")); !os.IsNotExist(err) {
		t.Errorf("postmaster.pid left behind: %v", err)
	}
	exec("INSERT INTO kept VALUES (1)") // fails unless the table survived
}

// TestStartLocal_PrivateSocketOnly: the cluster listens on no TCP port, only
// on a unix socket in a directory that no other user can enter, and refuses
// TCP connections should a setting open a port.
func TestStartLocal_PrivateSocketOnly(t *testing.T) {
	ctx := context.Background()
	srv, err := StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	l := srv.(*local)
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var listen, perms string
	if err := conn.QueryRow(ctx, "SELECT current_setting('listen_addresses'), current_setting('unix_socket_permissions')").Scan(&listen, &perms); err != nil {
		t.Fatal(err)
	}
	if listen != "" || perms != "0700" {
		t.Errorf("listen_addresses = %q, unix_socket_permissions = %s; want none and 0700", listen, perms)
	}
	if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(l.port))); err == nil {
		c.Close()
		t.Errorf("port %d answers", l.port)
	}
	info, err := os.Stat(l.dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("socket directory %s mode %v (%v), want 0700", l.dir, info.Mode().Perm(), err)
	}
	rows, err := conn.Query(ctx, "SELECT type, auth_method FROM pg_hba_file_rules WHERE error IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, method string
		if err := rows.Scan(&typ, &method); err != nil {
			t.Fatal(err)
		}
		if typ != "local" && method != "reject" {
			t.Errorf("pg_hba.conf: %s connections by %s, want only local ones", typ, method)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// reachableDir returns a directory the server's user can reach (under
// root, t.TempDir() is private to root), removed when the test ends.
func reachableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", "plangate-pgserver-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// smallDisk mounts a tmpfs of size bytes for the test, skipping the test
// where that cannot be done (not root, no mount permission).
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small disk needs root")
	}
	dir := reachableDir(t)
	if out, err := osexec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.Itoa(size)+",mode=0755", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() { osexec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestStartLocal_UncleanShutdownIsAnError: a data directory whose server
// died instead of shutting down cleanly (kill -9) makes Close fail: a
// cache must not keep it.
func TestStartLocal_UncleanShutdownIsAnError(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(reachableDir(t), "cluster")
	srv, err := StartLocal(ctx, WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.(*local).cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(ctx); err == nil || !strings.Contains(err.Error(), "not shut down cleanly (database cluster state: in production)") {
		t.Errorf("Close after kill -9: %v", err)
	}
	// Crash recovery, then a clean shutdown.
	srv, err = StartLocal(ctx, WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(ctx); err != nil {
		t.Errorf("Close after a clean shutdown: %v", err)
	}
}

// TestStartLocal_DiskFull: a server that ran out of space says "disk full"
// with the path and its free space.
func TestStartLocal_DiskFull(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(smallDisk(t, 80<<20), "cluster")
	srv, err := StartLocal(ctx, WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		srv.Close(ctx)
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "CREATE TABLE filler AS SELECT repeat('x', 1000) AS x FROM generate_series(1, 200000)")
	conn.Close(ctx)
	if err == nil {
		t.Fatal("filled 200 MB into an 80 MB disk")
	}
	err = srv.Close(ctx)
	var full *diskfull.Error
	if !errors.As(err, &full) || full.Path != dir || !strings.Contains(err.Error(), "disk full: "+dir+" (") {
		t.Errorf("Close: %v", err)
	}
}

// TestStartLocal_SweepsKilledRunsDirectories: a cluster directory a killed
// run left (its marker names a process that is gone) is removed when the
// next cluster starts beside it; a live run's is kept.
func TestStartLocal_SweepsKilledRunsDirectories(t *testing.T) {
	ctx := context.Background()
	base := reachableDir(t)
	dead := osexec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	dirs := map[string]string{
		"plangate-pg-killed": fmt.Sprintf("plangate run: host=%s pid=%d start=1 at=%s", host, dead.Process.Pid, time.Now().UTC().Format(time.RFC3339)),
		"plangate-pg-live":   leftover.Marker(),
	}
	for name, marker := range dirs {
		if err := os.MkdirAll(filepath.Join(base, name, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(base, name, leftover.File), []byte(marker), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv, err := StartLocal(ctx, WithTempDir(base))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	if _, err := os.Stat(filepath.Join(base, "plangate-pg-killed")); !os.IsNotExist(err) {
		t.Errorf("the killed run's directory is still there (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(base, "plangate-pg-live")); err != nil {
		t.Errorf("the live run's directory was removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(srv.(*local).dir, leftover.File)); err != nil {
		t.Errorf("the cluster's directory is not marked: %v", err)
	}
}
