package queryid

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Role is what a statement does for the code that sends it, as far as its
// shape tells: an ORM's paginator sends a count and a list page for one
// endpoint, a detail view a lookup.
type Role string

// The roles a statement's structure can show.
const (
	// RoleCount is a SELECT whose only output is count(*) or count(1): a
	// paginator's count, whether around a subquery or not.
	RoleCount Role = "count"
	// RoleList is a SELECT with an ORDER BY and a LIMIT or OFFSET: one page
	// of a list.
	RoleList Role = "list"
	// RoleSelect is any other SELECT.
	RoleSelect Role = "select"
)

// Structure is a statement's structural identity: what a person would say
// the statement is ("the count of published articles", "a page of articles
// by date"), built from PostgreSQL's parse tree. It survives the edits ORMs
// make between releases: columns and annotations added to the select list,
// joins added for an aggregation, a count wrapped around a subquery,
// constants, comments, whitespace and alias renames.
type Structure struct {
	// Kind is the statement kind.
	Kind Kind
	// Relation is the relation the statement is about: the first relation
	// of the FROM clause, found through subquery and CTE wrappers, or the
	// table an INSERT, UPDATE, DELETE or MERGE writes. Empty when the
	// statement reads no table.
	Relation string
	// Role is a SELECT's role (count, list, select); empty for writes.
	Role Role
	// OrderBy lists a list page's sort keys: column names without their
	// table, "desc" appended where descending.
	OrderBy []string
	// Filters are the columns the statement's WHERE clause tests, without
	// their table, sorted and unique.
	Filters []string
	// Offset is a list page's OFFSET when it is a constant; zero otherwise.
	Offset int64
	// Function names the function a SELECT that reads no table calls, as
	// drivers do on every connection (version(), current_schema()).
	Function string
}

// Key returns a string equal for two statements of the same structure and
// different for any difference in the fields.
func (s Structure) Key() string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%d|%s", s.Kind, s.Relation, s.Role,
		strings.Join(s.OrderBy, ","), strings.Join(s.Filters, ","), s.Offset, s.Function)
}

// Name returns a readable name for the statement:
// "articles count where status", "articles list by published_at desc, id
// desc where status, offset 20", "authors select where id",
// "comments insert"; "select version()" for a SELECT of one function and
// no table. It is empty for any other statement that reads no table.
func (s Structure) Name() string {
	if s.Relation == "" {
		if s.Function != "" {
			return "select " + s.Function + "()"
		}
		return ""
	}
	verb := string(s.Role)
	if s.Role == "" {
		verb = string(s.Kind)
	}
	var b strings.Builder
	b.WriteString(s.Relation + " " + verb)
	if s.Role == RoleList && len(s.OrderBy) > 0 {
		b.WriteString(" by " + strings.Join(s.OrderBy, ", "))
	}
	if len(s.Filters) > 0 {
		b.WriteString(" where " + strings.Join(s.Filters, ", "))
	}
	if s.Offset > 0 {
		fmt.Fprintf(&b, ", offset %d", s.Offset)
	}
	return b.String()
}

// structure derives the structural identity of a parsed statement.
func structure(stmt *pg_query.Node, kind Kind) Structure {
	s := Structure{Kind: kind}
	switch n := stmt.Node.(type) {
	case *pg_query.Node_SelectStmt:
		core := coreSelect(n.SelectStmt, nil)
		if core == nil {
			s.Function = onlyFunction(n.SelectStmt)
			return s
		}
		s.Relation = relationName(core.rel)
		s.Filters = columns(core.stmt.WhereClause)
		top := n.SelectStmt
		switch {
		case isCountOnly(top):
			s.Role = RoleCount
		case len(top.SortClause) > 0 && (top.LimitCount != nil || top.LimitOffset != nil):
			s.Role = RoleList
			s.OrderBy = sortKeys(top.SortClause)
			s.Offset = constant(top.LimitOffset)
		default:
			s.Role = RoleSelect
		}
	case *pg_query.Node_InsertStmt:
		s.Relation = relationName(n.InsertStmt.Relation)
	case *pg_query.Node_UpdateStmt:
		s.Relation = relationName(n.UpdateStmt.Relation)
		s.Filters = columns(n.UpdateStmt.WhereClause)
	case *pg_query.Node_DeleteStmt:
		s.Relation = relationName(n.DeleteStmt.Relation)
		s.Filters = columns(n.DeleteStmt.WhereClause)
	case *pg_query.Node_MergeStmt:
		s.Relation = relationName(n.MergeStmt.Relation)
	}
	return s
}

// core is the SELECT that reads a statement's main relation, and that
// relation.
type core struct {
	stmt *pg_query.SelectStmt
	rel  *pg_query.RangeVar
}

