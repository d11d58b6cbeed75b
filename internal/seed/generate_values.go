package seed

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/bits"
)

// Every generated value is a pure function of (seed, table, column, row
// number): a counter-based hash, never a stream of random numbers. Rows can
// be produced in any order, by any number of workers, and still come out the
// same; and nothing depends on the server (random(), hash functions,
// parallel plans), so every backend gets the same data.

// kind is what a generated value holds.
type kind uint8

const (
	kNull   kind = iota
	kInt         // i
	kFloat       // f
	kString      // s (shared, read-only)
	kBytes       // b (the generator's scratch buffer)
	kTime        // i: microseconds since 1970-01-01 UTC
	kUUID        // i (high 64 bits), u (low 64 bits)
)

// val is one generated value. It is reused from row to row so that
// generating a row allocates nothing.
type val struct {
	kind kind
	i    int64
	u    uint64
	f    float64
	s    string
	b    []byte
}

// generator fills v with the value of a column at a row number (1-based).
type generator interface {
	gen(row int64, v *val)
}

// mix64 is SplitMix64's finalizer: a bijection on 64-bit words with good
// avalanche, so distinct inputs give distinct, well-spread outputs.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

const golden = 0x9e3779b97f4a7c15

// hash64 is the pseudo-random word for counter n under salt.
func hash64(salt, n uint64) uint64 {
	return mix64(salt ^ mix64(n+golden))
}

// unit maps a word to a float in [0, 1).
func unit(h uint64) float64 {
	return float64(h>>11) * (1.0 / (1 << 53))
}

// below maps a word to an integer in [0, n) without modulo bias worth
// speaking of (Lemire's multiply-shift).
func below(h, n uint64) uint64 {
	hi, _ := bits.Mul64(h, n)
	return hi
}

// salt derives the salt of one random stream: a column's purpose
// ("value", "null", "length", ...) under a seed, table and column.
func salt(seed int64, table, column, purpose string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	for _, s := range []string{table, column, purpose} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return mix64(h.Sum64())
}

// stream is one column's source of pseudo-random words.
type stream uint64

// word returns the k-th word of row n.
func (s stream) word(n int64, k uint64) uint64 {
	return hash64(uint64(s)+k*golden, uint64(n))
}

func (s stream) unit(n int64, k uint64) float64 { return unit(s.word(n, k)) }

// nullable leaves a share of rows NULL.
type nullable struct {
	frac  float64
	coins stream
	inner generator
}

func (g nullable) gen(row int64, v *val) {
	if g.coins.unit(row, 0) < g.frac {
		v.kind = kNull
		return
	}
	g.inner.gen(row, v)
}

// sequenceGen gives start, start+step, ...
type sequenceGen struct{ start, step int64 }

func (g sequenceGen) gen(row int64, v *val) {
	v.kind, v.i = kInt, g.start+(row-1)*g.step
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

// categoryGen picks among values with weights.
type categoryGen struct {
	values []val
	cum    []float64 // cumulative weights, the last being 1
	s      stream
}

func newCategory(values []val, weights []float64, s stream) categoryGen {
	var total float64
	for _, w := range weights {
		total += w
	}
	cum := make([]float64, len(weights))
	acc := 0.0
	for i, w := range weights {
		acc += w
		cum[i] = acc / total
	}
	cum[len(cum)-1] = 1
	return categoryGen{values: values, cum: cum, s: s}
}

func (g categoryGen) pick(u float64) *val {
	lo, hi := 0, len(g.cum)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if u < g.cum[mid] {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return &g.values[lo]
}

func (g categoryGen) gen(row int64, v *val) {
	*v = copyVal(*v, g.pick(g.s.unit(row, 0)))
}

// copyVal copies src into dst, keeping dst's scratch buffer.
func copyVal(dst val, src *val) val {
	b := dst.b
	dst = *src
	dst.b = b
	return dst
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

// timestampGen draws instants evenly from [min, max], or rising with the
// row number when sorted.
type timestampGen struct {
	min, max int64
	sorted   bool
	rows     int64
	s        stream
}

func (g timestampGen) gen(row int64, v *val) {
	span := uint64(g.max - g.min)
	if g.sorted {
		var off uint64
		if g.rows > 1 {
			hi, lo := bits.Mul64(span, uint64(row-1))
			off, _ = bits.Div64(hi, lo, uint64(g.rows-1))
		}
		v.kind, v.i = kTime, g.min+int64(off)
		return
	}
	off := g.s.word(row, 0)
	if span != math.MaxUint64 {
		off = below(off, span+1)
	}
	v.kind, v.i = kTime, g.min+int64(off)
}

// uuidGen makes version 4 UUIDs.
type uuidGen struct{ s stream }

func (g uuidGen) gen(row int64, v *val) {
	hi, lo := g.s.word(row, 0), g.s.word(row, 1)
	hi = hi&^0xf000 | 0x4000               // version 4
	lo = lo&^(0xc000<<48) | (0x8000 << 48) // RFC 4122 variant
	v.kind, v.i, v.u = kUUID, int64(hi), lo
}

// referenceGen picks a row of another table, evenly or Zipf-skewed, and
// gives that row's value of the referenced column.
type referenceGen struct {
	rows   int64
	z      *zipf
	parent generator // the referenced column's generator
	s      stream
}

func (g referenceGen) gen(row int64, v *val) {
	var k int64
	if g.z != nil {
		k = g.z.rank(g.s, row, 0)
	} else {
		k = 1 + int64(below(g.s.word(row, 0), uint64(g.rows)))
	}
	g.parent.gen(k, v)
}

// listGen gives the k-th of a fixed list of values (a table outside the
// spec, read from the database).
type listGen struct{ values []val }

func (g listGen) gen(row int64, v *val) {
	*v = copyVal(*v, &g.values[row-1])
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
