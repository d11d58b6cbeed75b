package gate

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func structural(name, sql, relation, role, structure string, cost float64) Query {
	return Query{Name: name, Kind: "select", SQL: sql, Relation: relation, Role: role, Structure: structure,
		Fingerprint: name, Metrics: map[string]float64{MetricTotalCost: cost}}
}

func TestCompare_Pairing(t *testing.T) {
	const (
		listSQL  = `SELECT a.id, a.title FROM articles a WHERE a.status = $1 ORDER BY a.id LIMIT $2`
		listSQL2 = `SELECT a.id, a.title, COUNT(c.id) AS n FROM articles a LEFT OUTER JOIN comments c ON c.article_id = a.id WHERE a.status = $1 GROUP BY a.id ORDER BY a.id LIMIT $2`
	)
	tests := []struct {
		name     string
		base     []Query
		cur      []Query
		pairing  PairRules
		want     map[string]*Match // current name -> match (nil: none)
		statuses map[string]Status
	}{
		{
			name:     "same structure, new name",
			base:     []Query{structural("articles list [aaaa]", listSQL, "articles", "list", "k1", 100)},
			cur:      []Query{structural("articles list [bbbb]", listSQL2, "articles", "list", "k1", 5000)},
			want:     map[string]*Match{"articles list [bbbb]": {Baseline: "articles list [aaaa]", By: MatchStructure, Similarity: 0.64}},
			statuses: map[string]Status{"articles list [bbbb]": StatusRegressed},
		},
		{
			name:     "same fingerprint, new name",
			base:     []Query{{Name: "old", Fingerprint: "f1", Metrics: map[string]float64{MetricTotalCost: 10}}},
			cur:      []Query{{Name: "new", Fingerprint: "f1", Metrics: map[string]float64{MetricTotalCost: 10}}},
			want:     map[string]*Match{"new": {Baseline: "old", By: MatchFingerprint, Similarity: 1}},
			statuses: map[string]Status{"new": StatusPass},
		},
		{
			name:     "never across relations",
			base:     []Query{structural("articles count", `SELECT count(*) FROM articles`, "articles", "count", "k1", 10)},
			cur:      []Query{structural("authors count", `SELECT count(*) FROM authors`, "authors", "count", "k2", 10)},
			want:     map[string]*Match{"authors count": nil},
			statuses: map[string]Status{"authors count": StatusNew, "articles count": StatusRemoved},
		},
		{
			name: "never across roles",
			base: []Query{structural("articles count", `SELECT count(*) FROM (SELECT id FROM articles) s`, "articles", "count", "k1", 10)},
			cur:  []Query{structural("articles list", `SELECT id FROM articles ORDER BY id LIMIT 20`, "articles", "list", "k2", 10)},
			want: map[string]*Match{"articles list": nil},
		},
		{
			name: "different structure and little in common",
			base: []Query{structural("a1", `SELECT id FROM articles WHERE author_id = $1`, "articles", "select", "k1", 10)},
			cur:  []Query{structural("a2", `SELECT title, body, status, published_at FROM articles WHERE status = $1 AND published_at > now()`, "articles", "select", "k2", 10)},
			want: map[string]*Match{"a2": nil},
		},
		{
			name: "one to one, the most similar first",
			base: []Query{
				structural("x [1]", `SELECT id FROM articles WHERE status = $1`, "articles", "select", "k1", 10),
				structural("x [2]", `SELECT id FROM articles WHERE id IN ($1)`, "articles", "select", "k1", 10),
			},
			cur: []Query{
				structural("x [3]", `SELECT id FROM articles WHERE id IN ($1)`, "articles", "select", "k1", 10),
				structural("x [4]", `SELECT id, title FROM articles WHERE status = $1`, "articles", "select", "k1", 10),
			},
			want: map[string]*Match{
				"x [3]": {Baseline: "x [2]", By: MatchStructure, Similarity: 1},
				"x [4]": {Baseline: "x [1]", By: MatchStructure, Similarity: 0.89},
			},
		},
		{
			name:    "forbidden",
			base:    []Query{structural("articles list [aaaa]", listSQL, "articles", "list", "k1", 100)},
			cur:     []Query{structural("articles list [bbbb]", listSQL2, "articles", "list", "k1", 5000)},
			pairing: PairRules{Forbid: []Pair{{Baseline: "articles list [aaaa]", Current: "articles list [bbbb]"}}},
			want:    map[string]*Match{"articles list [bbbb]": nil},
		},
		{
			name:    "pinned across relations",
			base:    []Query{structural("legacy", `SELECT * FROM posts`, "posts", "select", "k1", 10)},
			cur:     []Query{structural("modern", `SELECT * FROM articles`, "articles", "select", "k2", 10)},
			pairing: PairRules{Pin: []Pair{{Baseline: "legacy", Current: "modern"}}},
			want:    map[string]*Match{"modern": {Baseline: "legacy", By: MatchPinned, Similarity: 0.75}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := DefaultRules()
			rules.Pairing = tt.pairing
			rep := Compare(tt.base, tt.cur, rules)
			got := map[string]*Match{}
			statuses := map[string]Status{}
			for _, res := range rep.Queries {
				statuses[res.Name] = res.Status
				if _, asked := tt.want[res.Name]; asked {
					got[res.Name] = res.Match
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
			for name, want := range tt.statuses {
				if statuses[name] != want {
					t.Errorf("%s: status %s, want %s", name, statuses[name], want)
				}
			}
		})
	}
}

func TestSimilarity(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"SELECT a FROM t", "select a from t", 1},
		{"SELECT a FROM t", "SELECT b FROM u", 0.5},
		{"", "", 1},
		{"SELECT 1", "", 0},
	}
	for _, tt := range tests {
		if got := Similarity(tt.a, tt.b); got != tt.want {
			t.Errorf("Similarity(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
