package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	// raw is the user's connection string pinned to the one host that
	// answered, so that every later connection reaches the same server.
	raw     string
	host    string
	port    uint16
	version string
}

// OpenDSN checks that the server named by connString answers and returns it
// as a Server. Unless allowRemote is set, every host the string names (a
// multi-host DSN names several) must be this machine. Of several hosts, the
// first that answers is the one every later connection goes to.
func OpenDSN(ctx context.Context, connString string, allowRemote bool) (Server, error) {
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	hosts := candidates(cfg.Config)
	if !allowRemote {
		for _, h := range hosts {
			if !isLocalHost(h.Host) {
				return nil, &RemoteHostError{Host: h.Host}
			}
		}
	}
	var (
		conn  *pgx.Conn
		errs  []error
		found *pgconn.FallbackConfig
	)
	for _, h := range hosts {
		one := cfg.Copy()
		one.Host, one.Port, one.TLSConfig = h.Host, h.Port, h.TLSConfig
		one.Fallbacks = nil
		for _, fb := range cfg.Fallbacks {
			// sslmode=prefer tries TLS, then plain, on the same host.
			if fb.Host == h.Host && fb.Port == h.Port && fb != h {
				one.Fallbacks = append(one.Fallbacks, fb)
			}
		}
		if conn, err = pgx.ConnectConfig(ctx, one); err == nil {
			found = h
			break
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if found == nil {
		return nil, fmt.Errorf("dsn: connect to %s: %w", hostList(hosts), errors.Join(errs...))
	}
	defer conn.Close(ctx)
	d := &dsn{raw: pinHost(connString, found.Host, found.Port), host: found.Host, port: found.Port}
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&d.version); err != nil {
		return nil, fmt.Errorf("dsn: %w", err)
	}
	return d, nil
}

// candidates lists the hosts a parsed connection string names, in order,
// each once (sslmode=prefer and allow list a host twice, with and without
// TLS).
func candidates(cfg pgconn.Config) []*pgconn.FallbackConfig {
	all := append([]*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port, TLSConfig: cfg.TLSConfig}}, cfg.Fallbacks...)
	var out []*pgconn.FallbackConfig
	seen := map[string]bool{}
	for _, h := range all {
		k := h.Host + "\x00" + strconv.Itoa(int(h.Port))
		if !seen[k] {
			seen[k] = true
			out = append(out, h)
		}
	}
	return out
}

func hostList(hosts []*pgconn.FallbackConfig) string {
	names := make([]string, len(hosts))
	for i, h := range hosts {
		names[i] = hostPort(h.Host, h.Port)
	}
	return strings.Join(names, ", ")
}

func hostPort(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return fmt.Sprintf("%s (socket, port %d)", host, port)
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// pinHost rewrites connString so that it names host and port only.
func pinHost(connString, host string, port uint16) string {
	p := strconv.Itoa(int(port))
	if u, err := url.Parse(connString); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		q := u.Query()
		if q.Has("host") || strings.HasPrefix(host, "/") {
			u.Host = ""
			q.Set("host", host)
			q.Set("port", p)
		} else {
			u.Host = net.JoinHostPort(host, p)
			q.Del("port")
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	// Keyword/value form: a later keyword overrides an earlier one.
	return connString + " host=" + quoteValue(host) + " port=" + p
}

func quoteValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
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
	return d.raw + " dbname=" + quoteValue(database)
}

func (d *dsn) Describe() string {
	return fmt.Sprintf("server at %s (PostgreSQL %s)", hostPort(d.host, d.port), d.version)
}

func (d *dsn) Close(context.Context) error { return nil }
