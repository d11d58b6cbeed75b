package pgserver

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// RemoteHostError is returned for a DSN naming a host that is not this
// machine, when remote servers were not allowed.
type RemoteHostError struct{ Host string }

func (e *RemoteHostError) Error() string {
	return fmt.Sprintf("dsn: host %q is not local: plangate creates and drops a scratch database there; pass --allow-remote if that is what you want", e.Host)
}

// dsn is a server the user named. plangate only creates and drops its own
// scratch databases on it.
type dsn struct {
	raw     string
	cfg     *pgx.ConnConfig
	version string
}

// OpenDSN checks that the server named by connString answers and returns it
// as a Server. Unless allowRemote is set, the host must be this machine.
func OpenDSN(ctx context.Context, connString string, allowRemote bool) (Server, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	if !allowRemote && !isLocalHost(cfg.Host) {
		return nil, &RemoteHostError{Host: cfg.Host}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("dsn: connect to %s: %w", cfg.Host, err)
	}
	defer conn.Close(ctx)
	d := &dsn{raw: connString, cfg: cfg}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&d.version); err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	return d, nil
}

func isLocalHost(host string) bool {
	if host == "" || strings.HasPrefix(host, "/") || host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (d *dsn) ConnString(database string) string {
	if database == "" {
		return d.raw
	}
	if u, err := url.Parse(d.raw); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + database
		u.RawPath = ""
		return u.String()
	}
	// Keyword/value form: a later keyword overrides an earlier one.
	return d.raw + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(database) + "'"
}

func (d *dsn) Describe() string {
	return fmt.Sprintf("server at %s:%d (PostgreSQL %s)", d.cfg.Host, d.cfg.Port, d.version)
}

func (d *dsn) Close(context.Context) error { return nil }
