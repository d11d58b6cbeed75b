package capture

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The statements of testdata/workload.sql, pgbench.sql and pgdriver, as
// every log under testdata/pglog records them (see testdata/makelogs.sh).
var (
	psqlStatements = []Statement{
		{SQL: "INSERT INTO customers VALUES (7, 'O''Brien', 'first') ON CONFLICT DO NOTHING;", Group: "psql"},
		{SQL: "SELECT c.id,\n       c.name\n  FROM customers c\n WHERE c.name = 'Zoë 東京 🐘'\n   AND c.note <> E'two\\nlines';", Group: "psql"},
		{SQL: "/* orders.list */ WITH recent AS (SELECT * FROM notes) SELECT count(*) FROM recent;", Group: "psql"},
	}
	// pgbenchStatements run twice with -M extended, then twice with
	// -M prepared.
	pgbenchStatements = []Statement{
		{SQL: "SELECT id, name FROM customers WHERE id = $1 AND name <> $2;",
			Params: []Param{{Value: "7"}, {Value: `O'Brien, "Jr"`}}, Group: "pgbench"},
		{SQL: "INSERT INTO notes (customer_id, body, city) VALUES ($1, $2, $3);",
			Params: []Param{{Value: "7"}, {Value: "two\nlines"}, {Value: "Zoë 東京 🐘"}}, Group: "pgbench"},
	}
	pgdriverStatements = []Statement{
		{SQL: "SELECT id, name FROM customers WHERE name = $1 OR note = $2",
			Params: []Param{{Value: `O'Brien, "Jr"`}, {Null: true}}, Group: "billing-worker"},
		{SQL: "SELECT id, name FROM customers WHERE name = $1 OR note = $2",
			Params: []Param{{Value: "Zoë 東京 🐘"}, {Value: "two\nlines"}}, Group: "billing-worker"},
		{SQL: "UPDATE customers\n   SET note = $2\n WHERE id = $1",
			Params: []Param{{Value: "7"}, {Value: "tab\there, quote ' and $1 = 'x'"}}, Group: "billing-worker"},
		{SQL: "INSERT INTO notes (customer_id, body, city) VALUES ($1, $2, $3)",
			Params: []Param{{Value: "7"}, {Value: ""}, {Value: `C:\temp\`}}, Group: "billing-worker"},
		{SQL: "SELECT count(*) FROM notes WHERE city =  'Zoë' ", Group: "billing-worker"},
	}
	// failedStatement is logged by log_statement = 'all' before it fails.
	failedStatement = Statement{SQL: "SELECT * FROM no_such_table;", Group: "psql"}
)

func workloadStatements(failed bool) []Statement {
	want := append([]Statement(nil), psqlStatements...)
	if failed {
		want = append(want, failedStatement)
	}
	for range 4 {
		want = append(want, pgbenchStatements...)
	}
	return append(want, pgdriverStatements...)
}

func TestParsePGLog_RealLogs(t *testing.T) {
	tests := []struct {
		name string
		file string
		opts []LogOption
		// groups is false where the log does not record application_name.
		groups bool
		failed bool
	}{
		{name: "stderr debian prefix", file: "debian.log"},
		{name: "stderr user@db prefix", file: "userdb.log"},
		{name: "stderr pgbadger prefix", file: "pgbadger.log", groups: true},
		{name: "stderr rds prefix", file: "rds.log"},
		{name: "stderr explicit prefix with log_statement all", file: "custom.log",
			opts: []LogOption{WithLinePrefix("%m [%p] %q%u@%d/%a ")}, groups: true, failed: true},
		{name: "stderr detected prefix with log_statement all", file: "custom.log", failed: true},
		{name: "csvlog", file: "debian.csv", groups: true},
		{name: "jsonlog", file: "debian.json", groups: true},
		{name: "csvlog named as stderr format", file: "debian.csv",
			opts: []LogOption{WithLogFormat(LogFormatCSV)}, groups: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join("testdata", "pglog", tt.file)
			got := parseLogFile(t, path, tt.opts...)

			want := workloadStatements(tt.failed)
			if !tt.groups {
				for i := range want {
					want[i].Group = ""
				}
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b Statement) bool {
				return a.SQL == b.SQL && a.Group == b.Group && cmp.Equal(a.Params, b.Params)
			})); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
			checkSources(t, path, got)
		})
	}
}

// checkSources checks that each statement's Source is "path:line" of the
// line that logged it.
func checkSources(t *testing.T, path string, stmts []Statement) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	for _, st := range stmts {
		file, num, ok := strings.Cut(st.Source, ":")
		n, err := strconv.Atoi(num)
		if !ok || file != path || err != nil || n < 1 || n > len(lines) {
			t.Errorf("Source = %q, want %s:LINE", st.Source, path)
			continue
		}
		first, _, _ := strings.Cut(st.SQL, "\n")
		if filepath.Ext(path) == ".json" {
			first = strings.ReplaceAll(first, `"`, `\"`)
		} else if filepath.Ext(path) == ".csv" {
			first = strings.ReplaceAll(first, `"`, `""`)
		}
		if line := lines[n-1]; !strings.Contains(line, first) {
			t.Errorf("%s: line %q does not log %q", st.Source, line, first)
		}
	}
}

func parseLogFile(t *testing.T, path string, opts ...LogOption) []Statement {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParsePGLog(f, path, opts...)
	if err != nil {
		t.Fatalf("ParsePGLog: %v", err)
	}
	return got
}

func TestParsePGLog_Gzip(t *testing.T) {
	path := filepath.Join("testdata", "pglog", "pgbadger.log")
	plain := parseLogFile(t, path)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := ParsePGLog(&buf, path)
	if err != nil {
		t.Fatalf("ParsePGLog: %v", err)
	}
	if diff := cmp.Diff(plain, got); diff != "" {
		t.Errorf("gzip-compressed log (-plain +gzip):\n%s", diff)
	}
}

func TestParsePGLog_Stderr(t *testing.T) {
	const p = "2024-05-01 10:00:00.123 UTC [42] "
	tests := []struct {
		name string
		log  string
		opts []LogOption
		want []Statement
	}{
		{
			name: "a ping is left out, as the proxy leaves it out",
			log: p + "LOG:  statement: SELECT 1\n" +
				p + "LOG:  statement: select 1;\n" +
				p + "LOG:  statement: SELECT 2\n",
			want: []Statement{{SQL: "SELECT 2", Source: "x.log:3"}},
		},
		{
			name: "bare duration after log_statement",
			log: p + "LOG:  statement: SELECT 11\n" +
				p + "LOG:  duration: 0.020 ms\n",
			want: []Statement{{SQL: "SELECT 11", Source: "x.log:1"}},
		},
		{
			name: "parameters of a bind line are not taken",
			log: p + "LOG:  duration: 0.1 ms  bind S_1: SELECT $1\n" +
				p + "DETAIL:  parameters: $1 = 'bind'\n" +
				p + "LOG:  duration: 0.1 ms  execute S_1: SELECT $1\n" +
				p + "DETAIL:  parameters: $1 = 'execute'\n",
			want: []Statement{{SQL: "SELECT $1", Params: []Param{{Value: "execute"}}, Source: "x.log:3"}},
		},
		{
			name: "named portal and fetch from it",
			log: p + "LOG:  execute S_1/C_2: SELECT * FROM t\n" +
				p + "LOG:  execute fetch from S_1/C_2: SELECT * FROM t\n",
			want: []Statement{{SQL: "SELECT * FROM t", Source: "x.log:1"}},
		},
		{
			name: "parameters with tabs and newlines in continuation lines",
			log: p + "LOG:  execute <unnamed>: INSERT INTO t\n\tVALUES ($1, $2)\n" +
				p + "DETAIL:  parameters: $1 = 'a\n\t\tb', $2 = 'it''s, ''quoted'''\n",
			want: []Statement{{SQL: "INSERT INTO t\nVALUES ($1, $2)",
				Params: []Param{{Value: "a\n\tb"}, {Value: "it's, 'quoted'"}}, Source: "x.log:1"}},
		},
		{
			name: "malformed parameters are left out",
			log: p + "LOG:  execute <unnamed>: SELECT $1\n" +
				p + "DETAIL:  parameters: $1 = 'cut\n",
			want: []Statement{{SQL: "SELECT $1", Source: "x.log:1"}},
		},
		{
			name: "parameters of another kind of entry",
			log: p + "LOG:  execute <unnamed>: SELECT $1\n" +
				p + "ERROR:  division by zero\n" +
				p + "DETAIL:  parameters: $1 = '0'\n",
			want: []Statement{{SQL: "SELECT $1", Source: "x.log:1"}},
		},
		{
			name: "CRLF line ends and noise",
			log: "random text from a shell script\r\n" +
				p + "LOG:  checkpoint starting: time\r\n" +
				p + "LOG:  duration: 1.5 ms  statement: UPDATE t SET a = 1\r\n",
			want: []Statement{{SQL: "UPDATE t SET a = 1", Source: "x.log:3"}},
		},
		{
			name: "utility statements skipped",
			log: p + "LOG:  statement: BEGIN\n" +
				p + "LOG:  statement: SET search_path = app\n" +
				p + "LOG:  statement: -- list\n\t(SELECT 1) UNION (SELECT 2)\n" +
				p + "LOG:  statement: COMMIT\n" +
				p + "LOG:  statement: EXPLAIN SELECT 1\n",
			want: []Statement{{SQL: "-- list\n(SELECT 1) UNION (SELECT 2)", Source: "x.log:3"}},
		},
		{
			name: "application_name labeled in the prefix",
			log: "2024-05-01 10:00:00 UTC [42]: [3-1] user=app,db=shop,app=orders api,client=10.0.0.1 LOG:  statement: SELECT 11\n" +
				"2024-05-01 10:00:00 UTC [42]: [3-1] db=shop appname=[unknown] user=x LOG:  statement: SELECT 2\n",
			want: []Statement{
				{SQL: "SELECT 11", Group: "orders api", Source: "x.log:1"},
				{SQL: "SELECT 2", Source: "x.log:2"},
			},
		},
		{
			name: "explicit prefix with application_name last and no space",
			log:  "2024-05-01 10:00:00 UTC [42] orders-apiLOG:  statement: SELECT 11\n",
			opts: []LogOption{WithLinePrefix("%t [%p] %a")},
			want: []Statement{{SQL: "SELECT 11", Group: "orders-api", Source: "x.log:1"}},
		},
		{
			name: "explicit prefix with a comma in application_name",
			log:  "2024-05-01 10:00:00 UTC [42]: user=u,db=d,app=api, v2,client=[local] LOG:  statement: SELECT 11\n",
			opts: []LogOption{WithLinePrefix("%t [%p]: user=%u,db=%d,app=%a,client=%h ")},
			want: []Statement{{SQL: "SELECT 11", Group: "api, v2", Source: "x.log:1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePGLog(strings.NewReader(tt.log), "x.log", tt.opts...)
			if err != nil {
				t.Fatalf("ParsePGLog: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePGLog_Errors(t *testing.T) {
	tests := []struct {
		name string
		log  string
		opts []LogOption
		want string
	}{
		{name: "not a log", log: "hello\nworld\n",
			want: `x.log: not a PostgreSQL stderr log: found no a line prefix followed by "LOG:  "`},
		{name: "empty", log: "", want: "x.log: not a PostgreSQL stderr log"},
		{name: "no statements logged",
			log:  "2024-05-01 10:00:00 UTC [1] LOG:  database system is ready to accept connections\n",
			want: "x.log: the log holds no statements: set log_min_duration_statement = 0"},
		{name: "prefix does not match",
			log:  "2024-05-01 10:00:00 UTC [1] LOG:  statement: SELECT 1\n",
			opts: []LogOption{WithLinePrefix("%m user=%u ")},
			want: `x.log:1: log_line_prefix "%m user=%u " does not match the log`},
		{name: "unknown format", log: "x", opts: []LogOption{WithLogFormat("syslog")},
			want: `x.log: unknown log format "syslog"`},
		{name: "jsonlog without entries", log: "{}\n", want: "x.log: not a PostgreSQL jsonlog log"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePGLog(strings.NewReader(tt.log), "x.log", tt.opts...)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("ParsePGLog error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestLinePrefixMatch(t *testing.T) {
	tests := []struct {
		name    string
		prefix  string
		line    string
		wantApp string
		wantMsg string
	}{
		{"debian", "%m [%p] ", "2024-05-01 10:00:00.123 UTC [42] LOG:  statement: x", "", "statement: x"},
		{"user at db", "%m [%p] %q%u@%d ", "2024-05-01 10:00:00.123 CEST [42] app@shop LOG:  m", "", "m"},
		{"pgbadger", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
			"2024-05-01 10:00:00 UTC [42]: [7-1] user=u,db=d,app=psql,client=[local] DETAIL:  d", "psql", "d"},
		{"rds", "%t:%r:%u@%d:[%p]:", "2024-05-01 10:00:00 UTC:10.1.2.3(5432):u@d:[42]:LOG:  m", "", "m"},
		{"padding and percent", "%-8p%% %a|", "42      % my app|LOG:  m", "my app", "m"},
		{"session id and epoch", "%n %c %a ", "1714557600.123 6630f1a0.2a web LOG:  m", "web", "m"},
		{"application_name with spaces last", "%m %u %a ", "2024-05-01 10:00:00.123 UTC u my app LOG:  m", "my app", "m"},
		{"unknown escape prints nothing", "%m %Z[%p] ", "2024-05-01 10:00:00.123 +03 [42] LOG:  m", "", "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := []byte(tt.line)
			m, ok := compileLinePrefix(tt.prefix).match(line)
			if !ok {
				t.Fatalf("%q does not match %q", tt.prefix, tt.line)
			}
			if string(m.app) != tt.wantApp || string(line[m.msgStart:]) != tt.wantMsg {
				t.Errorf("app %q, message %q; want %q, %q", m.app, line[m.msgStart:], tt.wantApp, tt.wantMsg)
			}
		})
	}
}

func TestParseParameters(t *testing.T) {
	tests := []struct {
		name    string
		detail  string
		want    []Param
		wantErr bool
	}{
		{name: "values and null", detail: "parameters: $1 = '1', $2 = NULL, $3 = ''",
			want: []Param{{Value: "1"}, {Null: true}, {Value: ""}}},
		{name: "quotes and separators inside", detail: "parameters: $1 = ''', $2 = '''",
			want: []Param{{Value: "', $2 = '"}}},
		{name: "the text NULL", detail: "parameters: $1 = 'NULL'", want: []Param{{Value: "NULL"}}},
		{name: "out of order", detail: "parameters: $2 = '1'", wantErr: true},
		{name: "unquoted", detail: "parameters: $1 = 1", wantErr: true},
		{name: "trailing garbage", detail: "parameters: $1 = '1' x", wantErr: true},
		{name: "other detail", detail: "prepare: PREPARE s AS SELECT 1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseParameters(nil, []byte(tt.detail))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("params (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestPlannable(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"SELECT 1", true},
		{"  with x as (select 1) select * from x", true},
		{"/* a /* nested */ comment */ ((VALUES (1)))", true},
		{"-- only a comment", false},
		{"TABLE t", true},
		{"MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE", true},
		{"BEGIN", false},
		{"set local x = 1", false},
		{"SHOW work_mem", false},
		{"CREATE TABLE t (a int)", false},
		{"SELECTED", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := plannable([]byte(tt.sql)); got != tt.want {
			t.Errorf("plannable(%q) = %v, want %v", tt.sql, got, tt.want)
		}
	}
}

func BenchmarkParsePGLog(b *testing.B) {
	// A workload log, repeated to a few megabytes.
	data, err := os.ReadFile(filepath.Join("testdata", "pglog", "pgbadger.log"))
	if err != nil {
		b.Fatal(err)
	}
	data = bytes.Repeat(data, (4<<20)/len(data))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := ParsePGLog(bufio.NewReader(bytes.NewReader(data)), "bench.log"); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParsePGLog(f *testing.F) {
	for _, name := range []string{"debian.log", "pgbadger.log", "debian.csv", "debian.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "pglog", name))
		if err != nil {
			f.Fatal(err)
		}
		// Small seeds, the first entries of each log, keep each run and
		// the minimisation of new inputs quick.
		f.Add(data[:min(1500, len(data))], uint8(0))
	}
	f.Add([]byte("x LOG:  execute a: SELECT $1\nx DETAIL:  parameters: $1 = '\n\t'"), uint8(0))
	f.Add([]byte("{\"error_severity\":\"LOG\",\"message\":\"statement: select\\u0020 1\"}"), uint8(3))
	formats := []LogFormat{LogFormatAuto, LogFormatStderr, LogFormatCSV, LogFormatJSON}
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		opts := []LogOption{WithLogFormat(formats[int(format)%len(formats)])}
		if format >= 128 {
			opts = append(opts, WithLinePrefix("%m [%p] %q%u@%d/%a "))
		}
		stmts, err := ParsePGLog(bytes.NewReader(data), "fuzz.log", opts...)
		if err != nil {
			return
		}
		for _, st := range stmts {
			if strings.TrimSpace(st.SQL) == "" || !plannable([]byte(st.SQL)) {
				t.Errorf("statement without plannable SQL: %+v", st)
			}
			if !strings.HasPrefix(st.Source, "fuzz.log:") {
				t.Errorf("Source = %q", st.Source)
			}
		}
	})
}
