package capture

import (
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
)

// Type OIDs whose binary form is their text, or nearly.
const (
	oidJSON  = 114
	oidJSONB = 3802
)

// decodeParams turns the values of a Bind into Params in PostgreSQL's text
// format. Binary values are decoded by their type, known from the Parse or
// the server's ParameterDescription; a value whose type is unknown or cannot
// be decoded is recorded as hex (`\x...`, bytea's text form), with a note.
func decodeParams(types *pgtype.Map, oids []uint32, formats []int16, values [][]byte) ([]Param, []string) {
	params := make([]Param, len(values))
	var notes []string
	for i, v := range values {
		if v == nil {
			params[i] = Param{Null: true}
			continue
		}
		var format int16
		switch {
		case len(formats) == 1:
			format = formats[0]
		case i < len(formats):
			format = formats[i]
		}
		if format == pgtype.TextFormatCode {
			params[i] = Param{Value: string(v)}
			if !utf8.Valid(v) {
				notes = append(notes, fmt.Sprintf("params[%d] ($%d): not valid UTF-8, written with replacement characters", i, i+1))
			}
			continue
		}
		var oid uint32
		if i < len(oids) {
			oid = oids[i]
		}
		if text, ok := binaryToText(types, oid, v); ok {
			params[i] = Param{Value: text}
			continue
		}
		params[i] = Param{Value: `\x` + hex.EncodeToString(v)}
		typ := "of unknown type"
		if oid != 0 {
			typ = fmt.Sprintf("of type OID %d", oid)
		}
		notes = append(notes, fmt.Sprintf("params[%d] ($%d): binary value %s recorded as hex", i, i+1, typ))
	}
	return params, notes
}

// binaryToText converts a value in binary format to the text PostgreSQL
// would accept for it, for the types pgx knows.
func binaryToText(types *pgtype.Map, oid uint32, src []byte) (text string, ok bool) {
	switch oid {
	case 0:
		return "", false
	case oidJSON:
		return string(src), utf8.Valid(src)
	case oidJSONB:
		// Version 1 of jsonb's binary format is a version byte and the text;
		// decoding it would reorder keys and reformat numbers.
		if len(src) > 0 && src[0] == 1 && utf8.Valid(src[1:]) {
			return string(src[1:]), true
		}
		return "", false
	}
	t, known := types.TypeForOID(oid)
	if !known {
		return "", false
	}
	defer func() {
		// A malformed value must not take the proxy down; the server
		// rejects it anyway.
		if recover() != nil {
			text, ok = "", false
		}
	}()
	v, err := t.Codec.DecodeValue(types, oid, pgtype.BinaryFormatCode, src)
	if err != nil || v == nil {
		return "", false
	}
	buf, err := types.Encode(oid, pgtype.TextFormatCode, v, nil)
	if err != nil || buf == nil || !utf8.Valid(buf) {
		return "", false
	}
	return string(buf), true
}

// noise reports whether a statement is left out of a capture, and its first
// keyword (upper case) to count it by: only statements EXPLAIN can plan are
// kept, and of those not the bare `SELECT 1` that pools send as a ping.
func noise(sql string) (skip bool, word string) {
	b := []byte(sql)
	i := skipSpaceAndComments(b, 0)
	for i < len(b) && b[i] == '(' {
		i = skipSpaceAndComments(b, i+1)
	}
	j := i
	for j < len(b) && (b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z' || b[j] == '_') {
		j++
	}
	word = strings.ToUpper(sql[i:j])
	if word == "" {
		word = "(empty)"
	}
	if !plannable(b) {
		return true, word
	}
	if isPing(sql) {
		return true, "SELECT 1"
	}
	return false, word
}

// isPing reports whether sql is `SELECT 1`, give or take case, white space
// and a semicolon.
func isPing(sql string) bool {
	f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(sql), ";"))
	return len(f) == 2 && strings.EqualFold(f[0], "select") && f[1] == "1"
}

// splitStatements splits the text of a simple Query into its statements, at
// the semicolons outside quotes, comments and parentheses, as the server runs
// them one by one. A text holding one statement comes back unchanged;
// otherwise each part is trimmed of white space, and parts holding nothing
// but white space and comments are dropped, as the server skips them. A text
// with no statement at all comes back unchanged too.
func splitStatements(sql string) []string {
	var parts []string
	start, depth := 0, 0
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'':
			escapes := i > 0 && (sql[i-1] == 'E' || sql[i-1] == 'e') && (i < 2 || !isIdentByte(sql[i-2]))
			i = skipQuoted(sql, i, '\'', escapes)
		case c == '"':
			i = skipQuoted(sql, i, '"', false)
		case c == '-' && strings.HasPrefix(sql[i:], "--"), c == '/' && strings.HasPrefix(sql[i:], "/*"):
			i = skipSpaceAndComments([]byte(sql), i)
		case c == '$' && (i == 0 || !isIdentByte(sql[i-1])):
			i = skipDollarQuoted(sql, i)
		case c == '(':
			depth++
			i++
		case c == ')':
			if depth > 0 {
				depth--
			}
			i++
		case c == ';' && depth == 0:
			parts = append(parts, sql[start:i])
			i++
			start = i
		default:
			i++
		}
	}
	parts = append(parts, sql[start:])
	var out []string
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if b := []byte(p); skipSpaceAndComments(b, 0) < len(b) {
			out = append(out, p)
		}
	}
	if len(out) <= 1 {
		return []string{sql}
	}
	return out
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80
}

// skipQuoted returns the index just past the quoted string or identifier
// that starts at sql[i]; a doubled quote stands for itself, and with escapes
// (an E'...' string) so does a backslash followed by anything.
func skipQuoted(sql string, i int, quote byte, escapes bool) int {
	for i++; i < len(sql); i++ {
		switch {
		case escapes && sql[i] == '\\':
			i++
		case sql[i] == quote:
			if i+1 < len(sql) && sql[i+1] == quote {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(sql)
}

// skipDollarQuoted returns the index just past the dollar-quoted string
// ($$...$$ or $tag$...$tag$) that starts at sql[i], or i+1 when the dollar
// sign starts none (a parameter such as $1).
func skipDollarQuoted(sql string, i int) int {
	j := i + 1
	for j < len(sql) && sql[j] != '$' {
		c := sql[j]
		if !(c == '_' || c|0x20 >= 'a' && c|0x20 <= 'z' || c >= 0x80 || j > i+1 && c >= '0' && c <= '9') {
			return i + 1
		}
		j++
	}
	if j >= len(sql) {
		return i + 1
	}
	tag := sql[i : j+1]
	end := strings.Index(sql[j+1:], tag)
	if end < 0 {
		return len(sql)
	}
	return j + 1 + end + len(tag)
}
