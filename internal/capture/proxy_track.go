package capture

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

// tracker follows a session's protocol state far enough to tell which
// statement each server response belongs to: the prepared statements and
// portals the client made, and the requests still waiting for a response.
//
// The server answers requests in the order they were sent, so the client's
// side queues each request before passing it on, and the server's side takes
// them off as their responses arrive.
type tracker struct {
	// group is the session's application_name.
	group string
	// transaction numbers the transaction the session is in (see
	// TransactionGroup); zero outside one.
	transaction int
	stmts       map[string]*preparedStmt
	portals     map[string]*portal
	queue       []*pending
	// discarding is set after an error in the extended protocol while the
	// server skips the client's messages up to the next Sync.
	discarding bool
	// lastDone is when the server last finished something: a pipelined
	// request starts running then, not when it was sent.
	lastDone time.Time
	// types decodes binary parameters; made on first use.
	types *pgtype.Map
}

// preparedStmt is a statement the client prepared with Parse.
type preparedStmt struct {
	sql string
	// oids are the parameter types: as given in Parse, then as the server
	// reported them in a ParameterDescription.
	oids []uint32
}

// portal is a statement bound to parameter values.
type portal struct {
	stmt    *preparedStmt
	formats []int16
	values  [][]byte
	// start is when its first Execute began: a portal run in several
	// Executes (PortalSuspended between them) is one statement.
	start time.Time
}

// pending is a request waiting for its response.
type pending struct {
	// kind is the request's message type: 'P' Parse, 'B' Bind, 'D'
	// Describe, 'E' Execute, 'C' Close, 'S' Sync, 'Q' Query, 'F'
	// FunctionCall.
	kind byte
	sent time.Time
	// stmt is the statement a Describe asks about, if any.
	stmt *preparedStmt
	// portal is the portal an Execute runs.
	portal *portal
	// sqls are the statements of a simple Query, next the one running.
	sqls []string
	next int
}

