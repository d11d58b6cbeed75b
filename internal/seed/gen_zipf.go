package seed

import "math"

// zipfGenerator is the zipf generator: whole numbers from min (the most
// frequent) to max, Zipf-skewed.
func zipfGenerator() columnGenerator {
	return columnGenerator{settings: []string{"min", "max", "skew"}, parse: parseZipf, compile: compileZipf}
}

func parseZipf(s *columnSettings) error {
	pr := s.params
	if err := s.minMax(); err != nil {
		return err
	}
	if !pr.hasMin {
		pr.min, pr.hasMin = 1, true
	}
	if !pr.hasMax {
		return s.errf("", "zipf needs max (values run from min, the most frequent, to max), e.g. `{generator: zipf, max: 1000, skew: 1.1}`")
	}
	if pr.min != math.Trunc(pr.min) || pr.max != math.Trunc(pr.max) {
		return s.errf("min", "zipf draws whole numbers: min and max must be integers")
	}
	if pr.max-pr.min > 1e12 {
		return s.errf("max", "zipf range is too wide (at most 10^12 values)")
	}
	pr.skew = 1
	if _, ok := s.set["skew"]; ok {
		pr.skew = s.yaml.Skew
	}
	if pr.skew <= 0 {
		return s.errf("skew", "skew must be above 0 (1 is classic Zipf; larger is more skewed)")
	}
	return s.checkMinMax()
}

func compileZipf(c *compiler, col genColumn) (compiled, error) {
	p, st := col.p, col.st
	n := int64(p.max-p.min) + 1
	comp := compiled{gen: zipfGen{min: int64(p.min), z: newZipf(n, p.skew), s: st}, kind: kInt}
	return comp, nil
}

// zipf samples ranks 1..n with probability proportional to 1/rank^skew, by
// rejection-inversion (Hörmann and Derflinger 1996), which needs no table
// and accepts any skew above 0.
type zipf struct {
	n           float64
	exponent    float64
	hIntegralX1 float64
	hIntegralN  float64
	s           float64
}

func newZipf(n int64, exponent float64) zipf {
	z := zipf{n: float64(n), exponent: exponent}
	z.hIntegralX1 = z.hIntegral(1.5) - 1
	z.hIntegralN = z.hIntegral(z.n + 0.5)
	z.s = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

// rank draws a rank using the stream's words of row from k on.
func (z zipf) rank(st stream, row int64, k uint64) int64 {
	if z.n <= 1 {
		return 1
	}
	for try := uint64(0); try < 64; try++ {
		u := z.hIntegralN + st.unit(row, k+try)*(z.hIntegralX1-z.hIntegralN)
		x := z.hIntegralInverse(u)
		r := math.Floor(x + 0.5)
		if r < 1 {
			r = 1
		} else if r > z.n {
			r = z.n
		}
		if r-x <= z.s || u >= z.hIntegral(r+0.5)-z.h(r) {
			return int64(r)
		}
	}
	return 1 // after 64 rejections, which does not happen in practice
}

func (z zipf) h(x float64) float64 { return math.Exp(-z.exponent * math.Log(x)) }

func (z zipf) hIntegral(x float64) float64 {
	logX := math.Log(x)
	return helper2((1-z.exponent)*logX) * logX
}

func (z zipf) hIntegralInverse(x float64) float64 {
	t := x * (1 - z.exponent)
	if t < -1 {
		t = -1 // numerical safety near the upper end
	}
	return math.Exp(helper1(t) * x)
}

// helper1 is log1p(x)/x, accurate near 0.
func helper1(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}

// helper2 is expm1(x)/x, accurate near 0.
func helper2(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*0.5*(1+x*(1.0/3)*(1+0.25*x))
}

// zipfGen gives min for the most frequent rank, min+1 for the next, ...
type zipfGen struct {
	min int64
	z   zipf
	s   stream
}

func (g zipfGen) gen(row int64, v *val) {
	v.kind, v.i = kInt, g.min+g.z.rank(g.s, row, 0)-1
}
