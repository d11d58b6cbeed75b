package seed

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// class is how plangate writes values of a column's type in a COPY stream.
// Types it has a binary writer for load in COPY's binary format, the
// cheapest for the server to read; a table with any other column (enums,
// json, ranges, ...) loads in text format, which every type can read.
type class uint8

const (
	cOther class = iota
	cInt2
	cInt4
	cInt8
	cFloat4
	cFloat8
	cNumeric
	cText // text, varchar, bpchar
	cBool
	cTimestamptz
	cTimestamp
	cDate
	cUUID
)

// classOf maps a base type OID to its class.
func classOf(oid uint32) class {
	switch oid {
	case 21:
		return cInt2
	case 23:
		return cInt4
	case 20:
		return cInt8
	case 700:
		return cFloat4
	case 701:
		return cFloat8
	case 1700:
		return cNumeric
	case 25, 1043, 1042:
		return cText
	case 16:
		return cBool
	case 1184:
		return cTimestamptz
	case 1114:
		return cTimestamp
	case 1082:
		return cDate
	case 2950:
		return cUUID
	}
	return cOther
}

func (c class) integral() bool { return c == cInt2 || c == cInt4 || c == cInt8 }

func (c class) numeric() bool {
	return c.integral() || c == cFloat4 || c == cFloat8 || c == cNumeric
}

func (c class) temporal() bool { return c == cTimestamptz || c == cTimestamp || c == cDate }

// accepts says whether a column of class c can hold values of kind k.
// Text-like columns (text, and types read as text) take anything.
func (c class) accepts(k kind) bool {
	if c == cText || c == cOther {
		return true
	}
	switch k {
	case kInt, kFloat:
		return c.numeric() || c == cBool
	case kTime:
		return c.temporal()
	case kUUID:
		return c == cUUID
	case kString, kBytes:
		return false
	}
	return true
}

// literal converts a value written in the spec (a category value) or read
// from the database (a referenced table outside the spec) into the value
// a column of class c stores.
func literal(c class, s string) (val, error) {
	switch {
	case c.integral():
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return val{}, fmt.Errorf("%q is not an integer", s)
		}
		return val{kind: kInt, i: i}, nil
	case c == cFloat4 || c == cFloat8:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return val{}, fmt.Errorf("%q is not a number", s)
		}
		return val{kind: kFloat, f: f}, nil
	case c == cNumeric:
		if _, err := numericDigits(strings.TrimSpace(s)); err != nil {
			return val{}, err
		}
		return val{kind: kString, s: strings.TrimSpace(s)}, nil
	case c == cBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "true", "y", "yes", "on", "1":
			return val{kind: kInt, i: 1}, nil
		case "f", "false", "n", "no", "off", "0":
			return val{kind: kInt, i: 0}, nil
		}
		return val{}, fmt.Errorf("%q is not a boolean", s)
	case c.temporal():
		us, err := parseTime(strings.TrimSpace(s))
		if err != nil {
			// The server's own text form: 2024-01-31 12:00:00+00.
			t, err2 := time.Parse("2006-01-02 15:04:05.999999-07", strings.TrimSpace(s))
			if err2 != nil {
				return val{}, fmt.Errorf("%q is not a time", s)
			}
			us = t.UnixMicro()
		}
		return val{kind: kTime, i: us}, nil
	case c == cUUID:
		h := strings.ReplaceAll(strings.Trim(strings.TrimSpace(s), "{}"), "-", "")
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 16 {
			return val{}, fmt.Errorf("%q is not a UUID", s)
		}
		return val{kind: kUUID, i: int64(binary.BigEndian.Uint64(b[:8])), u: binary.BigEndian.Uint64(b[8:])}, nil
	}
	return val{kind: kString, s: s}, nil
}

// column is one column of a COPY stream: its generator and how to write it.
type column struct {
	name   string
	class  class
	typmod int32
	typ    string // the type as format_type spells it, for messages
	gen    generator
}

