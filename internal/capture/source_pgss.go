package capture

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// pgssExport is the command that writes what ParsePGSS reads.
const pgssExport = `psql -c "\copy (SELECT queryid, calls, query FROM pg_stat_statements) TO 'pgss.csv' CSV HEADER"`

// ParsePGSS reads an export of the pg_stat_statements view, as written on
// the server's database by
//
//	psql -c "\copy (SELECT queryid, calls, query FROM pg_stat_statements) TO 'pgss.csv' CSV HEADER"
//
// Columns are found by their names in the header, so more columns, in any
// order, are fine; "query" and "calls" are required. Each row becomes a
// statement whose SQL is the normalized text, its constants replaced by
// $1, $2, ..., and whose Count is the number of calls. Rows with the same
// text (as from several users or databases) are merged, their calls added
// up. Rows that were never called, rows the exporting role could not see
// ("<insufficient privilege>"), and utility statements (see ParsePGLog) are
// left out. path names the file in errors and in Statement.Source
// ("path:line").
//
// The values behind the $n placeholders are not kept by pg_stat_statements,
// so such statements have no Params: EstimateOnly reports them, and they can
// only be planned for estimates, not executed.
func ParsePGSS(r io.Reader, path string) ([]Statement, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: empty file: export pg_stat_statements with %s", path, pgssExport)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	queryCol, callsCol := -1, -1
	for i, name := range header {
		switch strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))) {
		case "query":
			queryCol = i
		case "calls":
			callsCol = i
		}
	}
	if queryCol < 0 || callsCol < 0 {
		return nil, fmt.Errorf("%s:1: not a pg_stat_statements export: the header (%s) needs the columns query and calls; export with %s",
			path, strings.Join(header, ","), pgssExport)
	}

	var stmts []Statement
	seen := make(map[string]int) // SQL text -> index in stmts
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		line, _ := cr.FieldPos(0)
		sql := rec[queryCol]
		calls, err := strconv.ParseInt(strings.TrimSpace(rec[callsCol]), 10, 64)
		if err != nil || calls < 0 {
			return nil, fmt.Errorf("%s:%d: calls is %q, not a count: export the calls column of pg_stat_statements as it is", path, line, rec[callsCol])
		}
		if calls == 0 || sql == "<insufficient privilege>" || !plannable([]byte(sql)) {
			continue
		}
		if i, ok := seen[sql]; ok {
			stmts[i].Count = int(min(int64(stmts[i].Count)+calls, math.MaxInt))
			continue
		}
		seen[sql] = len(stmts)
		stmts = append(stmts, Statement{
			SQL:    sql,
			Source: path + ":" + strconv.Itoa(line),
			Count:  int(min(calls, math.MaxInt)),
		})
	}
	return stmts, nil
}

// EstimateOnly reports whether st refers to parameters ($1, $2, ...) that it
// has no values for, as the normalized text of pg_stat_statements does. Such
// a statement can be planned (EXPLAIN without ANALYZE, with a generic plan)
// for its estimates, but not executed.
func EstimateOnly(st Statement) bool {
	return Placeholders(st.SQL) > len(st.Params)
}

// Placeholders returns the highest n of the $n placeholders in sql, outside
// string literals, quoted identifiers, dollar-quoted strings and comments;
// 0 when it has none.
func Placeholders(sql string) int {
	b := []byte(sql)
	highest := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\'':
			// A string; E'...' strings also escape with backslashes.
			escapes := i > 0 && (b[i-1] == 'E' || b[i-1] == 'e') && (i == 1 || !isWordByte(b[i-2]))
			i++
			for i < len(b) {
				if escapes && b[i] == '\\' {
					i += 2
					continue
				}
				if b[i] == '\'' {
					i++
					if i < len(b) && b[i] == '\'' {
						i++
						continue
					}
					break
				}
				i++
			}
		case c == '"':
			if j := bytes.IndexByte(b[i+1:], '"'); j >= 0 {
				i += j + 2
			} else {
				i = len(b)
			}
		case c == '-' || c == '/':
			i = max(i+1, skipSpaceAndComments(b, i))
		case isWordByte(c):
			// A word, in which $ belongs to the identifier (a$1).
			for i < len(b) && (isWordByte(b[i]) || b[i] == '$') {
				i++
			}
		case c == '$':
			j := i + 1 + digitsLen(b[i+1:])
			if j > i+1 {
				if n, err := strconv.Atoi(string(b[i+1 : j])); err == nil && n > highest {
					highest = n
				}
				i = j
				continue
			}
			// A dollar-quoted string, $$...$$ or $tag$...$tag$.
			for j < len(b) && isWordByte(b[j]) {
				j++
			}
			if j < len(b) && b[j] == '$' {
				tag := b[i : j+1]
				if k := bytes.Index(b[j+1:], tag); k >= 0 {
					i = j + 1 + k + len(tag)
				} else {
					i = len(b)
				}
				continue
			}
			i++
		default:
			i++
		}
	}
	return highest
}
