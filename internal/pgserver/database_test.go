package pgserver

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/plangate/plangate/internal/pgsql"
)

// TestCreateDatabase_SweepsKilledRunsDatabases: a scratch database that a
// killed run left (its marker names a process that is gone, or it is old)
// is dropped when the next run creates one; a live run's, one with a
// session open, and databases that are not plangate's scratch databases
// are kept.
func TestCreateDatabase_SweepsKilledRunsDatabases(t *testing.T) {
	ctx := context.Background()
	srv, err := StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	marker := func(host string, pid int, at time.Time) string {
		return fmt.Sprintf("plangate run: host=%s pid=%d start=1 at=%s", host, pid, at.UTC().Format(time.RFC3339))
	}
	dbs := []struct {
		name, comment string
		session       bool
		kept          bool
	}{
		{"plangate_0123456789ab", marker(host, dead.Process.Pid, time.Now()), false, false},
		{"plangate_test_0123456789ab", marker("elsewhere", 1, time.Now().Add(-2*time.Hour)), false, false},
		{"plangate_aaaaaaaaaaaa", marker("elsewhere", 1, time.Now()), false, true},
		{"plangate_bbbbbbbbbbbb", marker(host, dead.Process.Pid, time.Now()), true, true},
		{"plangate", marker(host, dead.Process.Pid, time.Now()), false, true},
		{"plangate_cccccccccccc", "someone else's", false, true},
		{"plangate_dddddddddddd", "", false, false}, // killed before its comment
		{"plangate_eeeeeeeeeeee", "", false, true},  // being made (below)
	}
	// A run making plangate_eeeeeeeeeeee, not yet at its comment.
	creating, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	defer creating.Close(ctx)
	if _, err := creating.Exec(ctx, "SELECT pg_advisory_lock($1, hashtext($2))", creatingLock, "plangate_eeeeeeeeeeee"); err != nil {
		t.Fatal(err)
	}
	for _, d := range dbs {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+d.name); err != nil {
			t.Fatal(err)
		}
		if d.comment == "" {
			continue
		}
		if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+d.name+" IS "+pgsql.Literal(d.comment)); err != nil {
			t.Fatal(err)
		}
		if d.session {
			s, err := pgx.Connect(ctx, srv.ConnString(d.name))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
		}
	}
	if err := CreateDatabase(ctx, srv, ScratchName("plangate"), ""); err != nil {
		t.Fatal(err)
	}
	for _, d := range dbs {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = $1", d.name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != d.kept {
			t.Errorf("%s: kept = %v, want %v", d.name, n == 1, d.kept)
		}
	}
}
