// Command plangate is a CI gate for PostgreSQL query plans: it replays an
// application's SQL against a seeded Postgres, turns each plan into metrics
// and fails when a change makes them worse than the committed baseline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/plangate/plangate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
