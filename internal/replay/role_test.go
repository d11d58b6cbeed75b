package replay

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/plangate/plangate/internal/pgsql"
)

// admin connects to dsn as the role that seeded it, for the test's own
// checks; the connection is closed when the test ends.
func admin(t *testing.T, dsn string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestRun_ServerWideFunctionsFail: a replayed statement runs as the run's
// unprivileged role, so functions that act on the server as a whole fail as
// that statement's error, the run goes on, and the server is left as it was.
func TestRun_ServerWideFunctionsFail(t *testing.T) {
	ctx := context.Background()
	dsn := seeded(t)
	check := admin(t, dsn)
	victim := admin(t, dsn)
	mustExec(t, check, "CREATE EXTENSION IF NOT EXISTS dblink")
	r := newReplayer(t, dsn)
	tests := []struct {
		name, sql string
		readOnly  bool
	}{
		{"terminate another session", fmt.Sprintf("SELECT pg_terminate_backend(%d)", victim.PgConn().PID()), true},
		{"cancel another session", fmt.Sprintf("SELECT pg_cancel_backend(%d)", victim.PgConn().PID()), true},
		{"physical replication slot", "SELECT pg_create_physical_replication_slot('plangate_test_slot', true)", true},
		{"logical replication slot", "SELECT pg_create_logical_replication_slot('plangate_test_slot', 'test_decoding')", false},
		{"read a server file", "SELECT pg_read_file('/etc/hostname')::int", true},
		{"read a binary file", "SELECT pg_read_binary_file('/etc/hostname')", true},
		{"list a server directory", "SELECT pg_ls_dir('.')", true},
		{"large object import", "SELECT lo_import('/etc/hostname')", false},
		{"large object export", "SELECT lo_export(lo_create(0), '/tmp/plangate-lo-export')", false},
		{"reload configuration", "SELECT pg_reload_conf()", true},
		{"switch WAL", "SELECT pg_switch_wal()", true},
		{"lift temp_file_limit", "SELECT set_config('temp_file_limit', '-1', false)", true},
		{"become a superuser", "SELECT set_config('role', 'postgres', false)", true},
		{"session authorization", "SELECT set_config('session_authorization', 'postgres', false)", true},
		{"dblink", "SELECT * FROM dblink('dbname=postgres', 'SELECT 1') AS t(x int)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Run(ctx, Query{SQL: tt.sql, ReadOnly: tt.readOnly})
			if err != nil {
				t.Fatalf("the run failed: %v", err)
			}
			if res.Err == nil {
				t.Fatalf("the statement succeeded: %s", res.Explain)
			}
			if res.Err.Code != "42501" && !strings.Contains(res.Err.Message, "permission denied") && !strings.Contains(res.Err.Message, "must be") {
				t.Errorf("want a privilege error, got %+v", res.Err)
			}
		})
	}
	var alive int
	if err := victim.QueryRow(ctx, "SELECT 1").Scan(&alive); err != nil {
		t.Errorf("another session was terminated: %v", err)
	}
	var slots int
	if err := check.QueryRow(ctx, "SELECT count(*) FROM pg_replication_slots").Scan(&slots); err != nil || slots != 0 {
		t.Errorf("replication slots left: %d (%v)", slots, err)
	}
}

// TestRun_StatementEndsItsOwnSession: a statement that terminates its own
// backend is that statement's error; the next statement runs on a new
// session with the same settings.
func TestRun_StatementEndsItsOwnSession(t *testing.T) {
	ctx := context.Background()
	r := newReplayer(t, seeded(t), WithTimeout(700*time.Millisecond))
	res, err := r.Run(ctx, Query{SQL: "SELECT pg_terminate_backend(pg_backend_pid())", ReadOnly: true})
	if err != nil {
		t.Fatalf("the run failed: %v", err)
	}
	if res.Err == nil || res.Err.Kind != ErrorStatement || !strings.Contains(res.Err.Message, "ended its session") {
		t.Fatalf("want the statement's error, got %+v", res.Err)
	}
	res, err = r.Run(ctx, Query{SQL: "SELECT pg_sleep(5)", ReadOnly: true})
	if err != nil || res.Err == nil || res.Err.Kind != ErrorTimeout {
		t.Errorf("after a new session: want a timeout, got err=%v stmt=%+v", err, res.Err)
	}
}

// TestRun_LimitsCannotBeLifted: set_config() in a replayed statement
// cannot lift statement_timeout or temp_file_limit for itself or for the
// statements after it.
func TestRun_LimitsCannotBeLifted(t *testing.T) {
	ctx := context.Background()
	r := newReplayer(t, seeded(t), WithTimeout(500*time.Millisecond), WithTempFileLimit("1MB"),
		WithSettings(map[string]string{"work_mem": "64kB"}))
	tests := []struct {
		name, sql string
		kind      ErrorKind
	}{
		{"lift the timeout", "SELECT set_config('statement_timeout', '0', false)", ""},
		{"sleep after lifting it", "SELECT pg_sleep(3)", ErrorTimeout},
		{"lift and sleep at once", "SELECT set_config('statement_timeout', '0', false), pg_sleep(3)", ErrorTimeout},
		{"lift it in a CTE", "WITH x AS MATERIALIZED (SELECT set_config('statement_timeout', '0', true)) SELECT pg_sleep(3) FROM x", ErrorTimeout},
		{"lift the lock timeout", "SELECT set_config('lock_timeout', '0', false)", ""},
		{"spill after lifting temp_file_limit", "SELECT * FROM items a JOIN items b USING (kind) ORDER BY a.note LIMIT 1", ErrorTempLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Run(ctx, Query{SQL: tt.sql, ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.kind == "" && res.Err != nil:
				t.Errorf("unexpected error %+v", res.Err)
			case tt.kind != "" && (res.Err == nil || res.Err.Kind != tt.kind):
				t.Errorf("want %s, got %+v", tt.kind, res.Err)
			}
		})
	}
	var timeout, lock string
	if err := r.conn.QueryRow(ctx, "SELECT current_setting('statement_timeout'), current_setting('lock_timeout')").Scan(&timeout, &lock); err != nil {
		t.Fatal(err)
	}
	if timeout != "500ms" || lock != "500ms" {
		t.Errorf("statement_timeout = %s, lock_timeout = %s after the replays, want 500ms", timeout, lock)
	}
}

