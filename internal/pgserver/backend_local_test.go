package pgserver

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
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
		_, err := StartLocal(ctx, WithPort(busy))
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

func TestOpenDSN_RefusesRemote(t *testing.T) {
	_, err := OpenDSN(context.Background(), "postgres://u@db.example.com:5432/app", false)
	var re *RemoteHostError
	if !errors.As(err, &re) {
		t.Errorf("want RemoteHostError, got %v", err)
	}
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
