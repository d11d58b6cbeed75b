// Package pgserver provides a running PostgreSQL server behind one small
// interface, whichever way it was obtained: a throwaway local cluster, a
// container, or a server the user names.
package pgserver

import (
	"context"
)

// Server is a running PostgreSQL server that plangate may create and drop
// databases on.
type Server interface {
	// ConnString returns a connection string (URL form) for database on this
	// server, connecting as a superuser where the backend has one. An empty
	// database names the server's maintenance database (where plangate may
	// run CREATE DATABASE).
	ConnString(database string) string
	// Describe says in a few words what the server is, for logs and reports,
	// e.g. "local cluster (PostgreSQL 15.18) at /tmp/plangate-123".
	Describe() string
	// Close stops the server and removes everything the backend created.
	// For a server the user named it only closes connections.
	Close(ctx context.Context) error
}

// Settings are server settings (GUCs) such as work_mem or shared_buffers,
// applied when the backend starts the server.
type Settings map[string]string
