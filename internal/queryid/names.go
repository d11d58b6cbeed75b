package queryid

import (
	"cmp"
	"net/url"
	"regexp"
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// tables lists the relations a statement reads or writes, in the order they
// first appear in its text, schema-qualified when the statement qualifies
// them.
func tables(tree *pg_query.ParseResult) []string {
	type named struct {
		name     string
		location int32
	}
	var found []named
	for _, raw := range tree.Stmts {
		walk(raw.ProtoReflect(), func(m protoreflect.Message) {
			rv, ok := m.Interface().(*pg_query.RangeVar)
			if !ok || rv.Relname == "" {
				return
			}
			name := rv.Relname
			if rv.Schemaname != "" {
				name = rv.Schemaname + "." + name
			}
			found = append(found, named{name, rv.Location})
		})
	}
	slices.SortStableFunc(found, func(a, b named) int { return cmp.Compare(a.location, b.location) })
	var out []string
	seen := map[string]bool{}
	for _, f := range found {
		if !seen[f.name] {
			seen[f.name] = true
			out = append(out, f.name)
		}
	}
	return out
}

// isPaginationCount recognises the count an ORM's paginator runs beside a
// list query: a SELECT whose only output is count(*) (or count(1)), either
// wrapped around a subquery (Django's `SELECT COUNT(*) FROM (...) subquery`,
// Rails' `count_tmp`, ...) or aliased as Django's "__count".
func isPaginationCount(s *pg_query.SelectStmt) bool {
	if len(s.TargetList) != 1 || s.Op != pg_query.SetOperation_SET_OPERATION_UNDEFINED && s.Op != pg_query.SetOperation_SETOP_NONE {
		return false
	}
	rt := s.TargetList[0].GetResTarget()
	if rt == nil {
		return false
	}
	fc := rt.Val.GetFuncCall()
	if fc == nil || len(fc.Funcname) == 0 || strings.ToLower(fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval()) != "count" {
		return false
	}
	if !fc.AggStar && !(len(fc.Args) == 1 && fc.Args[0].GetAConst() != nil) {
		return false
	}
	if rt.Name == "__count" {
		return true
	}
	return len(s.FromClause) == 1 && s.FromClause[0].GetRangeSubselect() != nil && s.GroupClause == nil
}

var (
	nameComment = regexp.MustCompile(`^(?:--|/\*)\s*name:\s*([^\s*]+)`)
	tagPair     = regexp.MustCompile(`([A-Za-z0-9_.%-]+)='((?:[^'\\]|\\.)*)'`)
)

// ExplicitName returns the name a statement gives itself in a comment, as
// sqlc writes them: `-- name: ListOrders :many`.
func ExplicitName(comments []string) string {
	for _, c := range comments {
		if m := nameComment.FindStringSubmatch(strings.TrimSpace(c)); m != nil {
			return m[1]
		}
	}
	return ""
}

// Tags returns the sqlcommenter tags of a statement's comments
// (`/*controller='orders',action='index',route='%2Fapi%2Forders'*/`, as
// Django, Rails and others emit), keys and values URL-decoded.
func Tags(comments []string) map[string]string {
	var tags map[string]string
	for _, c := range comments {
		if !strings.HasPrefix(c, "/*") {
			continue
		}
		for _, m := range tagPair.FindAllStringSubmatch(c, -1) {
			k, err1 := url.QueryUnescape(m[1])
			v, err2 := url.PathUnescape(strings.ReplaceAll(m[2], `\'`, `'`))
			if err1 != nil || err2 != nil {
				continue
			}
			if tags == nil {
				tags = map[string]string{}
			}
			tags[k] = v
		}
	}
	return tags
}

// TagName names a statement after its sqlcommenter tags: the route, else
// controller#action, else whichever of them there is; "" without tags.
func TagName(tags map[string]string) string {
	switch {
	case tags["route"] != "":
		return tags["route"]
	case tags["controller"] != "" && tags["action"] != "":
		return tags["controller"] + "#" + tags["action"]
	case tags["controller"] != "":
		return tags["controller"]
	case tags["action"] != "":
		return tags["action"]
	}
	return ""
}
