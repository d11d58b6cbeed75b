package seed

import (
	"fmt"
	"math"
	"math/bits"
	"time"
)

// timestampGenerator is the timestamp generator: times between min and max,
// or rising with the row (sorted).
func timestampGenerator() columnGenerator {
	return columnGenerator{settings: []string{"min", "max", "sorted"}, parse: parseTimestamp, compile: compileTimestamp}
}

func parseTimestamp(s *columnSettings) error {
	pr := s.params
	for _, k := range []string{"min", "max"} {
		node, ok := s.set[k]
		if !ok {
			return s.errf("", "timestamp needs min and max, e.g. `{generator: timestamp, min: 2021-01-01, max: 2025-01-01}`")
		}
		us, err := parseTime(node.Value)
		if err != nil {
			return s.errf(k, "%s %q is not a time: write 2024-01-31, 2024-01-31 12:00:00 or 2024-01-31T12:00:00Z", k, node.Value)
		}
		if k == "min" {
			pr.minTime = us
		} else {
			pr.maxTime = us
		}
	}
	if pr.minTime > pr.maxTime {
		return s.errf("min", "min %s is after max %s", s.set["min"].Value, s.set["max"].Value)
	}
	pr.sorted = s.yaml.Sorted
	return nil
}

func compileTimestamp(c *compiler, col genColumn) (compiled, error) {
	t, p, st := col.t, col.p, col.st
	return compiled{gen: timestampGen{min: p.minTime, max: p.maxTime, sorted: p.sorted, rows: t.rows, s: st}, kind: kTime}, nil
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

// parseTime reads a time given as a date, a date and time (taken as UTC),
// or RFC 3339, into microseconds since 1970-01-01 UTC.
func parseTime(s string) (int64, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), nil
		}
	}
	return 0, fmt.Errorf("not a time: %q", s)
}
