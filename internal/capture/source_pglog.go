package capture

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// LogFormat names one of PostgreSQL's log_destination formats.
type LogFormat string

// The log formats ParsePGLog reads. The zero value asks ParsePGLog to detect
// the format from the content, then from the file extension.
const (
	LogFormatAuto   LogFormat = ""
	LogFormatStderr LogFormat = "stderr"
	LogFormatCSV    LogFormat = "csvlog"
	LogFormatJSON   LogFormat = "jsonlog"
)

// LogOption changes how ParsePGLog reads a log.
type LogOption func(*logOptions)

type logOptions struct {
	format LogFormat
	prefix string
}

// WithLogFormat makes ParsePGLog read the log as the given format instead of
// detecting it.
func WithLogFormat(f LogFormat) LogOption {
	return func(o *logOptions) { o.format = f }
}

// WithLinePrefix gives the server's log_line_prefix (as `SHOW log_line_prefix`
// prints it, e.g. "%m [%p] %q%u@%d/%a ") for the stderr format. Without it the
// prefix is found by looking for the severity ("LOG:  ") that ends it, and
// application_name is only recognised where the prefix labels it ("app=%a",
// "application_name=%a"); with it, %a is found wherever it stands. An empty
// prefix means detect.
func WithLinePrefix(prefix string) LogOption {
	return func(o *logOptions) { o.prefix = prefix }
}

// ParsePGLog reads the statements a PostgreSQL server logged, in the order
// they were logged; path names the log in errors and in Statement.Source.
//
// The server must log every statement: log_min_duration_statement = 0, or
// log_statement = 'all' (either or both), with lc_messages = 'C' so that
// severities read "LOG". Three formats are read, detected from the content
// (then from a .csv or .json extension) unless WithLogFormat says which:
// stderr with any log_line_prefix, csvlog, and jsonlog (PostgreSQL 15 and
// later). A gzip-compressed log is decompressed.
//
// Statements come from the simple protocol ("statement: ...") and from the
// executions of the extended protocol ("execute <unnamed>: ...",
// "execute S_1: ..."), with or without a "duration: ... ms" before them; the
// bound values come from the "parameters: $1 = '...', $2 = NULL" detail that
// follows, in the text form PostgreSQL prints (values cut short by
// log_parameter_max_length stay cut; with log_parameter_max_length = 0 there
// are none, and EstimateOnly reports the statement). Parse and bind lines,
// lines of other kinds (connections, checkpoints, errors and the STATEMENT
// lines that follow them), and statements that cannot be planned (BEGIN,
// COMMIT, SET, SHOW, DDL and every other utility statement) are left out.
// log_min_duration_statement logs a statement when it has finished;
// log_statement logs it before it runs, so with it a statement that then
// failed is kept. A simple-protocol string that holds several statements
// stays one Statement. application_name, where the log has it, becomes
// Statement.Group; Statement.Source is "path:line" of the line that logged
// the statement.
//
// A log that holds no PostgreSQL log line, or no logged statement, is an
// error that says how to configure the server.
func ParsePGLog(r io.Reader, path string, opts ...LogOption) ([]Statement, error) {
	var o logOptions
	for _, opt := range opts {
		opt(&o)
	}
	var prefix *linePrefix
	if o.prefix != "" {
		prefix = compileLinePrefix(o.prefix)
	}

	lr := newLineReader(r)
	if head := lr.peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		buffered := bytes.Clone(lr.buf[lr.start:lr.end])
		zr, err := gzip.NewReader(io.MultiReader(bytes.NewReader(buffered), r))
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		defer zr.Close()
		lr = newLineReader(zr)
	}

	format := o.format
	if format == LogFormatAuto {
		format = detectLogFormat(lr.peek(64<<10), path)
	}
	c := newLogCollector(path)
	switch format {
	case LogFormatStderr:
		parseStderrLog(lr, c, prefix)
	case LogFormatCSV:
		parseCSVLog(lr, c)
	case LogFormatJSON:
		parseJSONLog(lr, c)
	default:
		return nil, fmt.Errorf("%s: unknown log format %q (want %s, %s or %s)",
			path, format, LogFormatStderr, LogFormatCSV, LogFormatJSON)
	}
	if lr.err != nil {
		return nil, fmt.Errorf("%s:%d: read: %w", path, lr.line+1, lr.err)
	}
	return c.result(format, prefix)
}

// detectLogFormat tells the format of a log from its first bytes, then from
// its file name.
func detectLogFormat(head []byte, path string) LogFormat {
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		return LogFormatJSON
	}
	if line, _, _ := bytes.Cut(head, []byte("\n")); looksLikeCSVLog(line) {
		return LogFormatCSV
	}
	if _, sev, _ := findSeverity(head); sev != sevNone {
		return LogFormatStderr
	}
	name := strings.TrimSuffix(strings.ToLower(path), ".gz")
	switch {
	case strings.HasSuffix(name, ".csv"):
		return LogFormatCSV
	case strings.HasSuffix(name, ".json"):
		return LogFormatJSON
	}
	return LogFormatStderr
}

// severity is the part of an error_severity that matters here.
type severity uint8

