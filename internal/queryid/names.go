package queryid

import (
	"encoding/json"
	"net/url"
	"regexp"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// tables lists the relations a statement reads or writes, in the order they
// first appear, schema-qualified when the statement qualifies them.
func tables(tree *pg_query.ParseResult) []string {
	data, err := json.Marshal(tree)
	if err != nil {
		return nil
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if rv, ok := t["RangeVar"].(map[string]any); ok {
				name, _ := rv["relname"].(string)
				if schema, _ := rv["schemaname"].(string); schema != "" {
					name = schema + "." + name
				}
				if name != "" && !seen[name] {
					seen[name] = true
					out = append(out, name)
				}
			}
			for _, k := range sortedKeys(t) {
				walk(t[k])
			}
		case []any:
			for _, e := range t {
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// A map does not keep protobuf field order; a stable order is enough,
	// since lists (FROM, joins) are walked in their own order.
	sort.Strings(keys)
	return keys
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
