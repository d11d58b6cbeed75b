package seed

import (
	"math/bits"
	"strings"
)

// textGenerator is the text generator: random text, optionally from a few
// distinct values, skewed, or unique.
func textGenerator() columnGenerator {
	return columnGenerator{settings: []string{"min_length", "max_length", "distinct", "skew", "unique", "prefix", "suffix"}, parse: parseText, compile: compileText}
}

func parseText(s *columnSettings) error {
	pr := s.params
	pr.minLength, pr.maxLength = 8, 16
	_, hasMinL := s.set["min_length"]
	_, hasMaxL := s.set["max_length"]
	if hasMinL {
		pr.minLength = s.yaml.MinLength
	}
	if hasMaxL {
		pr.maxLength = s.yaml.MaxLength
	}
	if hasMinL && !hasMaxL && pr.maxLength < pr.minLength {
		pr.maxLength = pr.minLength
	}
	if pr.minLength < 0 || pr.maxLength < pr.minLength || pr.maxLength > 1<<20 {
		return s.errf("min_length", "length range %d..%d is not valid: 0 <= min_length <= max_length <= 1048576", pr.minLength, pr.maxLength)
	}
	pr.distinct, pr.unique, pr.prefix, pr.suffix = s.yaml.Distinct, s.yaml.Unique, s.yaml.Prefix, s.yaml.Suffix
	if _, ok := s.set["distinct"]; ok && pr.distinct < 1 {
		return s.errf("distinct", "distinct must be 1 or more")
	}
	if _, ok := s.set["skew"]; ok {
		if pr.distinct == 0 {
			return s.errf("skew", "skew needs distinct: it skews how often each of the distinct values appears")
		}
		pr.skew = s.yaml.Skew
		if pr.skew < 0 {
			return s.errf("skew", "skew must be 0 (uniform) or above")
		}
	}
	if pr.unique {
		if pr.distinct != 0 {
			return s.errf("unique", "unique and distinct contradict each other: keep one")
		}
		if pr.minLength < uniqueTextLength {
			return s.errf("min_length", "unique text needs min_length of at least %d (the unique part)", uniqueTextLength)
		}
	}
	return nil
}

func compileText(c *compiler, col genColumn) (compiled, error) {
	t, ci, name, p, st := col.t, col.info, col.name, col.p, col.st
	if limit := int(ci.typmod) - 4; (strings.HasPrefix(ci.typ, "character varying") || strings.HasPrefix(ci.typ, "character(")) && ci.typmod >= 4 {
		if n := len([]rune(p.prefix)) + p.maxLength + len([]rune(p.suffix)); n > limit {
			return compiled{}, c.errf(t, name, "text up to %d characters does not fit %s: lower max_length", n, ci.typ)
		}
	}
	g := textGen{minLen: p.minLength, maxLen: p.maxLength, prefix: p.prefix, suffix: p.suffix, distinct: p.distinct, unique: p.unique, s: st}
	if p.distinct > 0 && p.skew > 0 {
		z := newZipf(p.distinct, p.skew)
		g.z = &z
	}
	comp := compiled{gen: g, kind: kBytes}
	return comp, nil
}

// textGen makes strings of letters with a length in [minLen, maxLen]. With
// distinct > 0 the values are drawn from that many strings (Zipf-skewed if
// skew > 0); with unique every row's value differs.
type textGen struct {
	minLen, maxLen int
	prefix, suffix string
	distinct       int64
	z              *zipf
	unique         bool
	s              stream
}

const letters = "abcdefghijklmnopqrstuvwxyz"

func (g textGen) gen(row int64, v *val) {
	key := row
	if g.distinct > 0 {
		if g.z != nil {
			key = g.z.rank(g.s, row, 8)
		} else {
			key = 1 + int64(below(g.s.word(row, 8), uint64(g.distinct)))
		}
	}
	n := g.minLen
	if g.maxLen > g.minLen {
		n += int(below(g.s.word(key, 9), uint64(g.maxLen-g.minLen+1)))
	}
	b := append(v.b[:0], g.prefix...)
	if g.unique {
		// A bijection of the row number, in base 32: unique, yet not in
		// row order.
		u := mix64(uint64(row) ^ uint64(g.s))
		for i := 0; i < uniqueTextLength; i++ {
			b = append(b, "abcdefghijklmnopqrstuvwxyz234567"[u&31])
			u >>= 5
		}
		n -= uniqueTextLength
	}
	h := g.s.word(key, 10)
	for i, k := 0, uint64(11); i < n; i++ {
		if i%12 == 11 {
			h = g.s.word(key, k)
			k++
		}
		var c uint64
		c, h = bits.Mul64(h, 26)
		b = append(b, letters[c])
	}
	b = append(b, g.suffix...)
	v.kind, v.b = kBytes, b
}

// uniqueTextLength is the length of the part of a unique text value that
// makes it unique: a 64-bit number in base 32.
const uniqueTextLength = 13