const (
	sevNone   severity = iota // not a severity
	sevLog                    // LOG: statements are logged at this level
	sevDetail                 // DETAIL: follows its LOG line in stderr logs
	sevOther                  // any other
)

// severityOf maps a severity word to its severity.
func severityOf(word []byte) severity {
	switch string(word) {
	case "LOG":
		return sevLog
	case "DETAIL":
		return sevDetail
	case "STATEMENT", "ERROR", "HINT", "CONTEXT", "WARNING", "FATAL", "PANIC",
		"NOTICE", "INFO", "QUERY", "LOCATION",
		"DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5":
		return sevOther
	}
	return sevNone
}

// stmtKind says what a LOG message reports.
type stmtKind uint8

const (
	notStatement  stmtKind = iota // anything else: parse, bind, connections...
	statementText                 // a statement, its text returned
	statementRest                 // a statement that is not replayed on its own
)

// loggedStatement recognises the LOG messages that report a statement as
// executed, after an optional "duration: 0.123 ms  ", and returns its text:
// "statement: SQL" (simple protocol), "execute NAME: SQL" and
// "execute NAME/PORTAL: SQL" (extended protocol). "execute fetch from" lines
// report more rows of an execution already logged.
func loggedStatement(msg []byte) ([]byte, stmtKind) {
	if bytes.HasPrefix(msg, []byte("duration: ")) {
		// "duration: 0.123 ms  statement: ..."; a bare duration is
		// logged after a statement that log_statement already logged.
		i := bytes.Index(msg, []byte(" ms  "))
		if i < 0 {
			return nil, notStatement
		}
		msg = msg[i+len(" ms  "):]
	}
	if bytes.HasPrefix(msg, []byte("statement: ")) {
		return msg[len("statement: "):], statementText
	}
	if bytes.HasPrefix(msg, []byte("execute ")) {
		rest := msg[len("execute "):]
		i := bytes.Index(rest, []byte(": "))
		if i < 0 {
			return nil, notStatement
		}
		if bytes.HasPrefix(rest, []byte("fetch from ")) {
			return nil, statementRest
		}
		return rest[i+2:], statementText
	}
	return nil, notStatement
}

// plannable reports whether sql is a statement EXPLAIN can plan, judged by
// its first keyword after comments and opening parentheses: SELECT, INSERT,
// UPDATE, DELETE, MERGE, WITH, VALUES or TABLE. Transaction control, SET,
// SHOW, DDL, COPY, EXPLAIN, PREPARE/EXECUTE and the other utility statements
// are not.
func plannable(sql []byte) bool {
	i := skipSpaceAndComments(sql, 0)
	for i < len(sql) && sql[i] == '(' {
		i = skipSpaceAndComments(sql, i+1)
	}
	j := i
	for j < len(sql) && (sql[j]|0x20 >= 'a' && sql[j]|0x20 <= 'z') {
		j++
	}
	word := sql[i:j]
	for _, kw := range [...]string{"select", "insert", "update", "delete", "with", "values", "table", "merge"} {
		if len(word) == len(kw) && bytes.EqualFold(word, []byte(kw)) {
			return true
		}
	}
	return false
}

