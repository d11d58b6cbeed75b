// Package queryid identifies SQL statements: fingerprint, normalized text and
// statement kind. It is the only package that imports pg_query_go.
package queryid

import (
	"errors"
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"github.com/pganalyze/pg_query_go/v6/parser"
)

// Kind is the kind of a statement, as far as replaying it is concerned.
type Kind string

// The statement kinds plangate tells apart.
const (
	KindSelect  Kind = "select"
	KindInsert  Kind = "insert"
	KindUpdate  Kind = "update"
	KindDelete  Kind = "delete"
	KindMerge   Kind = "merge"
	KindUtility Kind = "utility"
)

// Writes reports whether statements of this kind change data.
func (k Kind) Writes() bool {
	return k == KindInsert || k == KindUpdate || k == KindDelete || k == KindMerge
}

// Identity is what plangate knows about a statement from its text alone.
type Identity struct {
	// Fingerprint is pg_query's fingerprint: equal for statements that differ
	// only in constants, whitespace and comments.
	Fingerprint string
	// Normalized is the statement with constants replaced by $n.
	Normalized string
	// Kind is the statement kind.
	Kind Kind
	// SelectForUpdate is set for a SELECT that takes row locks (FOR UPDATE,
	// FOR SHARE, ...), which cannot run in a read-only transaction.
	SelectForUpdate bool
}

// SyntaxError is returned for SQL that PostgreSQL's parser rejects.
type SyntaxError struct {
	// Message is the parser's message.
	Message string
	// Position is the 1-based character offset of the error, or 0.
	Position int
}

func (e *SyntaxError) Error() string {
	msg := e.Message
	if !strings.HasPrefix(msg, "syntax error") {
		msg = "syntax error: " + msg
	}
	if e.Position > 0 {
		return fmt.Sprintf("%s (character %d)", msg, e.Position)
	}
	return msg
}

// Identify parses sql, which must hold exactly one statement, and returns its
// identity.
func Identify(sql string) (Identity, error) {
	tree, err := pg_query.Parse(sql)
	if err != nil {
		return Identity{}, syntaxError(err)
	}
	switch n := len(tree.Stmts); {
	case n == 0:
		return Identity{}, fmt.Errorf("no SQL statement found")
	case n > 1:
		return Identity{}, fmt.Errorf("%d statements found, want one: split them into separate queries", n)
	}
	id := Identity{Kind: KindUtility}
	switch s := tree.Stmts[0].Stmt.Node.(type) {
	case *pg_query.Node_SelectStmt:
		id.Kind = KindSelect
		id.SelectForUpdate = len(s.SelectStmt.LockingClause) > 0
		if s.SelectStmt.IntoClause != nil {
			id.Kind = KindUtility // SELECT INTO creates a table
		}
	case *pg_query.Node_InsertStmt:
		id.Kind = KindInsert
	case *pg_query.Node_UpdateStmt:
		id.Kind = KindUpdate
	case *pg_query.Node_DeleteStmt:
		id.Kind = KindDelete
	case *pg_query.Node_MergeStmt:
		id.Kind = KindMerge
	}
	if id.Fingerprint, err = pg_query.Fingerprint(sql); err != nil {
		return Identity{}, syntaxError(err)
	}
	if id.Normalized, err = pg_query.Normalize(sql); err != nil {
		return Identity{}, syntaxError(err)
	}
	id.Normalized = strings.TrimSpace(id.Normalized)
	return id, nil
}

func syntaxError(err error) error {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return &SyntaxError{Message: err.Error()}
	}
	return &SyntaxError{Message: pe.Message, Position: pe.Cursorpos}
}