// Binary COPY: a header, then per row a field count and per field a length
// (-1 for NULL) and the value in the type's binary send format.
var copyBinaryHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

const copyBinaryTrailer = "\xff\xff"

// pgEpochMicros is 2000-01-01 00:00:00 UTC in microseconds since 1970.
const pgEpochMicros = 946684800 * 1000000

// appendBinary writes v as a binary COPY field of column c.
func appendBinary(b []byte, c *column, v *val) ([]byte, error) {
	if v.kind == kNull {
		return binary.BigEndian.AppendUint32(b, math.MaxUint32), nil
	}
	switch c.class {
	case cInt2, cInt4, cInt8:
		i, err := asInt(v)
		if err != nil {
			return b, err
		}
		switch c.class {
		case cInt2:
			if i < math.MinInt16 || i > math.MaxInt16 {
				return b, fmt.Errorf("%d is out of range for smallint", i)
			}
			b = binary.BigEndian.AppendUint32(b, 2)
			return binary.BigEndian.AppendUint16(b, uint16(i)), nil
		case cInt4:
			if i < math.MinInt32 || i > math.MaxInt32 {
				return b, fmt.Errorf("%d is out of range for integer", i)
			}
			b = binary.BigEndian.AppendUint32(b, 4)
			return binary.BigEndian.AppendUint32(b, uint32(i)), nil
		}
		b = binary.BigEndian.AppendUint32(b, 8)
		return binary.BigEndian.AppendUint64(b, uint64(i)), nil
	case cFloat4, cFloat8:
		f, err := asFloat(v)
		if err != nil {
			return b, err
		}
		if c.class == cFloat4 {
			b = binary.BigEndian.AppendUint32(b, 4)
			return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(f))), nil
		}
		b = binary.BigEndian.AppendUint32(b, 8)
		return binary.BigEndian.AppendUint64(b, math.Float64bits(f)), nil
	case cNumeric:
		return appendNumeric(b, v, c.typmod)
	case cText:
		start := len(b)
		b = append(b, 0, 0, 0, 0)
		b = appendPlain(b, v, c.class)
		binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
		return b, nil
	case cBool:
		i, err := asInt(v)
		if err != nil {
			return b, err
		}
		b = binary.BigEndian.AppendUint32(b, 1)
		if i != 0 {
			return append(b, 1), nil
		}
		return append(b, 0), nil
	case cTimestamptz, cTimestamp:
		if v.kind != kTime {
			return b, fmt.Errorf("a %s column needs a time", c.typ)
		}
		b = binary.BigEndian.AppendUint32(b, 8)
		return binary.BigEndian.AppendUint64(b, uint64(v.i-pgEpochMicros)), nil
	case cDate:
		if v.kind != kTime {
			return b, fmt.Errorf("a %s column needs a time", c.typ)
		}
		days := floorDiv(v.i-pgEpochMicros, 86400*1000000)
		b = binary.BigEndian.AppendUint32(b, 4)
		return binary.BigEndian.AppendUint32(b, uint32(int32(days))), nil
	case cUUID:
		if v.kind != kUUID {
			return b, fmt.Errorf("a uuid column needs a UUID")
		}
		b = binary.BigEndian.AppendUint32(b, 16)
		b = binary.BigEndian.AppendUint64(b, uint64(v.i))
		return binary.BigEndian.AppendUint64(b, v.u), nil
	}
	return b, fmt.Errorf("no binary form for type %s", c.typ)
}

// appendText writes v as a text COPY field of column c, escaped.
func appendText(b []byte, c *column, v *val) []byte {
	if v.kind == kNull {
		return append(b, `\N`...)
	}
	start := len(b)
	b = appendPlain(b, v, c.class)
	// Generated values rarely need escaping; check before rewriting.
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '\\', '\n', '\r', '\t':
			return append(b[:start], escapeCopy(b[start:])...)
		}
	}
	return b
}

