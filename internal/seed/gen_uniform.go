package seed

import "math"

// uniformGenerator is the uniform generator: numbers drawn evenly from [min,
// max], or rising with the row (sorted).
func uniformGenerator() columnGenerator {
	return columnGenerator{settings: []string{"min", "max", "sorted"}, parse: parseUniform, compile: compileUniform}
}

func parseUniform(s *columnSettings) error {
	pr := s.params
	if err := s.minMax(); err != nil {
		return err
	}
	if !pr.hasMin || !pr.hasMax {
		return s.errf("", "uniform needs min and max, e.g. `{generator: uniform, min: 1, max: 100}`")
	}
	return s.checkMinMax()
}

func compileUniform(c *compiler, col genColumn) (compiled, error) {
	t, ci, name, p, st := col.t, col.info, col.name, col.p, col.st
	integral := ci.class.integral()
	if integral && !p.sorted && math.Ceil(p.min) > math.Floor(p.max) {
		return compiled{}, c.errf(t, name, "no whole number between min %g and max %g for an integer column", p.min, p.max)
	}
	comp := compiled{gen: uniformGen{min: p.min, max: p.max, integral: integral, sorted: p.sorted, rows: t.rows, s: st}, kind: kFloat}
	if integral {
		comp.kind = kInt
	}
	return comp, nil
}

// uniformGen draws evenly from [min, max]; integral draws whole numbers.
// Sorted values rise with the row number instead, as in an append-only
// table.
type uniformGen struct {
	min, max float64
	integral bool
	sorted   bool
	rows     int64
	s        stream
}

func (g uniformGen) gen(row int64, v *val) {
	if g.sorted {
		x := g.min
		if g.rows > 1 {
			x += (g.max - g.min) * float64(row-1) / float64(g.rows-1)
		}
		if g.integral {
			v.kind, v.i = kInt, int64(math.Floor(x))
			return
		}
		v.kind, v.f = kFloat, x
		return
	}
	if g.integral {
		lo, hi := int64(math.Ceil(g.min)), int64(math.Floor(g.max))
		v.kind, v.i = kInt, lo+int64(below(g.s.word(row, 0), uint64(hi-lo)+1))
		return
	}
	v.kind, v.f = kFloat, g.min+(g.max-g.min)*g.s.unit(row, 0)
}