// TestRun_AdvisoryLocksDoNotOutliveTheStatement: a session-level advisory
// lock taken by a replayed statement is released after it.
func TestRun_AdvisoryLocksDoNotOutliveTheStatement(t *testing.T) {
	ctx := context.Background()
	dsn := seeded(t)
	r := newReplayer(t, dsn)
	if res, err := r.Run(ctx, Query{SQL: "SELECT pg_advisory_lock(42)", ReadOnly: true}); err != nil || res.Err != nil {
		t.Fatalf("err=%v stmt=%v", err, res.Err)
	}
	var held int
	if err := admin(t, dsn).QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'").Scan(&held); err != nil || held != 0 {
		t.Errorf("%d advisory locks held after the statement (%v)", held, err)
	}
}

// TestNew_RoleIsTheRunsOwn: replays run as a role made for the run, which
// is no superuser and is gone after Close.
func TestNew_RoleIsTheRunsOwn(t *testing.T) {
	ctx := context.Background()
	dsn := seeded(t)
	check := admin(t, dsn)
	r, err := New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	var user string
	var super bool
	if err := r.conn.QueryRow(ctx, "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&user, &super); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(user, rolePrefix) || super {
		t.Errorf("replays run as %s (superuser %v), want an unprivileged %s* role", user, super, rolePrefix)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := check.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", user).Scan(&left); err != nil || left != 0 {
		t.Errorf("role %s left after Close (%v)", user, err)
	}
}

// TestNew_SweepsRolesOfKilledRuns: a role a killed run left (its marker
// names a process that is gone) is dropped by the next run; a role of a
// live run, or one that is not plangate's, is kept.
func TestNew_SweepsRolesOfKilledRuns(t *testing.T) {
	ctx := context.Background()
	dsn := seeded(t)
	check := admin(t, dsn)
	host, _ := os.Hostname()
	marker := func(host string, pid int, at time.Time) string {
		return fmt.Sprintf("plangate run: host=%s pid=%d start=1 at=%s", host, pid, at.UTC().Format(time.RFC3339))
	}
	roles := map[string]string{
		rolePrefix + "killed":  marker(host, deadPID(t), time.Now()),
		rolePrefix + "old":     marker("elsewhere", 1, time.Now().Add(-time.Hour)),
		rolePrefix + "live":    marker("elsewhere", 1, time.Now()),
		rolePrefix + "foreign": "someone else's role",
	}
	for name, comment := range roles {
		mustExec(t, check, "CREATE ROLE "+name)
		mustExec(t, check, "COMMENT ON ROLE "+name+" IS "+pgsql.Literal(comment))
		t.Cleanup(func() { check.Exec(context.Background(), "DROP ROLE IF EXISTS "+name) })
	}
	newReplayer(t, dsn)
	for name, kept := range map[string]bool{rolePrefix + "killed": false, rolePrefix + "old": false, rolePrefix + "live": true, rolePrefix + "foreign": true} {
		var n int
		if err := check.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if (n == 1) != kept {
			t.Errorf("%s: kept = %v, want %v", name, n == 1, kept)
		}
	}
}

// TestNew_WithoutCreateRole: a role that may not create roles (a server the
// user names) replays as itself, with a warning.
func TestNew_WithoutCreateRole(t *testing.T) {
	ctx := context.Background()
	dsn := seeded(t)
	check := admin(t, dsn)
	mustExec(t, check, "CREATE ROLE plangate_test_app LOGIN")
	t.Cleanup(func() {
		check.Exec(context.Background(), "DROP OWNED BY plangate_test_app")
		check.Exec(context.Background(), "DROP ROLE plangate_test_app")
	})
	mustExec(t, check, "GRANT SELECT ON items TO plangate_test_app")
	var warn strings.Builder
	r, err := New(ctx, withUser(t, dsn, "plangate_test_app"), WithWarnings(&warn))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if !strings.Contains(warn.String(), "may not create roles") || !strings.Contains(warn.String(), "temp_file_limit not set") {
		t.Errorf("warnings = %q", warn.String())
	}
	if res, err := r.Run(ctx, Query{SQL: "SELECT count(*) FROM items", ReadOnly: true}); err != nil || res.Err != nil {
		t.Errorf("err=%v stmt=%v", err, res.Err)
	}
}

func mustExec(t *testing.T, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// withUser returns dsn (URL form) connecting as user.
func withUser(t *testing.T, dsn, user string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		return dsn + " user=" + user
	}
	q := u.Query()
	q.Set("user", user)
	u.User, u.RawQuery = nil, q.Encode()
	return u.String()
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}
