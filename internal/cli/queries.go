package cli

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/queryid"
)

// query is one distinct statement to measure, identified and named.
type query struct {
	name string
	// explicit is set when the name was given (a file's stem, a `-- name:`
	// comment, a capture's name) rather than derived from the structure.
	explicit bool
	st       capture.Statement
	id       queryid.Identity
	// calls is how many times the statement ran in the capture, groups how
	// many times per group (test, endpoint, job); a generic-plan variant
	// has no calls of its own.
	calls  int
	groups map[string]int
	// estimateOnly is set when the statement has placeholders without values
	// (pg_stat_statements): it is planned, not run.
	estimateOnly bool
	// countOf names the list query a pagination count belongs to.
	countOf string
	// generic replays the statement's generic plan (a prepared statement
	// under plan_cache_mode = force_generic_plan).
	generic bool
}

// loadQueries reads the configured sources, identifies every statement,
// merges duplicates (same explicit name, else same fingerprint) and names
// each query.
//
// A query's name is its explicit name (a .sql file's stem, a `-- name:`
// comment, a capture's name) when it has one, else its structure's
// (queryid.Structure.Name: "articles count where status"), else its
// fingerprint. A statement's group is the capture's (application_name, a
// test), else its sqlcommenter tags' (route, controller#action).
func loadQueries(cfg config.Config) ([]query, error) {
	sts, err := capture.Load(cfg.Queries)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, fmt.Errorf("queries: none found in %s", strings.Join(cfg.Queries, ", "))
	}
	var out []query
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
		if dup && name != "" && out[i].id.Fingerprint != id.Fingerprint {
			return nil, fmt.Errorf("queries: two different queries are named %q (%s and %s): rename one", name, out[i].st.Source, st.Source)
		}
		if !dup {
			i = len(out)
			byKey[key] = i
			out = append(out, query{name: name, explicit: name != "", st: st, id: id, groups: map[string]int{},
				estimateOnly: capture.EstimateOnly(st)})
		}
		out[i].calls += calls
		if group != "" {
			out[i].groups[group] += calls
		}
	}
	nameImplicit(out)
	if err := checkUnique(out); err != nil {
		return nil, err
	}
	linkPaginationCounts(out)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// nameImplicit names the queries that have no explicit name after their
// structure. Statements of one structure that differ otherwise get their
// fingerprint's first characters too: which of them is which is then left
// to the gate's pairing by similarity, never to the order they came in.
func nameImplicit(qs []query) {
	byName := map[string][]int{}
	for i, q := range qs {
		if q.explicit {
			continue
		}
		name := q.id.Structure.Name()
		if name == "" {
			name = "q_" + q.id.Fingerprint
		}
		byName[name] = append(byName[name], i)
	}
	for name, idx := range byName {
		for _, i := range idx {
			qs[i].name = name
			if len(idx) > 1 {
				qs[i].name += " [" + qs[i].id.Fingerprint[:8] + "]"
			}
		}
	}
}

func checkUnique(qs []query) error {
	seen := map[string]string{}
	for _, q := range qs {
		if prev, dup := seen[q.name]; dup {
			return fmt.Errorf("queries: two queries are named %q (%s and %s): rename one", q.name, prev, q.st.Source)
		}
		seen[q.name] = q.st.Source
	}
	return nil
}

// linkPaginationCounts ties each pagination count to its list query: a
// list page of the same relation, preferably one with the same filters (the
// count wraps the list's WHERE clause), then one that shares a group with
// the count, then the first by name.
func linkPaginationCounts(qs []query) {
	for i := range qs {
		c := &qs[i]
		if !c.id.PaginationCount || c.id.Structure.Relation == "" {
			continue
		}
		best, bestScore := "", -1
		for _, l := range qs {
			if l.id.Structure.Role != queryid.RoleList || l.id.Structure.Relation != c.id.Structure.Relation || l.generic {
				continue
			}
			score := 0
			if slices.Equal(l.id.Structure.Filters, c.id.Structure.Filters) {
				score += 2
			}
			for g := range l.groups {
				if c.groups[g] > 0 {
					score++
					break
				}
			}
			if score > bestScore || score == bestScore && l.name < best {
				best, bestScore = l.name, score
			}
		}
		c.countOf = best
	}
}
