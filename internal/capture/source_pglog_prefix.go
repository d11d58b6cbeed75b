package capture

import (
	"bytes"
	"strings"
)

// severityMarker ends every severity in a stderr log line: "LOG:  ".
var severityMarker = []byte(":  ")

// maxSeverityLen is the length of the longest severity word, "STATEMENT".
const maxSeverityLen = len("STATEMENT")

// findSeverity finds where the log_line_prefix of a stderr line ends, by
// looking for the first severity word followed by ":  " that starts a word.
// It returns the start of that word, its severity, and the start of the
// message; sevNone when the line has none.
func findSeverity(line []byte) (int, severity, int) {
	for off := 0; ; {
		i := bytes.Index(line[off:], severityMarker)
		if i < 0 {
			return 0, sevNone, 0
		}
		i += off
		j := i
		for j > 0 && i-j < maxSeverityLen && isSeverityByte(line[j-1]) {
			j--
		}
		if j < i && (j == 0 || !isWordByte(line[j-1])) {
			if sev := severityOf(line[j:i]); sev != sevNone {
				return j, sev, i + len(severityMarker)
			}
		}
		off = i + 1
	}
}

func isSeverityByte(b byte) bool { return b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' }

func isWordByte(b byte) bool {
	return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_'
}

// appLabels are the labels that name application_name in the log_line_prefix
// settings people write, as in pgBadger's "user=%u,db=%d,app=%a,client=%h ".
var appLabels = [...][]byte{[]byte("app="), []byte("application_name="), []byte("appname="), []byte("application=")}

// labeledApp returns the application_name in a line prefix that labels it,
// or nil. The value ends at a delimiter (",", ";", "|", "]", ")"), at a
// space before the next "label=", or at the end of the prefix.
func labeledApp(prefix []byte) []byte {
	for _, label := range appLabels {
		for off := 0; ; {
			i := bytes.Index(prefix[off:], label)
			if i < 0 {
				break
			}
			i += off
			if i > 0 && isWordByte(prefix[i-1]) {
				off = i + 1
				continue
			}
			v := prefix[i+len(label):]
			if bytes.HasPrefix(v, []byte("[unknown]")) {
				return nil
			}
			end := len(v)
			for k := 0; k < len(v); k++ {
				if c := v[k]; c == ',' || c == ';' || c == '|' || c == ']' || c == ')' {
					end = k
					break
				} else if c == ' ' && startsLabel(v[k+1:]) {
					end = k
					break
				}
			}
			return bytes.TrimSpace(v[:end])
		}
	}
	return nil
}

// startsLabel reports whether s starts with a word and "=".
func startsLabel(s []byte) bool {
	i := 0
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	return i > 0 && i < len(s) && s[i] == '='
}

// prefixToken is one piece of a log_line_prefix: literal text, or an escape
// such as %a that stands for a value.
type prefixToken struct {
	lit string
	esc byte // 0 for a literal
}

// linePrefix is a log_line_prefix, compiled to match stderr log lines.
type linePrefix struct {
	text   string
	tokens []prefixToken
}

// compileLinePrefix reads a log_line_prefix the way the server expands it:
// "%%" is a percent sign, a padding width ("%-20a", "%10p") is allowed, %q
// (where the prefix of non-session processes stops) and unknown escapes
// print nothing.
func compileLinePrefix(s string) *linePrefix {
	p := &linePrefix{text: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.tokens = append(p.tokens, prefixToken{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			lit.WriteByte(s[i])
			continue
		}
		i++
		for i < len(s) && (s[i] == '-' || s[i] >= '0' && s[i] <= '9') {
			i++
		}
		if i >= len(s) {
			break
		}
		switch e := s[i]; e {
		case '%':
			lit.WriteByte('%')
		case 'a', 'u', 'd', 'r', 'h', 'b', 'p', 'P', 't', 'm', 'n', 'i', 'e', 'c', 'l', 's', 'v', 'x', 'Q':
			flush()
			p.tokens = append(p.tokens, prefixToken{esc: e})
		}
	}
	flush()
	return p
}

// maxPrefixSteps bounds the backtracking of one prefix match.
const maxPrefixSteps = 256

// prefixMatch is the outcome of matching a line against a linePrefix.
type prefixMatch struct {
	app      []byte
	sev      severity
	msgStart int
	steps    int
}

// match matches line against the prefix followed by a severity and ":  ".
func (p *linePrefix) match(line []byte) (prefixMatch, bool) {
	var m prefixMatch
	ok := m.tokens(p.tokens, line, 0)
	return m, ok
}

// tokens matches toks against line[pos:], then a severity.
func (m *prefixMatch) tokens(toks []prefixToken, line []byte, pos int) bool {
	m.steps++
	if m.steps > maxPrefixSteps {
		return false
	}
	if len(toks) == 0 {
		return m.severityAt(line, pos)
	}
	t := toks[0]
	if t.esc == 0 {
		return bytes.HasPrefix(line[pos:], []byte(t.lit)) && m.tokens(toks[1:], line, pos+len(t.lit))
	}
	if n, ok := shapedValue(t.esc, line[pos:]); ok {
		if m.tokens(toks[1:], line, pos+n) {
			return true
		}
	}
	// A free-form value, or a shaped one that did not fit: try the shortest
	// value after which the rest matches.
	switch {
	case len(toks) == 1:
		// The value runs up to a severity word.
		for off := pos; ; {
			i := bytes.Index(line[off:], severityMarker)
			if i < 0 {
				return false
			}
			i += off
			for w := max(pos, i-maxSeverityLen); w < i; w++ {
				if m.severityAt(line, w) {
					m.setApp(t.esc, line[pos:w])
					return true
				}
			}
			off = i + 1
		}
	case toks[1].esc == 0:
		// The value runs up to an occurrence of the next literal.
		lit := []byte(toks[1].lit)
		for off := pos; ; {
			i := bytes.Index(line[off:], lit)
			if i < 0 || m.steps > maxPrefixSteps {
				return false
			}
			i += off
			if m.tokens(toks[1:], line, i) {
				m.setApp(t.esc, line[pos:i])
				return true
			}
			off = i + 1
		}
	default:
		// Two values side by side: try every split.
		for end := pos; end <= len(line) && m.steps <= maxPrefixSteps; end++ {
			if m.tokens(toks[1:], line, end) {
				m.setApp(t.esc, line[pos:end])
				return true
			}
		}
		return false
	}
}

func (m *prefixMatch) setApp(esc byte, v []byte) {
	if esc == 'a' {
		m.app = bytes.TrimSpace(v)
	}
}

// severityAt matches a severity word and ":  " at line[pos:].
func (m *prefixMatch) severityAt(line []byte, pos int) bool {
	i := bytes.Index(line[pos:min(len(line), pos+maxSeverityLen+len(severityMarker))], severityMarker)
	if i <= 0 {
		return false
	}
	if sev := severityOf(line[pos : pos+i]); sev != sevNone {
		m.sev, m.msgStart = sev, pos+i+len(severityMarker)
		return true
	}
	return false
}

// shapedValue returns the length of the value at the start of s for the
// escapes whose values have a known shape: timestamps, numbers, session IDs.
func shapedValue(esc byte, s []byte) (int, bool) {
	switch esc {
	case 't', 's', 'm':
		return timestampLen(s)
	case 'p', 'P', 'l', 'x', 'Q':
		i := 0
		if len(s) > 0 && s[0] == '-' {
			i++
		}
		n := digitsLen(s[i:])
		return i + n, n > 0
	case 'n':
		n := digitsLen(s)
		if n > 0 && n < len(s) && s[n] == '.' {
			n += 1 + digitsLen(s[n+1:])
		}
		return n, n > 0
	case 'c':
		n := hexLen(s)
		if n == 0 || n >= len(s) || s[n] != '.' {
			return 0, false
		}
		m := hexLen(s[n+1:])
		return n + 1 + m, m > 0
	}
	return 0, false
}

// timestampLen matches "2006-01-02 15:04:05[.000] ZONE", the form of %t, %m
// and %s, where ZONE is the log_timezone abbreviation ("UTC", "CEST", "+03").
func timestampLen(s []byte) (int, bool) {
	const layout = "0000-00-00 00:00:00"
	if len(s) < len(layout) {
		return 0, false
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == '0' {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
		} else if s[i] != layout[i] {
			return 0, false
		}
	}
	n := len(layout)
	if n < len(s) && s[n] == '.' {
		n += 1 + digitsLen(s[n+1:])
	}
	if n+1 < len(s) && s[n] == ' ' {
		z := n + 1
		for z < len(s) && (isWordByte(s[z]) || s[z] == '+' || s[z] == '-') {
			z++
		}
		if z > n+1 {
			n = z
		}
	}
	return n, true
}

func digitsLen(s []byte) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func hexLen(s []byte) int {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
		i++
	}
	return i
}
