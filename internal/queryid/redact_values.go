package queryid

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// Constants returns the values of the constants written in sql: string
// contents without their quotes, numbers as written. They are what
// RedactValues takes out of a message about the statement.
func Constants(sql string) []string {
	scan, err := pg_query.Scan(sql)
	if err != nil {
		return nil
	}
	var out []string
	for _, t := range scan.Tokens {
		if t.Start < 0 || int(t.End) > len(sql) || t.Start >= t.End {
			continue
		}
		text := sql[t.Start:t.End]
		switch t.Token {
		case pg_query.Token_SCONST, pg_query.Token_USCONST:
			out = append(out, unquote(text))
		case pg_query.Token_ICONST, pg_query.Token_FCONST, pg_query.Token_BCONST, pg_query.Token_XCONST:
			out = append(out, text)
		}
	}
	return out
}

// unquote returns the contents of a string constant (quoted, with E or
// U& before the quote, or dollar-quoted), doubled quotes made single.
func unquote(s string) string {
	if strings.HasPrefix(s, "$") {
		if i := strings.Index(s[1:], "$"); i >= 0 {
			tag := s[:i+2]
			return strings.TrimSuffix(strings.TrimPrefix(s, tag), tag)
		}
	}
	if i := strings.IndexByte(s, '\''); i >= 0 && strings.HasSuffix(s, "'") && len(s)-i >= 2 {
		return strings.ReplaceAll(s[i+1:len(s)-1], "''", "'")
	}
	return s
}

// RedactValues replaces with "?" every occurrence in text of each of
// values that stands on its own, not inside a longer word or number: a
// server message quotes a parameter value it could not use ("invalid input
// syntax for type integer: \"s3cr3t\""), and such messages end up in
// baselines and reports. Longer values go first, so that a value inside
// another is not left half redacted.
func RedactValues(text string, values []string) string {
	vs := make([]string, 0, len(values))
	for _, v := range values {
		if v != "" && v != Redacted {
			vs = append(vs, v)
		}
	}
	sort.SliceStable(vs, func(i, j int) bool { return len(vs[i]) > len(vs[j]) })
	for _, v := range vs {
		text = redactValue(text, v)
	}
	return text
}

func redactValue(text, v string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, v)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		before, _ := utf8.DecodeLastRuneInString(text[:i])
		after, _ := utf8.DecodeRuneInString(text[i+len(v):])
		first, _ := utf8.DecodeRuneInString(v)
		last, _ := utf8.DecodeLastRuneInString(v)
		whole := (i == 0 || !isWord(before) || !isWord(first)) &&
			(i+len(v) == len(text) || !isWord(after) || !isWord(last))
		if whole {
			b.WriteString(text[:i])
			b.WriteString(Redacted)
		} else {
			b.WriteString(text[:i+len(v)])
		}
		text = text[i+len(v):]
	}
}

func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}
