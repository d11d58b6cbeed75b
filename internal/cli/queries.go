package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/queryid"
)

// query is one distinct statement to measure, identified and named.
type query struct {
	name string
	st   capture.Statement
	id   queryid.Identity
	// group is the test or endpoint that issued it, if known.
	group string
	// count is how many times it was captured (same fingerprint and group).
	count int
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
// merges duplicates (same fingerprint and group) and names each query.
//
// A query's name comes from, in order: an explicit name (a .sql file's stem,
// a `-- name:` comment, a capture's name), its sqlcommenter tags (route,
// controller#action), its group, else its fingerprint. Names from tags or
// groups that several different statements share get a short suffix saying
// which one each is ("/api/orders [count]", "/api/orders [select orders]").
func loadQueries(cfg config.Config) ([]query, error) {
	sts, err := capture.Load(cfg.Queries)
	if err != nil {
		return nil, err
	}
	if len(sts) == 0 {
		return nil, fmt.Errorf("queries: none found in %s", strings.Join(cfg.Queries, ", "))
	}
	var out []query
	byKey := map[string]int{}    // dedup key -> index in out
	explicit := map[string]int{} // explicit name -> index in out
	for _, st := range sts {
		id, err := queryid.Identify(st.SQL)
		if err != nil {
			return nil, fmt.Errorf("queries: %s: %w", st.Source, err)
		}
		q := query{st: st, id: id, group: st.Group, count: max(st.Count, 1), estimateOnly: capture.EstimateOnly(st)}
		tags := queryid.Tags(id.Comments)
		if q.group == "" {
			q.group = queryid.TagName(tags)
		}
		name := st.Name
		if name == "" {
			name = queryid.ExplicitName(id.Comments)
		}
		if name != "" {
			if i, dup := explicit[name]; dup {
				if out[i].id.Fingerprint != id.Fingerprint {
					return nil, fmt.Errorf("queries: two different queries are named %q (%s and %s): rename one", name, out[i].st.Source, st.Source)
				}
				out[i].count += q.count
				continue
			}
			q.name = name
			explicit[name] = len(out)
			out = append(out, q)
			continue
		}
		key := id.Fingerprint + "\x00" + q.group
		if i, dup := byKey[key]; dup {
			out[i].count += q.count
			continue
		}
		byKey[key] = len(out)
		out = append(out, q)
	}
	nameImplicit(out)
	if err := checkUnique(out); err != nil {
		return nil, err
	}
	linkPaginationCounts(out)
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// nameImplicit names the queries that have no explicit name.
func nameImplicit(qs []query) {
	bases := map[string][]int{}
	for i, q := range qs {
		if q.name != "" {
			continue
		}
		base := queryid.TagName(queryid.Tags(q.id.Comments))
		if base == "" {
			base = q.group
		}
		if base == "" {
			qs[i].name = "q_" + q.id.Fingerprint
			continue
		}
		bases[base] = append(bases[base], i)
	}
	for base, idx := range bases {
		if len(idx) == 1 {
			qs[idx[0]].name = base
			continue
		}
		suffixes := map[string]int{}
		for _, i := range idx {
			suffixes[describe(qs[i].id)]++
		}
		for _, i := range idx {
			d := describe(qs[i].id)
			if suffixes[d] > 1 {
				d += " " + qs[i].id.Fingerprint[:8]
			}
			qs[i].name = base + " [" + d + "]"
		}
	}
}

// describe says in a word or two which statement of an endpoint this is.
func describe(id queryid.Identity) string {
	if id.PaginationCount {
		return "count"
	}
	d := string(id.Kind)
	if len(id.Tables) > 0 {
		d += " " + id.Tables[0]
	}
	return d
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

// linkPaginationCounts ties each pagination count to the list query of the
// same group: the SELECT beside it that reads the same first table.
func linkPaginationCounts(qs []query) {
	for i := range qs {
		c := &qs[i]
		if !c.id.PaginationCount || c.group == "" {
			continue
		}
		for _, l := range qs {
			if l.group == c.group && l.id.Kind == queryid.KindSelect && !l.id.PaginationCount &&
				len(l.id.Tables) > 0 && len(c.id.Tables) > 0 && l.id.Tables[0] == c.id.Tables[0] {
				c.countOf = l.name
				break
			}
		}
	}
}
