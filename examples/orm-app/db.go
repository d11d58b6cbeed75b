package main

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/driver/pgdriver"
)

// errNoDatabase is returned when the environment names no database.
var errNoDatabase = errors.New("no database: set DATABASE_URL (or PGHOST and friends)")

// OpenDB connects to the database named by DATABASE_URL, or else by PGHOST,
// PGPORT, PGUSER, PGPASSWORD, PGDATABASE and PGSSLMODE, with
// application_name set to appName and any extra startup parameters.
func OpenDB(appName string, params map[string]any) (*bun.DB, error) {
	opts, err := connOptions()
	if err != nil {
		return nil, err
	}
	opts = append(opts, pgdriver.WithApplicationName(appName))
	if len(params) > 0 {
		opts = append(opts, pgdriver.WithConnParams(params))
	}
	sqldb := sql.OpenDB(pgdriver.NewConnector(opts...))
	return bun.NewDB(sqldb, pgdialect.New()), nil
}

// connOptions reads the connection settings from the environment.
func connOptions() (opts []pgdriver.Option, err error) {
	if dsn := os.Getenv("DATABASE_URL"); dsn != "" {
		if _, err := url.Parse(dsn); err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		// pgdriver.WithDSN panics on a connection string it cannot use.
		defer func() {
			if r := recover(); r != nil {
				opts, err = nil, fmt.Errorf("DATABASE_URL: %v", r)
			}
		}()
		pgdriver.NewConnector(pgdriver.WithDSN(dsn))
		return []pgdriver.Option{pgdriver.WithDSN(dsn)}, nil
	}
	host := os.Getenv("PGHOST")
	if host == "" {
		return nil, errNoDatabase
	}
	port := os.Getenv("PGPORT")
	if port == "" {
		port = "5432"
	}
	if filepath.IsAbs(host) {
		opts = append(opts, pgdriver.WithNetwork("unix"), pgdriver.WithAddr(filepath.Join(host, ".s.PGSQL."+port)), pgdriver.WithInsecure(true))
	} else {
		opts = append(opts, pgdriver.WithAddr(net.JoinHostPort(host, port)))
		// pgdriver has no "prefer": it either requires TLS or goes without.
		switch os.Getenv("PGSSLMODE") {
		case "", "disable", "allow", "prefer":
			opts = append(opts, pgdriver.WithInsecure(true))
		}
	}
	if u := os.Getenv("PGUSER"); u != "" {
		opts = append(opts, pgdriver.WithUser(u))
	}
	if p := os.Getenv("PGPASSWORD"); p != "" {
		opts = append(opts, pgdriver.WithPassword(p))
	}
	if d := os.Getenv("PGDATABASE"); d != "" {
		opts = append(opts, pgdriver.WithDatabase(d))
	}
	return opts, nil
}
