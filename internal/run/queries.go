package run

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/queryid"
)

// Query is one distinct statement to measure, identified and named.
type Query struct {
	// Name is the query's name in baselines and reports.
	Name string
	// Explicit is set when the name was given (a file's stem, a `-- name:`
	// comment, a capture's name) rather than derived from the structure.
	Explicit bool
	// Statement is the statement as captured (its first occurrence).
	Statement capture.Statement
	// ID is what pg_query tells of the statement.
	ID queryid.Identity
	// Calls is how many times the statement ran in the capture, Groups how
	// many times per group (test, endpoint, job); a generic-plan variant
	// has no calls of its own.
	Calls  int
	Groups map[string]int
	// EstimateOnly is set when the statement has placeholders without
	// values (pg_stat_statements): it is planned, not run.
	EstimateOnly bool
	// CountOf names the list query a pagination count belongs to.
	CountOf string
	// Generic replays the statement's generic plan (a prepared statement
	// under plan_cache_mode = force_generic_plan).
	Generic bool
}

// LoadQueries reads the configured sources, identifies every statement,
// merges duplicates (same explicit name, else same fingerprint) and names
// each query.
//
// A query's name is its explicit name (a .sql file's stem, a `-- name:`
// comment, a capture's name) when it has one, else its structure's
// (queryid.Structure.Name: "articles count where status"), else its
// fingerprint. A statement's group is the capture's (application_name, a
// test), else its sqlcommenter tags' (route, controller#action).
func LoadQueries(cfg config.Config) ([]Query, error) {
	sts, err := capture.Load(cfg.Queries)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, fmt.Errorf("queries: none found in %s", strings.Join(cfg.Queries, ", "))
	}
	var out []Query
	byKey := map[string]int{} // "name:" + explicit name, or "fp:" + fingerprint -> index in out
	for _, st := range sts {
		id, err := queryid.Identify(st.SQL)
		if err != nil {
			return nil, fmt.Errorf("queries: %s: %w", st.Source, err)
		}
		group := st.Group
		if group == "" {
			group = queryid.TagName(queryid.Tags(id.Comments))
		}
		calls := max(st.Count, 1)
		name := st.Name
		if name == "" {
			name = queryid.ExplicitName(id.Comments)
		}
		key := "fp:" + id.Fingerprint
		if name != "" {
			key = "name:" + name
		}
		i, dup := byKey[key]
		if dup && name != "" && out[i].ID.Fingerprint != id.Fingerprint {
			return nil, fmt.Errorf("queries: two different queries are named %q (%s and %s): rename one", name, out[i].Statement.Source, st.Source)
		}
		if !dup {
			i = len(out)
			byKey[key] = i
			out = append(out, Query{Name: name, Explicit: name != "", Statement: st, ID: id, Groups: map[string]int{},
				EstimateOnly: capture.EstimateOnly(st)})
		}
		out[i].Calls += calls
		if group != "" {
			out[i].Groups[group] += calls
		}
	}
	nameImplicit(out)
	if err := checkUnique(out); err != nil {
		return nil, err
	}
	linkPaginationCounts(out)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// nameImplicit names the queries that have no explicit name after their
// structure. Statements of one structure that differ otherwise get their
// fingerprint's first characters too: which of them is which is then left
// to the gate's pairing by similarity, never to the order they came in.
func nameImplicit(qs []Query) {
	byName := map[string][]int{}
	for i, q := range qs {
		if q.Explicit {
			continue
		}
		name := q.ID.Structure.Name()
		if name == "" {
			name = "q_" + q.ID.Fingerprint
		}
		byName[name] = append(byName[name], i)
	}
	for name, idx := range byName {
		for _, i := range idx {
			qs[i].Name = name
			if len(idx) > 1 {
				qs[i].Name += " [" + qs[i].ID.Fingerprint[:8] + "]"
			}
		}
	}
}

func checkUnique(qs []Query) error {
	seen := map[string]string{}
	for _, q := range qs {
		if prev, dup := seen[q.Name]; dup {
			return fmt.Errorf("queries: two queries are named %q (%s and %s): rename one", q.Name, prev, q.Statement.Source)
		}
		seen[q.Name] = q.Statement.Source
	}
	return nil
}

// linkPaginationCounts ties each pagination count to its list query: a
// list page of the same relation, preferably one with the same filters (the
// count wraps the list's WHERE clause), then one that shares a group with
// the count, then the first by name.
func linkPaginationCounts(qs []Query) {
	for i := range qs {
		c := &qs[i]
		if !c.ID.PaginationCount || c.ID.Structure.Relation == "" {
			continue
		}
		best, bestScore := "", -1
		for _, l := range qs {
			if l.ID.Structure.Role != queryid.RoleList || l.ID.Structure.Relation != c.ID.Structure.Relation || l.Generic {
				continue
			}
			score := 0
			if slices.Equal(l.ID.Structure.Filters, c.ID.Structure.Filters) {
				score += 2
			}
			for g := range l.Groups {
				if c.Groups[g] > 0 {
					score++
					break
				}
			}
			if score > bestScore || score == bestScore && l.Name < best {
				best, bestScore = l.Name, score
			}
		}
		c.CountOf = best
	}
}
