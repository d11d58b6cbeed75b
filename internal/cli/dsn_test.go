package cli

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/pgserver"
)

// TestDSNBackend runs baseline and check on a server the user names: plangate
// works in a scratch database it drops afterwards, and a role that is not a
// superuser gets a warning that temp_file_limit could not be set, not a
// failure.
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
	databases := func() []string {
		rows, err := admin.Query(ctx, "SELECT datname FROM pg_database WHERE datname LIKE 'plangate%' ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	for _, args := range [][]string{{"baseline"}, {"check"}} {
		var stdout, stderr bytes.Buffer
		args = append(args, "--config", filepath.Join(work, "plangate.yaml"), "--backend", "dsn", "--dsn", u.String())
		if code := Main(ctx, args, strings.NewReader(""), &stdout, &stderr); code != ExitPass {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout.String(), stderr.String())
		}
		if !strings.Contains(stderr.String(), "temp_file_limit not set: it needs a superuser") {
			t.Errorf("%v: no warning about temp_file_limit: %q", args, stderr.String())
		}
		if left := databases(); len(left) != 0 {
			t.Errorf("%v: scratch databases left behind: %v", args, left)
		}
	}
}
