package gate

import (
	"cmp"
	"regexp"
	"slices"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// How a current query was tied to a baseline query of another name.
const (
	// MatchPinned: plangate.yaml's match.pin says so.
	MatchPinned = "pinned"
	// MatchFingerprint: the same statement, under a new name.
	MatchFingerprint = "fingerprint"
	// MatchStructure: the same kind of statement about the same relation in
	// the same role, the most similar one left.
	MatchStructure = "structure"
)

// MinSimilarity is how similar (0 to 1, see Similarity) two statements of
// different structure must be to be paired: below it, two statements on
// the same relation in the same role are more likely different queries
// than one edited.
const MinSimilarity = 0.5

// Match says how a current query was paired with a baseline query whose
// name it does not share.
type Match struct {
	// Baseline is the baseline query's name.
	Baseline string `json:"baseline"`
	// By is how: pinned, fingerprint or structure.
	By string `json:"by"`
	// Similarity is how alike the two statements' texts are, from 0 to 1.
	Similarity float64 `json:"similarity"`
}

// Pair names a baseline query and a current query.
type Pair struct {
	Baseline, Current string
}

// PairRules pin or forbid pairings of a current query with a baseline query
// of another name.
type PairRules struct {
	// Pin pairs these queries whatever their structure.
	Pin []Pair
	// Forbid never pairs these queries.
	Forbid []Pair
}

// pairRemaining ties current queries whose names the baseline lacks to
// baseline queries whose names the current run lacks: pinned pairs first,
// then equal fingerprints, then by structure: same kind, relation, role
// and plan variant, the most similar first, one to one. It never pairs
// across relations or statement kinds. The result maps current names to
// their matches.
func pairRemaining(base, cur map[string]*Query, rules PairRules) map[string]Match {
	var removed, added []*Query
	for n, q := range base {
		if cur[n] == nil {
			removed = append(removed, q)
		}
	}
	for n, q := range cur {
		if base[n] == nil {
			added = append(added, q)
		}
	}
	byName := func(a, b *Query) int { return cmp.Compare(a.Name, b.Name) }
	slices.SortFunc(removed, byName)
	slices.SortFunc(added, byName)

	out := map[string]Match{}
	taken := map[string]bool{} // baseline names already paired
	take := func(b, c *Query, by string) {
		out[c.Name] = Match{Baseline: b.Name, By: by, Similarity: round2(Similarity(b.SQL, c.SQL))}
		taken[b.Name] = true
	}
	forbidden := map[Pair]bool{}
	for _, p := range rules.Forbid {
		forbidden[p] = true
	}
	for _, p := range rules.Pin {
		b, c := base[p.Baseline], cur[p.Current]
		if b != nil && c != nil && cur[b.Name] == nil && base[c.Name] == nil && !taken[b.Name] {
			if _, done := out[c.Name]; !done {
				take(b, c, MatchPinned)
			}
		}
	}
	allowed := func(b, c *Query) bool {
		_, done := out[c.Name]
		return !done && !taken[b.Name] && !forbidden[Pair{b.Name, c.Name}] && b.Generic == c.Generic
	}
	for _, c := range added {
		for _, b := range removed {
			if c.Fingerprint != "" && b.Fingerprint == c.Fingerprint && allowed(b, c) {
				take(b, c, MatchFingerprint)
				break
			}
		}
	}

	type candidate struct {
		b, c       *Query
		sameShape  bool
		similarity float64
	}
	var cands []candidate
	for _, c := range added {
		for _, b := range removed {
			if !allowed(b, c) || c.Relation == "" || b.Relation != c.Relation || b.Kind != c.Kind || b.Role != c.Role {
				continue
			}
			same := b.Structure != "" && b.Structure == c.Structure
			sim := Similarity(b.SQL, c.SQL)
			if same || sim >= MinSimilarity {
				cands = append(cands, candidate{b, c, same, sim})
			}
		}
	}
	slices.SortStableFunc(cands, func(x, y candidate) int {
		if x.sameShape != y.sameShape {
			if x.sameShape {
				return -1
			}
			return 1
		}
		return cmp.Compare(y.similarity, x.similarity)
	})
	for _, cd := range cands {
		if allowed(cd.b, cd.c) {
			take(cd.b, cd.c, MatchStructure)
		}
	}
	return out
}

var sqlToken = regexp.MustCompile(`"(?:[^"]|"")*"|'(?:[^']|'')*'|\$\d+|\w+|[^\s\w]`)

// Similarity says how alike two statements' texts are, from 0 (nothing in
// common) to 1 (the same tokens in the same order): twice the tokens the
// two share in order, over the tokens of both.
func Similarity(a, b string) float64 {
	ta, tb := sqlToken.FindAllString(a, -1), sqlToken.FindAllString(b, -1)
	if len(ta)+len(tb) == 0 {
		return 1
	}
	// Each distinct token becomes one rune, so the diff runs over tokens.
	runes := map[string]rune{}
	encode := func(tokens []string) []rune {
		out := make([]rune, len(tokens))
		for i, t := range tokens {
			if t[0] != '"' {
				t = strings.ToLower(t)
			}
			r, ok := runes[t]
			if !ok {
				r = rune(0xE000 + len(runes)) // private use area
				runes[t] = r
			}
			out[i] = r
		}
		return out
	}
	ra, rb := encode(ta), encode(tb)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 0
	common := 0
	for _, d := range dmp.DiffMainRunes(ra, rb, false) {
		if d.Type == diffmatchpatch.DiffEqual {
			common += len([]rune(d.Text))
		}
	}
	return 2 * float64(common) / float64(len(ra)+len(rb))
}

func round2(v float64) float64 {
	return float64(int(v*100+0.5)) / 100
}
