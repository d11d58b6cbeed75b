package seed

import (
	"encoding/binary"
	"hash/fnv"
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
