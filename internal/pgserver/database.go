package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plangate/plangate/internal/leftover"
	"github.com/plangate/plangate/internal/pgsql"
)

// staleDatabaseAge is how old a marked database of another host must be,
// with no session open on it, before it counts as a killed run's: a run
// keeps a session on its scratch database from the moment it made it.
const staleDatabaseAge = time.Hour

// ScratchName returns a fresh database name with the given prefix.
func ScratchName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// creatingLock is the first key of the advisory lock (in the maintenance
// database) that CreateDatabase holds on a database's name until the
// database carries its marker: a scratch database without a marker whose
// lock is free was left by a run killed between the two steps (CREATE
// DATABASE cannot run in a transaction).
const creatingLock = 0x706c67 // "plg"

// CreateDatabase creates database name on srv, optionally from a template.
// The database's comment marks it as this run's (leftover.Marker); scratch
// databases of runs that were killed, with no session open, are dropped
// first.
func CreateDatabase(ctx context.Context, srv Server, name, template string) error {
	return Admin(ctx, srv, func(conn *pgx.Conn) error {
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1, hashtext($2))", creatingLock, name); err != nil {
			return err
		}
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, hashtext($2))", creatingLock, name)
		sweepDatabases(ctx, conn)
		sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
		if template != "" {
			sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
		}
		if _, err := conn.Exec(ctx, sql); err != nil {
			return err
		}
		_, err := conn.Exec(ctx, "COMMENT ON DATABASE "+pgx.Identifier{name}.Sanitize()+" IS "+pgsql.Literal(leftover.Marker()))
		return err
	})
}

// sweepDatabases drops the scratch databases (see ScratchName) plangate
// runs that were killed left on the server: with no session open, and
// either marked stale or unmarked with nobody creating them (creatingLock).
// It is best effort.
func sweepDatabases(ctx context.Context, conn *pgx.Conn) {
	dbs, err := pgsql.CollectNamed(ctx, conn, `
		SELECT d.datname, coalesce(shobj_description(d.oid, 'pg_database'), '') FROM pg_database d
		WHERE d.datname ~ '^plangate(_[a-z]+)?_[0-9a-f]{12}$'
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)`)
	if err != nil {
		return
	}
	for _, d := range dbs {
		drop := leftover.Stale(d.Comment, staleDatabaseAge, time.Now())
		if d.Comment == "" {
			var free bool
			if conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1, hashtext($2))", creatingLock, d.Name).Scan(&free) != nil || !free {
				continue
			}
			defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1, hashtext($2))", creatingLock, d.Name)
			drop = true
		}
		if drop {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.Name}.Sanitize())
		}
	}
}

// DropDatabase drops database name on srv if it exists, closing any
// connections still open to it.
func DropDatabase(ctx context.Context, srv Server, name string) error {
	return Admin(ctx, srv, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

// CheckDatabase checks that database name exists on srv and takes
// connections.
func CheckDatabase(ctx context.Context, srv Server, name string) error {
	conn, err := pgx.Connect(ctx, srv.ConnString(name))
	if err != nil {
		return fmt.Errorf("database %q: %w", name, err)
	}
	return conn.Close(ctx)
}

// Admin runs fn on a connection to srv's maintenance database.
func Admin(ctx context.Context, srv Server, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", srv.Describe(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return fn(conn)
}
