package seed

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"
)

// correlatedGenerator is the correlated generator: values that follow another
// column of the row: an offset from it, or a mapping of its values.
func correlatedGenerator() columnGenerator {
	return columnGenerator{settings: []string{"with", "min_offset", "max_offset", "values", "strength"}, parse: parseCorrelated, compile: compileCorrelated}
}

func parseCorrelated(s *columnSettings) error {
	pr := s.params
	pr.with = s.yaml.With
	if pr.with == "" {
		return s.errf("", "correlated needs with (the column it follows), and min_offset/max_offset or values")
	}
	if pr.with == s.name {
		return s.errf("with", "a column cannot follow itself")
	}
	_, hasMinO := s.set["min_offset"]
	_, hasMaxO := s.set["max_offset"]
	_, hasValues := s.set["values"]
	switch {
	case hasValues && (hasMinO || hasMaxO):
		return s.errf("values", "give either values (a mapping from the other column's values) or min_offset/max_offset (a distance from them), not both")
	case hasValues:
		choices, err := s.p.choices(s.set["values"], s.table, s.name)
		if err != nil {
			return err
		}
		pr.choices = choices
		pr.strength = 1
		if _, ok := s.set["strength"]; ok {
			pr.strength = s.yaml.Strength
		}
		if pr.strength < 0 || pr.strength > 1 {
			return s.errf("strength", "strength must be between 0 (independent) and 1 (a function of %q)", pr.with)
		}
	case hasMinO || hasMaxO:
		if _, ok := s.set["strength"]; ok {
			return s.errf("strength", "strength goes with values; an offset correlation is set by min_offset and max_offset")
		}
		var err error
		if pr.minOffset, err = parseOffset(s.yaml.MinOffset); err != nil {
			return s.errf("min_offset", "min_offset: %v", err)
		}
		if pr.maxOffset, err = parseOffset(s.yaml.MaxOffset); err != nil {
			return s.errf("max_offset", "max_offset: %v", err)
		}
		if !hasMinO {
			pr.minOffset = offset{isTime: pr.maxOffset.isTime}
		}
		if !hasMaxO {
			pr.maxOffset = offset{n: pr.minOffset.n, isTime: pr.minOffset.isTime, written: pr.minOffset.written}
		}
		if pr.minOffset.isTime != pr.maxOffset.isTime && pr.minOffset.n != 0 && pr.maxOffset.n != 0 {
			return s.errf("min_offset", "min_offset and max_offset must both be durations or both numbers")
		}
		if pr.minOffset.n > pr.maxOffset.n {
			return s.errf("min_offset", "min_offset %s is above max_offset %s", s.yaml.MinOffset, s.yaml.MaxOffset)
		}
	default:
		return s.errf("", "correlated needs min_offset/max_offset (e.g. `{generator: correlated, with: created_at, min_offset: 1h, max_offset: 3d}`) or values (e.g. `{generator: correlated, with: country, values: [north, south], strength: 0.9}`)")
	}
	return nil
}

func compileCorrelated(c *compiler, col genColumn) (compiled, error) {
	t, ci, name, p, st := col.t, col.info, col.name, col.p, col.st
	with, err := c.column(t, p.with)
	if err != nil {
		return compiled{}, err
	}
	if p.choices != nil {
		cat, k, err := c.category(t, ci, p.choices, stream(salt(c.seed, t.spec.Name, name, "fallback")))
		if err != nil {
			return compiled{}, err
		}
		return compiled{gen: mappedGen{with: with.gen, strength: p.strength, cat: cat, scratch: &val{}, s: st}, kind: k}, nil
	}
	g := offsetGen{with: with.gen, min: p.minOffset.n, max: p.maxOffset.n, integral: ci.class.integral(), s: st}
	switch with.kind {
	case kTime:
		if !p.minOffset.isTime && p.minOffset.n != 0 || !p.maxOffset.isTime && p.maxOffset.n != 0 {
			return compiled{}, c.errf(t, name, "follows timestamp column %q: give the offsets a unit, e.g. min_offset: 1h, max_offset: 3d", p.with)
		}
		return compiled{gen: g, kind: kTime}, nil
	case kInt, kFloat:
		if p.minOffset.isTime || p.maxOffset.isTime {
			return compiled{}, c.errf(t, name, "follows numeric column %q: offsets must be plain numbers, not durations", p.with)
		}
		if g.integral {
			return compiled{gen: g, kind: kInt}, nil
		}
		return compiled{gen: g, kind: kFloat}, nil
	default:
		return compiled{}, c.errf(t, name, "follows column %q, whose values are not numbers or times: use values (a mapping) instead of offsets", p.with)
	}
}

// offsetGen follows another column of the same row at a distance drawn
// from [min, max].
type offsetGen struct {
	with     generator
	min, max float64
	integral bool
	s        stream
}

func (g offsetGen) gen(row int64, v *val) {
	g.with.gen(row, v)
	d := g.min + (g.max-g.min)*g.s.unit(row, 0)
	switch v.kind {
	case kInt:
		if g.integral {
			v.i += int64(math.Round(d))
		} else {
			v.kind, v.f = kFloat, float64(v.i)+d
		}
	case kFloat:
		v.f += d
		if g.integral {
			v.kind, v.i = kInt, int64(math.Round(v.f))
		}
	case kTime:
		v.i += int64(d)
	}
}

// mappedGen follows another column of the same row through a fixed,
// pseudo-random mapping of its values onto a list: a functional dependency
// (with strength 1) that the planner, assuming independent columns, does
// not see.
type mappedGen struct {
	with     generator
	strength float64
	cat      categoryGen
	scratch  *val
	s        stream
}

func (g mappedGen) gen(row int64, v *val) {
	if g.s.unit(row, 1) >= g.strength {
		g.cat.gen(row, v)
		return
	}
	w := g.scratch
	g.with.gen(row, w)
	if w.kind == kNull {
		v.kind = kNull
		return
	}
	h := valueHash(w) ^ uint64(g.s)
	*v = copyVal(*v, &g.cat.values[below(mix64(h), uint64(len(g.cat.values)))])
}

// valueHash hashes a value by content.
func valueHash(v *val) uint64 {
	switch v.kind {
	case kInt, kTime:
		return mix64(uint64(v.i))
	case kFloat:
		return mix64(math.Float64bits(v.f))
	case kUUID:
		return mix64(uint64(v.i) ^ mix64(v.u))
	case kString:
		h := fnv.New64a()
		h.Write([]byte(v.s))
		return h.Sum64()
	case kBytes:
		h := fnv.New64a()
		h.Write(v.b)
		return h.Sum64()
	}
	return 0
}

// offset is a correlated column's distance from the column it follows:
// a duration for timestamps, a plain number otherwise.
type offset struct {
	n       float64 // the number, or microseconds for a duration
	isTime  bool
	written string
}

// parseOffset reads a number, or a duration such as 90s, 36h or 7d.
func parseOffset(s string) (offset, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return offset{}, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		return offset{n: f, written: s}, nil
	}
	if strings.HasSuffix(s, "d") {
		if f, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64); err == nil && !math.IsInf(f, 0) {
			return offset{n: f * 86400e6, isTime: true, written: s}, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return offset{}, fmt.Errorf("%q is neither a number nor a duration such as 90s, 36h or 7d", s)
	}
	return offset{n: float64(d.Microseconds()), isTime: true, written: s}, nil
}
