package cli

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
)

// TestDSNBackend runs baseline and check on a server the user names: the
// seeded state stays on the server as a template database named by its
// key, which each run clones into a scratch database and drops afterwards;
// a project keeps its three most recently used templates. A role that is
// not a superuser gets a warning that temp_file_limit could not be set, not
// a failure.
func TestDSNBackend(t *testing.T) {
	ctx := context.Background()
	srv, err := pgserver.StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	admin, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE ROLE app LOGIN CREATEDB"); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("user", "app")
	u.RawQuery = q.Encode()

	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	// databases lists plangate's databases: name and oid.
	databases := func() map[string]uint32 {
		rows, err := admin.Query(ctx, "SELECT datname, oid FROM pg_database WHERE datname LIKE 'plangate%'")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]uint32{}
		var name string
		var oid uint32
		if _, err := pgx.ForEachRow(rows, []any{&name, &oid}, func() error { out[name] = oid; return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	run := func(args ...string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append(args, "--config", filepath.Join(work, "plangate.yaml"), "--backend", "dsn", "--dsn", u.String())
		if code := Main(ctx, args, strings.NewReader(""), &stdout, &stderr); code != ExitPass {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "temp_file_limit not set: it needs a superuser") {
			t.Errorf("%v: no warning about temp_file_limit: %q", args, stderr.String())
		}
	}

	run("baseline")
	first := databases()
	if len(first) != 1 {
		t.Fatalf("after baseline: %v, want the seeded template alone (no scratch database)", first)
	}
	run("check")
	if again := databases(); !maps.Equal(again, first) {
		t.Errorf("check on unchanged schema and seed: databases %v, want the same template %v reused", again, first)
	}
	run("check", "--no-cache")
	if again := databases(); !maps.Equal(again, first) {
		t.Errorf("check --no-cache: databases %v, want only the template %v (the scratch database dropped)", again, first)
	}

	// Four schemas: the oldest template is pruned.
	schema := filepath.Join(work, "schema.sql")
	for i := 1; i <= 3; i++ {
		f, err := os.OpenFile(schema, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "\nCREATE TABLE change_%d (id int);\n", i)
		f.Close()
		run("baseline")
	}
	last := databases()
	if len(last) != 3 {
		t.Errorf("after four schemas: %v, want the three most recent templates", last)
	}
	for name := range first {
		if _, ok := last[name]; ok {
			t.Errorf("the first schema's template %s was not pruned: %v", name, last)
		}
	}
}

// TestDSNBackend_Version: a server of another major than postgres.version
// is refused in one line naming both, and leaves no scratch database.
func TestDSNBackend_Version(t *testing.T) {
	ctx := context.Background()
	srv, err := pgserver.StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	num, err := pgserver.ServerVersionNum(ctx, srv.ConnString(""))
	if err != nil {
		t.Fatal(err)
	}
	major := num / 10000
	work := t.TempDir()
	if err := os.CopyFS(work, os.DirFS("testdata/project")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(work, "plangate.yaml")
	for _, v := range []struct {
		version int
		code    int
	}{{major + 1, ExitError}, {major, ExitPass}} {
		data, err := os.ReadFile(filepath.Join("testdata", "project", "plangate.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		data = []byte(strings.Replace(string(data), "postgres:\n", fmt.Sprintf("postgres:\n  version: %d\n", v.version), 1))
		if err := os.WriteFile(cfg, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		args := []string{"baseline", "--config", cfg, "--backend", "dsn", "--dsn", srv.ConnString("")}
		if code := Main(ctx, args, strings.NewReader(""), &stdout, &stderr); code != v.code {
			t.Fatalf("version %d: exit %d, want %d\n%s\n%s", v.version, code, v.code, stdout.String(), stderr.String())
		}
		if v.code == ExitPass {
			continue
		}
		want := fmt.Sprintf("runs PostgreSQL %d.", major)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], fmt.Sprintf("postgres.version in plangate.yaml is %d", v.version)) {
			t.Errorf("stderr %q, want one line saying the server %s and the configured version", stderr.String(), want)
		}
	}
}
