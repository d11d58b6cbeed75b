// Command orm-app is a small blog API on the bun ORM, the example
// application for plangate's recording proxy. Its releases (ORM_APP_VERSION
// 1, 2 and 3) differ the way real releases regress: release 2 adds an
// aggregation to a paginated list, whose count then aggregates the whole
// table; release 3 loads related rows one query per row.
//
//	DATABASE_URL=postgres://... ORM_APP_VERSION=2 go run ./examples/orm-app -addr :8080
//
// capture.sh records the SQL its tests send for each release, and
// plangate.yaml gates the captures against a seeded database.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "orm-app:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("orm-app", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve the API on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	version, err := VersionFromEnv()
	if err != nil {
		return err
	}
	db, err := OpenDB("orm-app", nil)
	if err != nil {
		return err
	}
	defer db.Close()
	srv := &http.Server{Addr: *addr, Handler: NewServer(db, version).Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(os.Stderr, "orm-app: release %d serving on %s\n", version, *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
