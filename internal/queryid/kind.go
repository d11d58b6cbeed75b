package queryid

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// locksRows reports whether a SELECT takes row locks anywhere in it. A
// locking clause in a subquery, a CTE, a sublink or a LATERAL subquery
// (SELECT * FROM (SELECT ... FOR UPDATE) s) plans a LockRows node just as
// one at the top does, and a read-only transaction refuses it all the same.
func locksRows(s *pg_query.SelectStmt) bool {
	found := false
	walk(s.ProtoReflect(), func(m protoreflect.Message) {
		if sel, ok := m.Interface().(*pg_query.SelectStmt); ok && len(sel.LockingClause) > 0 {
			found = true
		}
	})
	return found
}

// modifyingCTE returns the kind of the first data-modifying statement in a
// WITH clause (WITH d AS (DELETE ... RETURNING *) SELECT ...), or "" when
// every CTE only reads. PostgreSQL allows data-modifying CTEs only in the
// top-level WITH, so the clause's own CTEs are all there is to look at.
func modifyingCTE(with *pg_query.WithClause) Kind {
	if with == nil {
		return ""
	}
	for _, n := range with.Ctes {
		cte := n.GetCommonTableExpr()
		if cte == nil || cte.Ctequery == nil {
			continue
		}
		switch cte.Ctequery.Node.(type) {
		case *pg_query.Node_InsertStmt:
			return KindInsert
		case *pg_query.Node_UpdateStmt:
			return KindUpdate
		case *pg_query.Node_DeleteStmt:
			return KindDelete
		case *pg_query.Node_MergeStmt:
			return KindMerge
		}
	}
	return ""
}
