package capture

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/jackc/pgx/v5/pgproto3"
)

// Request codes of the packets a client may open a connection with.
const (
	sslRequestCode    = 80877103
	gssEncRequestCode = 80877104
	cancelRequestCode = 80877102
)

// maxStartupPacket is PostgreSQL's own limit on a startup packet
// (MAX_STARTUP_PACKET_LENGTH); anything longer is not the protocol.
const maxStartupPacket = 10000

// maxMessage bounds a regular message: PostgreSQL refuses to allocate more
// than 1 GB for one (MaxAllocSize), so no valid message is longer.
const maxMessage = 1 << 30

// session is one client connection and its upstream connection.
type session struct {
	proxy    *Proxy
	client   net.Conn
	upstream net.Conn
	target   upstreamTarget
	// cancelKeys are the BackendKeyData the server sent this session; the
	// proxy forgets them when the session ends.
	cancelKeys []string

	closeOnce sync.Once

	// The protocol state is shared by the two directions.
	mu sync.Mutex
	tracker
}

func (s *session) close() {
	s.closeOnce.Do(func() {
		s.client.Close()
		if s.upstream != nil {
			s.upstream.Close()
		}
	})
}

// serveConn handles one client connection from its first packet to its end.
func (p *Proxy) serveConn(ctx context.Context, client net.Conn) {
	defer client.Close()
	cr := bufio.NewReaderSize(client, 32<<10)
	var startup []byte
	for {
		pkt, err := readStartupPacket(cr)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.logf("client %s: %v", client.RemoteAddr(), err)
			}
			return
		}
		switch binary.BigEndian.Uint32(pkt[4:8]) {
		case sslRequestCode, gssEncRequestCode:
			// The client side is plaintext; libpq and pgx go on without
			// encryption unless told to require it.
			if _, err := client.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		case cancelRequestCode:
			p.forwardCancel(ctx, pkt)
			return
		}
		startup = pkt
		break
	}

	var app string
	var msg pgproto3.StartupMessage
	if err := msg.Decode(startup[4:]); err == nil {
		app = msg.Parameters["application_name"]
	}

	upstream, target, err := p.connectUpstream(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.logf("client %s: upstream: %v", client.RemoteAddr(), err)
		}
		// Tell the client as a server would, so that it reports a clear
		// connection error rather than an unexpected end of file.
		reply, _ := (&pgproto3.ErrorResponse{
			Severity: "FATAL", SeverityUnlocalized: "FATAL",
			Code:    "08001", // sqlclient_unable_to_establish_sqlconnection
			Message: "plangate capture: cannot reach the upstream server: " + err.Error(),
		}).Encode(nil)
		client.Write(reply)
		return
	}
	s := &session{proxy: p, client: client, upstream: upstream, target: target}
	s.group = app
	if !p.track(ctx, s) {
		upstream.Close()
		return
	}
	defer p.untrack(s)
	defer s.close()
	if _, err := upstream.Write(startup); err != nil {
		return
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		s.relay(cr, upstream, s.fromClient)
		s.close()
	}()
	s.relay(bufio.NewReaderSize(upstream, 32<<10), client, s.fromServer)
	s.close()
	<-done
}

// readStartupPacket reads the length-prefixed packet a connection starts
// with and returns it whole, length included.
func readStartupPacket(r *bufio.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(head[:]))
	if n < 8 || n > maxStartupPacket {
		return nil, fmt.Errorf("not a PostgreSQL startup packet (length %d): the client must connect without TLS (sslmode=disable or prefer)", n)
	}
	pkt := make([]byte, n)
	copy(pkt, head[:])
	if _, err := io.ReadFull(r, pkt[4:]); err != nil {
		return nil, err
	}
	return pkt, nil
}

// relay copies messages from src to dst unchanged, showing each to observe
// before it is passed on, until either side fails or closes. Writes are
// batched: dst is flushed whenever src has nothing more already buffered.
func (s *session) relay(src *bufio.Reader, dst io.Writer, observe func(typ byte, body []byte)) {
	w := bufio.NewWriterSize(dst, 32<<10)
	var buf []byte
	for {
		var head [5]byte
		if _, err := io.ReadFull(src, head[:]); err != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(head[1:]))
		if n < 4 || n > maxMessage {
			s.proxy.logf("malformed message %q of length %d: connection closed", head[0], n)
			return
		}
		if cap(buf) < n+1 {
			buf = make([]byte, n+1)
		}
		frame := buf[:n+1]
		copy(frame, head[:])
		if _, err := io.ReadFull(src, frame[5:]); err != nil {
			return
		}
		observe(frame[0], frame[5:])
		if _, err := w.Write(frame); err != nil {
			return
		}
		if !messageBuffered(src) {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if n+1 > 1<<20 {
			buf = nil // do not pin a huge buffer for the session's life
		}
	}
}

// messageBuffered reports whether r already holds the whole next message, so
// that reading it cannot block.
func messageBuffered(r *bufio.Reader) bool {
	if r.Buffered() < 5 {
		return false
	}
	head, _ := r.Peek(5)
	return r.Buffered() >= 1+int(binary.BigEndian.Uint32(head[1:]))
}
