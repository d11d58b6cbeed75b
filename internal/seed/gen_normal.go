package seed

import "math"

// normalGenerator is the normal generator: numbers from a normal
// distribution, clamped to min and max.
func normalGenerator() columnGenerator {
	return columnGenerator{settings: []string{"mean", "stddev", "min", "max"}, parse: parseNormal, compile: compileNormal}
}

func parseNormal(s *columnSettings) error {
	pr := s.params
	if err := s.minMax(); err != nil {
		return err
	}
	_, hasMean := s.set["mean"]
	_, hasStd := s.set["stddev"]
	if !hasMean || !hasStd {
		return s.errf("", "normal needs mean and stddev, e.g. `{generator: normal, mean: 50, stddev: 10}`")
	}
	pr.mean, pr.stddev = s.yaml.Mean, s.yaml.Stddev
	if pr.stddev <= 0 {
		return s.errf("stddev", "stddev must be above 0")
	}
	return s.checkMinMax()
}

func compileNormal(c *compiler, col genColumn) (compiled, error) {
	ci, p, st := col.info, col.p, col.st
	integral := ci.class.integral()
	comp := compiled{gen: normalGen{mean: p.mean, stddev: p.stddev, min: p.min, max: p.max, hasMin: p.hasMin, hasMax: p.hasMax, integral: integral, s: st}, kind: kFloat}
	if integral {
		comp.kind = kInt
	}
	return comp, nil
}

// normalGen draws from a normal distribution, redrawing values outside
// [min, max] when bounds are set.
type normalGen struct {
	mean, stddev   float64
	min, max       float64
	hasMin, hasMax bool
	integral       bool
	s              stream
}

func (g normalGen) gen(row int64, v *val) {
	var x float64
	for try := uint64(0); ; try++ {
		// Box-Muller; 1-u keeps the logarithm's argument in (0, 1].
		u1, u2 := 1-g.s.unit(row, 2*try), g.s.unit(row, 2*try+1)
		x = g.mean + g.stddev*math.Sqrt(-2*math.Log(u1))*math.Cos(2*math.Pi*u2)
		if g.integral {
			x = math.Round(x)
		}
		if (!g.hasMin || x >= g.min) && (!g.hasMax || x <= g.max) {
			break
		}
		if try == 15 {
			if g.hasMin {
				x = math.Max(x, g.min)
			}
			if g.hasMax {
				x = math.Min(x, g.max)
			}
			break
		}
	}
	if g.integral {
		v.kind, v.i = kInt, int64(x)
		return
	}
	v.kind, v.f = kFloat, x
}
