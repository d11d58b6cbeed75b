package pgserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ScratchName returns a fresh database name with the given prefix.
func ScratchName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// CreateDatabase creates database name on srv, optionally from a template.
func CreateDatabase(ctx context.Context, srv Server, name, template string) error {
	return admin(ctx, srv, func(conn *pgx.Conn) error {
		sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
		if template != "" {
			sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
		}
		_, err := conn.Exec(ctx, sql)
		return err
	})
}

// DropDatabase drops database name on srv if it exists, closing any
// connections still open to it.
func DropDatabase(ctx context.Context, srv Server, name string) error {
	return admin(ctx, srv, func(conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	})
}

func admin(ctx context.Context, srv Server, fn func(*pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, srv.ConnString(""))
	if err != nil {
		return fmt.Errorf("connect to %s: %w", srv.Describe(), err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return fn(conn)
}
