package capture

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// upstreamTarget is one way to reach the upstream server: an address and the
// TLS to negotiate there, if any.
type upstreamTarget struct {
	network, address string
	// tls is nil for a plaintext connection.
	tls *tls.Config
	// directTLS starts TLS at once (sslnegotiation=direct) instead of after
	// an SSLRequest.
	directTLS bool
	dial      pgconn.DialFunc
	timeout   time.Duration
}

// upstreamTargets lists the ways to reach the server, in the order libpq
// would try them: the primary host, then the fallbacks (other hosts, and the
// plaintext or TLS retry that sslmode=prefer or allow asks for).
func upstreamTargets(cfg *pgconn.Config) []upstreamTarget {
	dial := cfg.DialFunc
	if dial == nil {
		dial = (&net.Dialer{KeepAlive: 5 * time.Minute}).DialContext
	}
	mk := func(host string, port uint16, tlsConfig *tls.Config) upstreamTarget {
		network, address := pgconn.NetworkAddress(host, port)
		return upstreamTarget{
			network: network, address: address, tls: tlsConfig,
			directTLS: cfg.SSLNegotiation == "direct",
			dial:      dial, timeout: cfg.ConnectTimeout,
		}
	}
	out := []upstreamTarget{mk(cfg.Host, cfg.Port, cfg.TLSConfig)}
	for _, f := range cfg.Fallbacks {
		out = append(out, mk(f.Host, f.Port, f.TLSConfig))
	}
	return out
}

// connect opens a connection to the target, with TLS negotiated when the
// target asks for it.
func (t upstreamTarget) connect(ctx context.Context) (net.Conn, error) {
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	conn, err := t.dial(ctx, t.network, t.address)
	if err != nil {
		return nil, err
	}
	if t.tls == nil {
		return conn, nil
	}
	// The handshake is bounded by ctx: a server that never answers must not
	// hold the client forever.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	if !t.directTLS {
		var req [8]byte
		binary.BigEndian.PutUint32(req[0:4], 8)
		binary.BigEndian.PutUint32(req[4:8], sslRequestCode)
		if _, err := conn.Write(req[:]); err != nil {
			conn.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		var answer [1]byte
		if _, err := io.ReadFull(conn, answer[:]); err != nil {
			conn.Close()
			return nil, fmt.Errorf("tls: %w", err)
		}
		if answer[0] != 'S' {
			conn.Close()
			return nil, errors.New("tls: the server does not accept SSL connections (sslmode asks for them)")
		}
	}
	tc := tls.Client(conn, t.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, fmt.Errorf("tls: %w", err)
	}
	if !stop() {
		// ctx ended as the handshake finished: the deadline may be set.
		tc.Close()
		return nil, ctx.Err()
	}
	return tc, nil
}

// connectUpstream tries each target in turn and returns the first
// connection made.
func (p *Proxy) connectUpstream(ctx context.Context) (net.Conn, upstreamTarget, error) {
	var errs []string
	for _, t := range p.targets {
		conn, err := t.connect(ctx)
		if err == nil {
			return conn, t, nil
		}
		if ctx.Err() != nil {
			return nil, t, ctx.Err()
		}
		errs = append(errs, t.address+": "+err.Error())
	}
	return nil, upstreamTarget{}, errors.New(strings.Join(errs, "; "))
}

// forwardCancel passes a cancel request on to the server whose session it
// names. A request naming no session of this proxy's is dropped, as the
// server itself ignores requests it cannot match.
func (p *Proxy) forwardCancel(ctx context.Context, packet []byte) {
	if len(packet) < 16 {
		return
	}
	t, ok := p.cancelTarget(string(packet[8:]))
	if !ok {
		p.logf("cancel request for an unknown session dropped")
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := t.connect(ctx)
	if err != nil {
		p.logf("cancel request: upstream %s: %v", t.address, err)
		return
	}
	defer conn.Close()
	if _, err := conn.Write(packet); err != nil {
		p.logf("cancel request: upstream %s: %v", t.address, err)
		return
	}
	p.cancelForwarded()
	// The server closes the connection once it has acted on the request;
	// waiting for that keeps the cancel ahead of whatever the client does
	// next.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, conn)
}
