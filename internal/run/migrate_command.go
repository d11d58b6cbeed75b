package run

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/pgserver"
	"github.com/plangate/plangate/internal/pgsql"
)

// recordCommand runs the project's own migration tool (migrations.command,
// through sh) against a throwaway copy of the seeded database, through
// plangate's recording proxy, and writes the statements it ran, in order,
// to one migration file: Run then replays them on the seeded database
// itself, one by one and measured, as it does a directory of .sql files.
// The tool sees DATABASE_URL and the PG* variables of the copy.
func recordCommand(ctx context.Context, cfg config.Config, env Env, sd *Seeded) (files []string, cleanup func(), err error) {
	cleanup = func() {}
	copyDB := pgserver.ScratchName("plangate_migrate")
	env.progress().Stage("copying the seeded database for %s", cfg.Migrations.Command)
	if err := pgserver.CreateDatabase(ctx, sd.Server, copyDB, sd.DB); err != nil {
		return nil, cleanup, fmt.Errorf("migrations: copy the seeded database: %w", err)
	}
	defer func() {
		if derr := pgserver.DropDatabase(context.WithoutCancel(ctx), sd.Server, copyDB); derr != nil && err == nil {
			err = derr
		}
	}()

	var mu sync.Mutex
	var recorded []capture.Execution
	upstream := sd.Server.ConnString(copyDB)
	proxy, err := capture.NewProxy(upstream, capture.WithEveryStatement(), capture.WithRecorder(func(e capture.Execution) {
		mu.Lock()
		defer mu.Unlock()
		recorded = append(recorded, e)
	}))
	if err != nil {
		return nil, cleanup, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, cleanup, fmt.Errorf("migrations: %w", err)
	}
	proxyCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- proxy.Serve(proxyCtx, ln) }()

	up, err := pgconn.ParseConfig(upstream)
	if err != nil {
		stop()
		return nil, cleanup, err
	}
	env.progress().Stage("recording %s", cfg.Migrations.Command)
	cmd := exec.CommandContext(ctx, "sh", "-c", cfg.Migrations.Command)
	cmd.Dir = cfg.Dir
	cmd.Env = capture.ClientEnv(os.Environ(), up, ln.Addr().(*net.TCPAddr))
	out, runErr := cmd.CombinedOutput()
	stop()
	if serr := <-served; serr != nil && runErr == nil {
		runErr = serr
	}
	if runErr != nil {
		return nil, cleanup, fmt.Errorf("migrations: %s: %v; its output:\n%s", cfg.Migrations.Command, runErr, tail(string(out), 20))
	}
	if len(recorded) == 0 {
		return nil, cleanup, fmt.Errorf("migrations: %s ran no statements through plangate's proxy: point it at DATABASE_URL or the PG* variables", cfg.Migrations.Command)
	}

	dir, err := os.MkdirTemp("", "plangate-migrate-")
	if err != nil {
		return nil, cleanup, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	var b strings.Builder
	for _, e := range recorded {
		b.WriteString(strings.TrimRight(strings.TrimSpace(inlineParams(e.SQL, e.Params)), ";"))
		b.WriteString(";\n\n")
	}
	file := filepath.Join(dir, "recorded.sql")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		cleanup()
		return nil, func() {}, err
	}
	return []string{file}, cleanup, nil
}

// placeholder is a $n parameter reference.
var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// inlineParams writes a statement's bound values into it as literals, so
// that it runs as the tool ran it (a migration tool's bookkeeping, such as
// recording the version it applied, binds values).
func inlineParams(sql string, params []capture.Param) string {
	if len(params) == 0 {
		return sql
	}
	return placeholder.ReplaceAllStringFunc(sql, func(ref string) string {
		n, _ := strconv.Atoi(ref[1:])
		if n < 1 || n > len(params) {
			return ref
		}
		p := params[n-1]
		if p.Null {
			return "NULL"
		}
		// An untyped literal takes its type from where it stands, as the
		// parameter did.
		return pgsql.Literal(p.Value)
	})
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