// skipSpaceAndComments returns the index of the first byte at or after i
// that is neither white space nor inside a -- or (nested) /* */ comment.
func skipSpaceAndComments(sql []byte, i int) int {
	for i < len(sql) {
		switch {
		case sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '\f':
			i++
		case bytes.HasPrefix(sql[i:], []byte("--")):
			nl := bytes.IndexByte(sql[i:], '\n')
			if nl < 0 {
				return len(sql)
			}
			i += nl + 1
		case bytes.HasPrefix(sql[i:], []byte("/*")):
			depth := 0
			for i < len(sql) {
				if bytes.HasPrefix(sql[i:], []byte("/*")) {
					depth++
					i += 2
				} else if bytes.HasPrefix(sql[i:], []byte("*/")) {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
		default:
			return i
		}
	}
	return i
}

// errBadParameters reports a "parameters:" detail that is not in the form
// PostgreSQL writes.
var errBadParameters = errors.New("malformed parameters")

// parseParameters reads the detail PostgreSQL logs with an execution,
// "parameters: $1 = 'it”s', $2 = NULL", appending the values to dst.
func parseParameters(dst []Param, detail []byte) ([]Param, error) {
	s, ok := bytes.CutPrefix(detail, []byte("parameters: "))
	if !ok {
		return dst, errBadParameters
	}
	for n := 1; ; n++ {
		if len(s) < 2 || s[0] != '$' {
			return dst, errBadParameters
		}
		i := 1
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if num, err := strconv.Atoi(string(s[1:i])); err != nil || num != n {
			return dst, errBadParameters
		}
		s, ok = bytes.CutPrefix(s[i:], []byte(" = "))
		if !ok {
			return dst, errBadParameters
		}
		switch {
		case bytes.HasPrefix(s, []byte("NULL")):
			dst = append(dst, Param{Null: true})
			s = s[len("NULL"):]
		case len(s) > 0 && s[0] == '\'':
			value, rest, ok := cutQuoted(s)
			if !ok {
				return dst, errBadParameters
			}
			dst = append(dst, Param{Value: value})
			s = rest
		default:
			return dst, errBadParameters
		}
		if len(s) == 0 {
			return dst, nil
		}
		if s, ok = bytes.CutPrefix(s, []byte(", ")); !ok {
			return dst, errBadParameters
		}
	}
}

// cutQuoted reads the single-quoted literal at the start of s, in which a
// quote is doubled, and returns its value and what follows it.
func cutQuoted(s []byte) (string, []byte, bool) {
	var b []byte
	start := 1
	for i := 1; ; {
		j := bytes.IndexByte(s[i:], '\'')
		if j < 0 {
			return "", nil, false
		}
		i += j
		if i+1 < len(s) && s[i+1] == '\'' {
			b = append(b, s[start:i+1]...)
			i += 2
			start = i
			continue
		}
		if b == nil {
			return string(s[start:i]), s[i+1:], true
		}
		b = append(b, s[start:i]...)
		return string(b), s[i+1:], true
	}
}

// maxInterned bounds the distinct texts a logCollector shares: logs of
// statements with inlined literals repeat little, and would only fill the
// table.
const maxInterned = 1 << 16

// logCollector gathers the statements of one log, sharing the memory of
// repeated texts and of parameter lists.
type logCollector struct {
	path  string
	stmts []Statement
	// texts maps a statement or group text to the one string kept for it.
	texts map[string]string
	// params is carved into the Params of successive statements.
	params []Param
	// scratch holds parameters while they are parsed.
	scratch []Param

	// logLines counts the lines recognised as log entries, stmtLines those
	// that logged a statement (replayed or not).
	logLines, stmtLines int
	// prefixMisses counts statement lines that a given log_line_prefix did
	// not match, prefixMiss is the first.
	prefixMisses, prefixMiss int
}

func newLogCollector(path string) *logCollector {
	return &logCollector{path: path, texts: make(map[string]string)}
}

func (c *logCollector) text(b []byte) string {
	if s, ok := c.texts[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(c.texts) < maxInterned {
		c.texts[s] = s
	}
	return s
}

// add records a logged statement and returns its index in c.stmts, or -1
// when it is not replayed.
func (c *logCollector) add(sql, group []byte, line int) int {
	// A bare SELECT 1 is a driver's or a test runner's ping, left out as
	// the proxy leaves it out.
	if !plannable(sql) || len(sql) < 24 && isPing(string(sql)) {
		return -1
	}
	st := Statement{
		SQL:    c.text(sql),
		Source: c.path + ":" + strconv.Itoa(line),
	}
	if len(group) > 0 && string(group) != "[unknown]" {
		st.Group = c.text(group)
	}
	c.stmts = append(c.stmts, st)
	return len(c.stmts) - 1
}

// setParams gives statement i the values of a "parameters:" detail. A
// detail in another form is ignored: the statement then has no values, as
// when the server logs none (log_parameter_max_length = 0).
func (c *logCollector) setParams(i int, detail []byte) {
	params, err := parseParameters(c.scratch[:0], detail)
	c.scratch = params
	if err != nil || len(params) == 0 {
		return
	}
	if cap(c.params)-len(c.params) < len(params) {
		c.params = make([]Param, 0, max(1024, len(params)))
	}
	start := len(c.params)
	c.params = append(c.params, params...)
	c.stmts[i].Params = c.params[start:len(c.params):len(c.params)]
}

// record handles one entry of a csvlog or jsonlog, which carries its detail
// and application_name with it.
func (c *logCollector) record(sev, msg, detail, app []byte, line int) {
	s := severityOf(sev)
	if s == sevNone {
		return
	}
	c.logLines++
	if s != sevLog {
		return
	}
	sql, kind := loggedStatement(msg)
	if kind == notStatement {
		return
	}
	c.stmtLines++
	if kind != statementText {
		return
	}
	if i := c.add(sql, app, line); i >= 0 && len(detail) > 0 {
		c.setParams(i, detail)
	}
}

// result returns the statements, or an error saying why a log gave none.
func (c *logCollector) result(format LogFormat, prefix *linePrefix) ([]Statement, error) {
	if c.logLines == 0 {
		hint := `a line prefix followed by "LOG:  "`
		switch format {
		case LogFormatCSV:
			hint = "csvlog records"
		case LogFormatJSON:
			hint = "jsonlog objects"
		}
		return nil, fmt.Errorf("%s: not a PostgreSQL %s log: found no %s; "+
			"give the format explicitly if it was misdetected, and set lc_messages = 'C' on the server",
			c.path, format, hint)
	}
	if c.stmtLines == 0 {
		return nil, fmt.Errorf("%s: the log holds no statements: "+
			"set log_min_duration_statement = 0 (or log_statement = 'all') on the server while the application runs", c.path)
	}
	if prefix != nil && c.prefixMisses == c.stmtLines {
		return nil, fmt.Errorf("%s:%d: log_line_prefix %q does not match the log; "+
			"give the prefix the server used (SHOW log_line_prefix), or none to detect it",
			c.path, c.prefixMiss, prefix.text)
	}
	return c.stmts, nil
}