// fromClient notes a message the client sends.
func (s *session) fromClient(typ byte, body []byte) {
	switch typ {
	case 'Q', 'P', 'B', 'D', 'E', 'C', 'S', 'F':
	default:
		return // Flush, copy data, authentication, Terminate: no response to expect
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stmts == nil {
		s.stmts = map[string]*preparedStmt{}
		s.portals = map[string]*portal{}
	}
	if s.discarding && typ != 'S' {
		return // the server skips it: no response will come
	}
	req := &pending{kind: typ, sent: now}
	switch typ {
	case 'Q':
		var m pgproto3.Query
		if m.Decode(body) != nil {
			return
		}
		req.sqls = splitStatements(m.String)
	case 'P':
		var m pgproto3.Parse
		if m.Decode(body) != nil {
			return
		}
		s.stmts[m.Name] = &preparedStmt{sql: m.Query, oids: m.ParameterOIDs}
	case 'B':
		var m pgproto3.Bind
		if m.Decode(body) != nil {
			return
		}
		pt := &portal{stmt: s.stmts[m.PreparedStatement], formats: m.ParameterFormatCodes}
		// The values point into the relay's buffer, which the next message
		// overwrites.
		pt.values = make([][]byte, len(m.Parameters))
		for i, v := range m.Parameters {
			if v != nil {
				pt.values[i] = append([]byte{}, v...)
			}
		}
		s.portals[m.DestinationPortal] = pt
	case 'D':
		var m pgproto3.Describe
		if m.Decode(body) != nil {
			return
		}
		if m.ObjectType == 'S' {
			req.stmt = s.stmts[m.Name]
		}
	case 'E':
		var m pgproto3.Execute
		if m.Decode(body) != nil {
			return
		}
		req.portal = s.portals[m.Portal]
	case 'C':
		var m pgproto3.Close
		if m.Decode(body) != nil {
			return
		}
		if m.ObjectType == 'S' {
			delete(s.stmts, m.Name)
		} else {
			delete(s.portals, m.Name)
		}
	case 'S':
		s.discarding = false
	}
	s.queue = append(s.queue, req)
}

// fromServer notes a message the server sends, recording a statement when
// it completes.
func (s *session) fromServer(typ byte, body []byte) {
	switch typ {
	case 'D', 'd', 'c', 'N', 'A', 'G', 'H', 'W', 'R', 'V', 'v':
		// Rows, copy data, notices, notifications, authentication and the
		// like answer no request of their own.
		return
	case 'K': // BackendKeyData
		s.proxy.addCancelKey(s, string(body))
		return
	}
	now := time.Now()
	var done *Execution
	var skipped string
	var failed bool
	s.mu.Lock()
	front := s.front()
	switch typ {
	case '1', '2', '3': // ParseComplete, BindComplete, CloseComplete
		s.pop()
	case 't': // ParameterDescription
		var m pgproto3.ParameterDescription
		if front != nil && front.kind == 'D' && front.stmt != nil && m.Decode(body) == nil {
			front.stmt.oids = m.ParameterOIDs
		}
	case 'T', 'n': // RowDescription, NoData
		if front != nil && front.kind == 'D' {
			s.pop()
		}
	case 'C': // CommandComplete
		var m pgproto3.CommandComplete
		tag := ""
		if m.Decode(body) == nil {
			tag = string(m.CommandTag)
		}
		done, skipped = s.complete(front, tag, now)
		s.lastDone = now
	case 'I': // EmptyQueryResponse
		if front != nil && front.kind == 'E' {
			s.pop()
		}
		s.lastDone = now
	case 's': // PortalSuspended: the portal runs on in the next Execute
		if front != nil && front.kind == 'E' {
			if pt := front.portal; pt != nil && pt.start.IsZero() {
				pt.start = later(front.sent, s.lastDone)
			}
			s.pop()
		}
		s.lastDone = now
	case 'E': // ErrorResponse
		failed = front != nil && (front.kind == 'E' || front.kind == 'Q')
		switch {
		case front == nil:
			// An error at startup (authentication, unknown database) or a
			// FATAL out of the blue: no request of the client's failed.
		case front.kind == 'Q':
			front.next = len(front.sqls) // the rest of the string is not run
		case front.kind != 'F':
			// The server skips everything up to the next Sync.
			if front.portal != nil {
				front.portal.start = time.Time{}
			}
			for len(s.queue) > 0 && s.queue[0].kind != 'S' {
				s.pop()
			}
			s.discarding = len(s.queue) == 0
		}
		s.lastDone = now
	case 'Z': // ReadyForQuery
		for len(s.queue) > 0 {
			if k := s.pop().kind; k == 'S' || k == 'Q' || k == 'F' {
				break
			}
		}
		switch {
		case len(body) == 1 && body[0] == 'I':
			// Outside a transaction no named portal survives.
			clear(s.portals)
			s.transaction = 0
		case len(body) == 1 && s.transaction == 0:
			// 'T' or 'E': a transaction block began.
			s.transaction = s.proxy.nextTransaction()
		}
		s.lastDone = now
	case 'S': // ParameterStatus
		var m pgproto3.ParameterStatus
		if m.Decode(body) == nil && m.Name == "application_name" {
			s.group = m.Value
		}
	}
	s.mu.Unlock()
	switch {
	case failed:
		s.proxy.count(false, "", true)
	case skipped != "":
		s.proxy.count(false, skipped, false)
	case done != nil:
		s.proxy.count(true, "", false)
		s.proxy.record(*done)
	}
}

// complete handles a CommandComplete: the statement at the front of the
// queue finished. It returns the execution to record, or the first keyword
// of a statement that is not recorded. s.mu is held.
func (s *session) complete(front *pending, tag string, now time.Time) (*Execution, string) {
	if front == nil {
		return nil, ""
	}
	var sql string
	var start time.Time
	var pt *portal
	switch front.kind {
	case 'E':
		s.pop()
		pt = front.portal
		if pt == nil || pt.stmt == nil {
			return nil, ""
		}
		sql = pt.stmt.sql
		start = pt.start
		pt.start = time.Time{}
		if start.IsZero() {
			start = later(front.sent, s.lastDone)
		}
	case 'Q':
		if front.next >= len(front.sqls) {
			return nil, ""
		}
		sql = front.sqls[front.next]
		front.next++
		start = later(front.sent, s.lastDone)
	default:
		return nil, ""
	}
	if skip, word := noise(sql); skip && !s.proxy.every {
		return nil, word
	}
	group := s.group
	if group == "" && s.transaction > 0 {
		group = TransactionGroup(s.transaction)
	}
	e := &Execution{
		Statement: Statement{SQL: sql, Group: group},
		Duration:  now.Sub(start),
		Tag:       tag,
	}
	if pt != nil && len(pt.values) > 0 {
		if s.types == nil {
			s.types = pgtype.NewMap()
		}
		e.Params, e.Notes = decodeParams(s.types, pt.stmt.oids, pt.formats, pt.values)
	}
	return e, ""
}

// later returns the later of two times: a pipelined request starts when
// the server finished the one before it, not when it was sent.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func (t *tracker) front() *pending {
	if len(t.queue) == 0 {
		return nil
	}
	return t.queue[0]
}

func (t *tracker) pop() *pending {
	if len(t.queue) == 0 {
		return &pending{}
	}
	p := t.queue[0]
	t.queue[0] = nil
	t.queue = t.queue[1:]
	return p
}

// transactionPrefix starts the group of a statement the proxy grouped by
// its transaction.
const transactionPrefix = "transaction "

// TransactionGroup names the group of the statements a session without an
// application_name ran in its n-th transaction block (counted across the
// capture, from 1): a test or a request handler's unit of work, when
// nothing else names it.
func TransactionGroup(n int) string {
	return fmt.Sprintf("%s%d", transactionPrefix, n)
}

// IsPositional reports whether a group is named by its position in the
// capture (TransactionGroup) rather than by the application: such a name
// moves when a transaction is added before it.
func IsPositional(group string) bool {
	rest, ok := strings.CutPrefix(group, transactionPrefix)
	if !ok || rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
