package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestOpenDSN_RefusesRemote(t *testing.T) {
	tests := []struct {
		name, dsn, host string
	}{
		{"url", "postgres://u@db.example.com:5432/app", "db.example.com"},
		{"url, second host", "postgres://u:pw@127.0.0.1:1,otherhost:5432/db", "otherhost"},
		{"url, hosts in the query", "postgres://u@/db?host=/tmp,otherhost&port=1,5432", "otherhost"},
		{"keywords, second host", "host=127.0.0.1,otherhost port=1,5432 user=u dbname=db", "otherhost"},
		{"keywords, socket then remote", "host=/tmp,10.1.2.3 port=1 user=u", "10.1.2.3"},
		{"keywords, remote IPv6", "host=localhost,2001:db8::1 port=1,5432", "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OpenDSN(context.Background(), tt.dsn, false)
			var re *RemoteHostError
			if !errors.As(err, &re) || re.Host != tt.host {
				t.Errorf("want RemoteHostError for %q, got %v", tt.host, err)
			}
		})
	}
}

// TestOpenDSN_MultiHostPinsTheServerThatAnswered: of several local hosts,
// the first that answers is the one every later connection reaches, and the
// one Describe names.
func TestOpenDSN_MultiHostPinsTheServerThatAnswered(t *testing.T) {
	ctx := context.Background()
	srv, err := StartLocal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx)
	l := srv.(*local)
	dead := freePort(t)
	tests := []struct {
		name, dsn string
	}{
		{"keywords", fmt.Sprintf("host=127.0.0.1,%s port=%d,%d user=postgres sslmode=disable", l.dir, dead, l.port)},
		{"url", fmt.Sprintf("postgres://postgres@/postgres?host=127.0.0.1,%s&port=%d,%d&sslmode=disable", url.QueryEscape(l.dir), dead, l.port)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := OpenDSN(ctx, tt.dsn, false)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.Describe(); !strings.Contains(got, l.dir) || strings.Contains(got, "127.0.0.1") {
				t.Errorf("Describe() = %q, want the socket %s that answered", got, l.dir)
			}
			cfg, err := pgx.ParseConfig(d.ConnString("template1"))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Host != l.dir || cfg.Port != uint16(l.port) || len(cfg.Fallbacks) != 0 || cfg.Database != "template1" {
				t.Errorf("ConnString names %s:%d (+%d fallbacks) db %s, want only %s:%d", cfg.Host, cfg.Port, len(cfg.Fallbacks), cfg.Database, l.dir, l.port)
			}
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			conn.Close(ctx)
		})
	}
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
