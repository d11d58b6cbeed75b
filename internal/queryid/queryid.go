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
	// Normalized is the statement with constants replaced by $n and
	// comments removed (they may hold parameter values).
	Normalized string
	// Comments are the statement's comments, markers included, in order:
	// where query names and sqlcommenter tags live.
	Comments []string
	// Kind is the statement kind.
	Kind Kind
	// SelectForUpdate is set for a SELECT that takes row locks (FOR UPDATE,
	// FOR SHARE, ...), at its top or in a subquery, which cannot run in a
	// read-only transaction.
	SelectForUpdate bool
	// PaginationCount is set for an ORM paginator's count query.
	PaginationCount bool
	// Tables are the relations the statement names, in order of appearance.
	Tables []string
	// Structure is the statement's structural identity, which survives the
	// edits ORMs make between releases.
	Structure Structure
}

// LocksRows reports whether the statement takes row locks: it changes
// data, or it is a SELECT ... FOR UPDATE (or FOR SHARE). Such a statement
// waits behind a lock that blocks writes, and leaves the pages it touched
// changed even when rolled back.
func (id Identity) LocksRows() bool {
	return id.Kind.Writes() || id.Kind == KindSelect && id.SelectForUpdate
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
		id.SelectForUpdate = locksRows(s.SelectStmt)
		id.PaginationCount = isPaginationCount(s.SelectStmt)
		if s.SelectStmt.IntoClause != nil {
			id.Kind = KindUtility // SELECT INTO creates a table
		} else if k := modifyingCTE(s.SelectStmt.WithClause); k != "" {
			id.Kind = k // a SELECT that writes through its WITH clause
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
	id.Tables = tables(tree)
	id.Structure = structure(tree.Stmts[0].Stmt, id.Kind)
	if id.Comments, err = comments(sql); err != nil {
		return Identity{}, syntaxError(err)
	}
	normalized, err := pg_query.Normalize(sql)
	if err != nil {
		return Identity{}, syntaxError(err)
	}
	if id.Normalized, err = withoutComments(normalized); err != nil {
		return Identity{}, syntaxError(err)
	}
	return id, nil
}

func commentRanges(sql string) ([][2]int32, error) {
	// Most statements hold no comment, and scanning a long one for none
	// costs as much as parsing it.
	if !strings.Contains(sql, "--") && !strings.Contains(sql, "/*") {
		return nil, nil
	}
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return nil, err
	}
	var out [][2]int32
	for _, t := range scan.Tokens {
		if t.Token == pg_query.Token_SQL_COMMENT || t.Token == pg_query.Token_C_COMMENT {
			out = append(out, [2]int32{t.Start, t.End})
		}
	}
	return out, nil
}

func comments(sql string) ([]string, error) {
	ranges, err := commentRanges(sql)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range ranges {
		out = append(out, sql[r[0]:r[1]])
	}
	return out, nil
}

// withoutComments removes comments and the blank lines they leave.
func withoutComments(sql string) (string, error) {
	ranges, err := commentRanges(sql)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last := int32(0)
	for _, r := range ranges {
		b.WriteString(sql[last:r[0]])
		last = r[1]
	}
	b.WriteString(sql[last:])
	var lines []string
	for _, line := range strings.Split(b.String(), "\n") {
		if line = strings.TrimRight(line, " \t"); strings.TrimSpace(line) != "" {
			lines = append(lines, line)
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n")), nil
}

func syntaxError(err error) error {
	var pe *parser.Error
	if !errors.As(err, &pe) {
		return &SyntaxError{Message: err.Error()}
	}
	return &SyntaxError{Message: pe.Message, Position: pe.Cursorpos}
}
