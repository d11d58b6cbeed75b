package seed

import (
	"math"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// histogramGenerator is the histogram generator: a column as PostgreSQL's
// statistics see it (pg_stats), which is how `plangate stats spec` writes a
// column from production's statistics. values are the most-common values,
// each with its share of all rows (0 to 1); the other rows are drawn from
// bounds, equal-depth buckets as in histogram_bounds: each bucket between
// two neighbouring bounds holds as many rows, spread evenly inside it
// (numbers and times; text takes the bounds themselves). sorted walks the
// buckets in row order, as a column that rises with the table's physical
// order (correlation near 1) does.
func histogramGenerator() columnGenerator {
	return columnGenerator{settings: []string{"bounds", "values", "sorted"}, parse: parseHistogram, compile: compileHistogram}
}

func parseHistogram(s *columnSettings) error {
	pr := s.params
	node, hasBounds := s.set["bounds"]
	if hasBounds {
		if node.Kind != yaml.SequenceNode || len(node.Content) < 2 {
			return s.errf("bounds", "bounds must be a list of at least two values, lowest first, as pg_stats.histogram_bounds")
		}
		for _, b := range node.Content {
			if b.Kind != yaml.ScalarNode {
				return s.errf("bounds", "each bound must be a scalar, not %s", describeNode(b))
			}
			pr.bounds = append(pr.bounds, b.Value)
		}
	}
	if node, ok := s.set["values"]; ok {
		choices, err := s.p.choices(node, s.table, s.name)
		if err != nil {
			return err
		}
		total := 0.0
		for _, c := range choices {
			total += c.weight
		}
		if hasBounds && total > 1+1e-6 {
			return s.errf("values", "the values' shares add up to %.4g: with bounds they are shares of all rows, at most 1 together", total)
		}
		pr.choices = choices
	}
	if !hasBounds && pr.choices == nil {
		return s.errf("", "histogram needs bounds, values or both, e.g. `{generator: histogram, values: {pending: 0.04}, bounds: [1, 10, 100]}`")
	}
	pr.sorted = s.yaml.Sorted
	return nil
}

func compileHistogram(c *compiler, col genColumn) (compiled, error) {
	t, ci, p, st := col.t, col.info, col.p, col.st
	g := &histogramGen{rows: t.rows, sorted: p.sorted, integral: ci.class.integral(), s: st}
	for _, b := range p.bounds {
		v, err := literal(ci.class, b)
		if err != nil {
			return compiled{}, c.errf(t, ci.name, "bound %v for a column of type %s", err, ci.typ)
		}
		if ci.class.numeric() && v.kind == kString { // numeric: kept as text by literal
			if v.f, err = strconv.ParseFloat(v.s, 64); err != nil {
				return compiled{}, c.errf(t, ci.name, "bound %q for a column of type %s: not a number", b, ci.typ)
			}
			v.kind = kFloat
		}
		g.bounds = append(g.bounds, v)
	}
	kind := kString
	if len(g.bounds) > 0 {
		kind = g.bounds[0].kind
		if kind == kInt && !ci.class.integral() {
			kind = kFloat
		}
	}
	if len(p.choices) > 0 {
		cat, k, err := c.category(t, ci, p.choices, st)
		if err != nil {
			return compiled{}, err
		}
		g.common = &cat
		for _, ch := range p.choices {
			g.commonShare += ch.weight
		}
		if len(g.bounds) == 0 {
			g.commonShare, kind = 1, k
		}
	}
	return compiled{gen: g, kind: kind}, nil
}

// histogramGen draws a most-common value with its share, else a point in
// one of the equal-depth buckets between bounds.
type histogramGen struct {
	bounds      []val
	common      *categoryGen
	commonShare float64
	integral    bool
	sorted      bool
	rows        int64
	s           stream
}

func (g *histogramGen) gen(row int64, v *val) {
	u := g.s.unit(row, 1)
	if g.common != nil && u < g.commonShare {
		*v = copyVal(*v, g.common.pick(u/g.commonShare))
		return
	}
	q := g.s.unit(row, 2)
	if g.sorted && g.rows > 1 {
		q = float64(row-1) / float64(g.rows)
	}
	buckets := len(g.bounds) - 1
	pos := q * float64(buckets)
	i := min(int(pos), buckets-1)
	frac := pos - float64(i)
	lo, hi := &g.bounds[i], &g.bounds[i+1]
	switch lo.kind {
	case kInt, kFloat:
		a, b := number(lo), number(hi)
		x := a + frac*(b-a)
		if g.integral {
			v.kind, v.i = kInt, int64(math.Min(math.Floor(x), b))
			return
		}
		v.kind, v.f = kFloat, x
	case kTime:
		v.kind, v.i = kTime, lo.i+int64(frac*float64(hi.i-lo.i))
	default:
		if frac >= 0.5 {
			lo = hi
		}
		*v = copyVal(*v, lo)
	}
}

// number is a numeric val as a float.
func number(v *val) float64 {
	if v.kind == kInt {
		return float64(v.i)
	}
	return v.f
}