func escapeCopy(s []byte) []byte {
	out := make([]byte, 0, len(s)+8)
	for _, ch := range s {
		switch ch {
		case '\\':
			out = append(out, '\\', '\\')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		default:
			out = append(out, ch)
		}
	}
	return out
}

// appendPlain writes v in the text form a column of class c reads.
func appendPlain(b []byte, v *val, c class) []byte {
	switch v.kind {
	case kInt:
		if c == cBool {
			if v.i != 0 {
				return append(b, 't')
			}
			return append(b, 'f')
		}
		return strconv.AppendInt(b, v.i, 10)
	case kFloat:
		return strconv.AppendFloat(b, v.f, 'g', -1, 64)
	case kString:
		return append(b, v.s...)
	case kBytes:
		return append(b, v.b...)
	case kTime:
		t := time.UnixMicro(v.i).UTC()
		switch c {
		case cDate:
			return t.AppendFormat(b, "2006-01-02")
		case cTimestamp:
			return t.AppendFormat(b, "2006-01-02 15:04:05.999999")
		}
		return t.AppendFormat(b, "2006-01-02 15:04:05.999999Z07:00")
	case kUUID:
		var raw [16]byte
		binary.BigEndian.PutUint64(raw[:8], uint64(v.i))
		binary.BigEndian.PutUint64(raw[8:], v.u)
		var h [32]byte
		hex.Encode(h[:], raw[:])
		b = append(b, h[0:8]...)
		b = append(b, '-')
		b = append(b, h[8:12]...)
		b = append(b, '-')
		b = append(b, h[12:16]...)
		b = append(b, '-')
		b = append(b, h[16:20]...)
		b = append(b, '-')
		return append(b, h[20:]...)
	}
	return b
}

func asInt(v *val) (int64, error) {
	switch v.kind {
	case kInt:
		return v.i, nil
	case kFloat:
		if math.IsNaN(v.f) || v.f > math.MaxInt64 || v.f < math.MinInt64 {
			return 0, fmt.Errorf("%g does not fit an integer", v.f)
		}
		return int64(math.Round(v.f)), nil
	}
	return 0, fmt.Errorf("not a number")
}