// coreSelect follows a SELECT's first FROM item down to a table: through
// joins (their left side), subqueries in FROM (a count's wrapper) and CTEs
// the query names, and through the first branch of a UNION. ctes holds the
// CTEs in scope.
func coreSelect(s *pg_query.SelectStmt, ctes map[string]*pg_query.SelectStmt) *core {
	if s == nil {
		return nil
	}
	if s.Larg != nil { // UNION, INTERSECT, EXCEPT: the first branch
		return coreSelect(s.Larg, withCTEs(ctes, s.WithClause))
	}
	ctes = withCTEs(ctes, s.WithClause)
	if len(s.FromClause) == 0 {
		return nil
	}
	item := s.FromClause[0]
	for {
		j := item.GetJoinExpr()
		if j == nil {
			break
		}
		item = j.Larg
	}
	switch {
	case item.GetRangeVar() != nil:
		rv := item.GetRangeVar()
		if cte, ok := ctes[rv.Relname]; ok && rv.Schemaname == "" {
			// A recursive CTE names itself: inside it, the name is not
			// followed again.
			inner := maps.Clone(ctes)
			delete(inner, rv.Relname)
			return coreSelect(cte, inner)
		}
		return &core{stmt: s, rel: rv}
	case item.GetRangeSubselect() != nil:
		return coreSelect(item.GetRangeSubselect().Subquery.GetSelectStmt(), ctes)
	}
	return nil
}

// withCTEs returns the CTEs in scope inside a statement with the given WITH
// clause: the outer ones and its own SELECT CTEs.
func withCTEs(outer map[string]*pg_query.SelectStmt, with *pg_query.WithClause) map[string]*pg_query.SelectStmt {
	if with == nil || len(with.Ctes) == 0 {
		return outer
	}
	out := maps.Clone(outer)
	if out == nil {
		out = make(map[string]*pg_query.SelectStmt, len(with.Ctes))
	}
	for _, n := range with.Ctes {
		cte := n.GetCommonTableExpr()
		if sel := cte.GetCtequery().GetSelectStmt(); sel != nil {
			out[cte.Ctename] = sel
		}
	}
	return out
}

func relationName(rv *pg_query.RangeVar) string {
	if rv == nil {
		return ""
	}
	if rv.Schemaname != "" && rv.Schemaname != "public" {
		return rv.Schemaname + "." + rv.Relname
	}
	return rv.Relname
}

// isCountOnly reports whether a SELECT's only output is count(*) or
// count(<constant>).
func isCountOnly(s *pg_query.SelectStmt) bool {
	if len(s.TargetList) != 1 || s.Larg != nil {
		return false
	}
	fc := s.TargetList[0].GetResTarget().GetVal().GetFuncCall()
	if fc == nil || len(fc.Funcname) == 0 || strings.ToLower(fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()) != "count" {
		return false
	}
	return fc.AggStar || len(fc.Args) == 1 && fc.Args[0].GetAConst() != nil
}

// columns lists the columns an expression refers to, by name alone, sorted
// and unique: "article"."status" and status are both "status".
func columns(expr *pg_query.Node) []string {
	if expr == nil {
		return nil
	}
	var out []string
	walk(expr.ProtoReflect(), func(m protoreflect.Message) {
		if ref, ok := m.Interface().(*pg_query.ColumnRef); ok {
			if name := columnName(ref); name != "" {
				out = append(out, name)
			}
		}
	})
	slices.Sort(out)
	return slices.Compact(out)
}

func columnName(ref *pg_query.ColumnRef) string {
	if len(ref.Fields) == 0 {
		return ""
	}
	return ref.Fields[len(ref.Fields)-1].GetString_().GetSval()
}

// sortKeys names an ORDER BY's keys: a column by its name, an expression
// by its function or "expr", "desc" appended where descending.
func sortKeys(sort []*pg_query.Node) []string {
	out := make([]string, 0, len(sort))
	for _, n := range sort {
		by := n.GetSortBy()
		if by == nil {
			continue
		}
		key := "expr"
		switch {
		case by.Node.GetColumnRef() != nil:
			key = columnName(by.Node.GetColumnRef())
		case by.Node.GetFuncCall() != nil:
			if f := by.Node.GetFuncCall().Funcname; len(f) > 0 {
				key = f[len(f)-1].GetString_().GetSval()
			}
		case by.Node.GetAConst() != nil:
			key = fmt.Sprintf("%d", by.Node.GetAConst().GetIval().GetIval())
		}
		if by.SortbyDir == pg_query.SortByDir_SORTBY_DESC {
			key += " desc"
		}
		out = append(out, key)
	}
	return out
}

// constant returns an integer constant's value, or 0 for anything else (a
// parameter, an expression, no node).
func constant(n *pg_query.Node) int64 {
	if c := n.GetAConst(); c != nil {
		return int64(c.GetIval().GetIval())
	}
	return 0
}

// walk calls fn for m and every message below it, depth first.
func walk(m protoreflect.Message, fn func(protoreflect.Message)) {
	if !m.IsValid() {
		return
	}
	fn(m)
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := range l.Len() {
				walk(l.Get(i).Message(), fn)
			}
		case fd.IsMap():
		default:
			walk(v.Message(), fn)
		}
		return true
	})
}

// onlyFunction returns the name of the function a SELECT without FROM
// returns alone (SELECT version()), or "".
func onlyFunction(s *pg_query.SelectStmt) string {
	if len(s.TargetList) != 1 || len(s.FromClause) > 0 {
		return ""
	}
	fc := s.TargetList[0].GetResTarget().GetVal().GetFuncCall()
	if fc == nil || len(fc.Funcname) == 0 {
		return ""
	}
	return fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()
}