func asFloat(v *val) (float64, error) {
	switch v.kind {
	case kInt:
		return float64(v.i), nil
	case kFloat:
		return v.f, nil
	}
	return 0, fmt.Errorf("not a number")
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// appendNumeric writes a numeric in its binary form: digit count, weight,
// sign and display scale, then base-10000 digits. A column with a declared
// scale gets values rounded to it, as the server would round text input.
func appendNumeric(b []byte, v *val, typmod int32) ([]byte, error) {
	scale := -1
	if typmod >= 4 {
		scale = int((typmod - 4) & 0xffff)
	}
	switch {
	case v.kind == kInt && v.i != math.MinInt64:
		return appendNumericScaled(b, v.i < 0, uint64(abs64(v.i)), 0), nil
	case v.kind == kFloat && scale >= 0 && scale < len(pow10) && math.Abs(v.f)*float64(pow10[scale]) < 1<<53:
		u := uint64(math.Round(math.Abs(v.f) * float64(pow10[scale])))
		return appendNumericScaled(b, v.f < 0, u, scale), nil
	}
	var text []byte
	switch v.kind {
	case kInt:
		text = strconv.AppendInt(nil, v.i, 10)
	case kFloat:
		if math.IsNaN(v.f) || math.IsInf(v.f, 0) {
			return b, fmt.Errorf("%g is not a finite number", v.f)
		}
		text = strconv.AppendFloat(nil, v.f, 'f', scale, 64)
	case kString:
		text = []byte(v.s)
	default:
		return b, fmt.Errorf("not a number")
	}
	n, err := numericDigits(string(text))
	if err != nil {
		return b, err
	}
	// A literal with more decimals than the column keeps is rounded by
	// the server, which applies the column's typmod on receive.
	b = binary.BigEndian.AppendUint32(b, uint32(8+2*len(n.digits)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(n.digits)))
	b = binary.BigEndian.AppendUint16(b, uint16(n.weight))
	b = binary.BigEndian.AppendUint16(b, n.sign)
	b = binary.BigEndian.AppendUint16(b, uint16(n.dscale))
	for _, d := range n.digits {
		b = binary.BigEndian.AppendUint16(b, d)
	}
	return b, nil
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func abs64(i int64) int64 {
	if i < 0 {
		return -i
	}
	return i
}

// appendNumericScaled writes the numeric u / 10^scale (negated if neg)
// without going through text: the common case of a float into a
// numeric(p, s) column.
func appendNumericScaled(b []byte, neg bool, u uint64, scale int) []byte {
	p := pow10[scale]
	ip, fp := u/p, u%p
	pad := (4 - scale%4) % 4
	fp *= pow10[pad]
	nfrac := (scale + pad) / 4
	var groups [10]uint16
	var ig [5]uint16
	ni := 0
	for ; ip > 0; ip /= 10000 {
		ig[ni] = uint16(ip % 10000)
		ni++
	}
	n := 0
	for i := ni - 1; i >= 0; i-- {
		groups[n] = ig[i]
		n++
	}
	for i := nfrac - 1; i >= 0; i-- {
		groups[n+i] = uint16(fp % 10000)
		fp /= 10000
	}
	n += nfrac
	weight := ni - 1
	start, end := 0, n
	for start < end && groups[start] == 0 {
		start++
		weight--
	}
	for end > start && groups[end-1] == 0 {
		end--
	}
	var sign uint16
	if neg {
		sign = 0x4000
	}
	if start == end {
		weight, sign = 0, 0
	}
	b = binary.BigEndian.AppendUint32(b, uint32(8+2*(end-start)))
	b = binary.BigEndian.AppendUint16(b, uint16(end-start))
	b = binary.BigEndian.AppendUint16(b, uint16(int16(weight)))
	b = binary.BigEndian.AppendUint16(b, sign)
	b = binary.BigEndian.AppendUint16(b, uint16(scale))
	for _, d := range groups[start:end] {
		b = binary.BigEndian.AppendUint16(b, d)
	}
	return b
}

type numericValue struct {
	digits []uint16
	weight int16
	sign   uint16
	dscale int
}

// numericDigits parses a plain decimal ("-123.4500") into base-10000 digits.
func numericDigits(s string) (numericValue, error) {
	var n numericValue
	orig := s
	if strings.HasPrefix(s, "-") {
		n.sign = 0x4000
		s = s[1:]
	} else {
		s = strings.TrimPrefix(s, "+")
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" {
		return n, fmt.Errorf("%q is not a number", orig)
	}
	for _, ch := range intPart + frac {
		if ch < '0' || ch > '9' {
			return n, fmt.Errorf("%q is not a plain decimal number", orig)
		}
	}
	n.dscale = len(frac)
	intPart = strings.TrimLeft(intPart, "0")
	if pad := (4 - len(intPart)%4) % 4; pad > 0 {
		intPart = strings.Repeat("0", pad) + intPart
	}
	if pad := (4 - len(frac)%4) % 4; pad > 0 {
		frac += strings.Repeat("0", pad)
	}
	all := intPart + frac
	digits := make([]uint16, 0, len(all)/4)
	for i := 0; i < len(all); i += 4 {
		d, _ := strconv.Atoi(all[i : i+4])
		digits = append(digits, uint16(d))
	}
	weight := len(intPart)/4 - 1
	for len(digits) > 0 && digits[0] == 0 {
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		weight, n.sign = 0, 0
	}
	n.digits, n.weight = digits, int16(weight)
	return n, nil
}
