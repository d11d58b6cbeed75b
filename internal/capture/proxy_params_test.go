package capture

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"one statement kept as sent", "SELECT 1;\n", []string{"SELECT 1;\n"}},
		{"two statements", "BEGIN; SELECT * FROM t", []string{"BEGIN", "SELECT * FROM t"}},
		{"semicolon in a string", "SELECT 'a;b'; SELECT 2", []string{"SELECT 'a;b'", "SELECT 2"}},
		{"doubled quote", "SELECT 'it''s;'; SELECT 2", []string{"SELECT 'it''s;'", "SELECT 2"}},
		{"escape string", `SELECT E'\';'; SELECT 2`, []string{`SELECT E'\';'`, "SELECT 2"}},
		{"backslash in a standard string", `SELECT '\'; SELECT 2`, []string{`SELECT '\'`, "SELECT 2"}},
		{"quoted identifier", `SELECT 1 AS "a;b"; SELECT 2`, []string{`SELECT 1 AS "a;b"`, "SELECT 2"}},
		{"dollar quotes", "DO $$ BEGIN PERFORM 1; END $$; SELECT 2", []string{"DO $$ BEGIN PERFORM 1; END $$", "SELECT 2"}},
		{"tagged dollar quotes", "SELECT $x$ ; $$ ; $x$; SELECT 2", []string{"SELECT $x$ ; $$ ; $x$", "SELECT 2"}},
		{"parameter is no dollar quote", "SELECT $1; SELECT $2", []string{"SELECT $1", "SELECT $2"}},
		{"dollar in an identifier", "SELECT a$b; SELECT 2", []string{"SELECT a$b", "SELECT 2"}},
		{"line comment", "SELECT 1 -- a; b\n; SELECT 2", []string{"SELECT 1 -- a; b", "SELECT 2"}},
		{"block comment", "SELECT /* ; /* nested ; */ ; */ 1; SELECT 2", []string{"SELECT /* ; /* nested ; */ ; */ 1", "SELECT 2"}},
		{"parentheses", "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2); SELECT 3",
			[]string{"CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)", "SELECT 3"}},
		{"empty statements dropped", ";; SELECT 1;; -- done\n;", []string{";; SELECT 1;; -- done\n;"}},
		{"empty parts between two statements dropped", "SELECT 1;;/* x */; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"minus and slash operators", "SELECT 4-2/1; SELECT 2", []string{"SELECT 4-2/1", "SELECT 2"}},
		{"unterminated string", "SELECT 'abc; SELECT 2", []string{"SELECT 'abc; SELECT 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, splitStatements(tt.sql)); diff != "" {
				t.Errorf("splitStatements(%q) (-want +got):\n%s", tt.sql, diff)
			}
		})
	}
}

func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "SELECT 'a;b'", "$a$;$a$;", "/* /* */ ;", "E'\\';'", `"x;"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		parts := splitStatements(sql)
		if len(parts) == 0 {
			t.Fatalf("no parts for %q", sql)
		}
		if len(parts) == 1 && parts[0] != sql {
			t.Fatalf("one statement %q changed to %q", sql, parts[0])
		}
		if len(parts) > 1 {
			at := 0
			for _, p := range parts {
				i := strings.Index(sql[at:], p)
				if i < 0 || p == "" {
					t.Fatalf("part %q not in order in %q", p, sql)
				}
				at += i + len(p)
			}
		}
	})
}

func TestNoise(t *testing.T) {
	tests := []struct {
		sql      string
		wantSkip bool
		wantWord string
	}{
		{"SELECT * FROM t", false, "SELECT"},
		{"  /* name: list */ (SELECT 1 FROM t)", false, "SELECT"},
		{"with x AS (SELECT 1) SELECT * FROM x", false, "WITH"},
		{"INSERT INTO t VALUES ($1)", false, "INSERT"},
		{"select 1", true, "SELECT 1"},
		{"SELECT 1;", true, "SELECT 1"},
		{"SELECT 12", false, "SELECT"},
		{"begin", true, "BEGIN"},
		{"START TRANSACTION ISOLATION LEVEL SERIALIZABLE", true, "START"},
		{"COMMIT", true, "COMMIT"},
		{"SET search_path = app", true, "SET"},
		{"SHOW work_mem", true, "SHOW"},
		{"DISCARD ALL", true, "DISCARD"},
		{"DEALLOCATE stmtcache_1", true, "DEALLOCATE"},
		{"CREATE TABLE t (id int)", true, "CREATE"},
		{"-- only a comment", true, "(empty)"},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			skip, word := noise(tt.sql)
			if skip != tt.wantSkip || word != tt.wantWord {
				t.Errorf("noise(%q) = %v, %q; want %v, %q", tt.sql, skip, word, tt.wantSkip, tt.wantWord)
			}
		})
	}
}

func TestDecodeParams(t *testing.T) {
	const oidInt4, oidText, oidUnknownEnum = 23, 25, 90001
	tests := []struct {
		name      string
		oids      []uint32
		formats   []int16
		values    [][]byte
		want      []Param
		wantNotes []string
	}{
		{
			name:   "text format for all when no formats are given",
			oids:   []uint32{oidInt4},
			values: [][]byte{[]byte("42"), nil, {}},
			want:   []Param{{Value: "42"}, {Null: true}, {Value: ""}},
		},
		{
			name:    "one format for all",
			oids:    []uint32{oidInt4, oidInt4},
			formats: []int16{1},
			values:  [][]byte{{0, 0, 0, 7}, {0xff, 0xff, 0xff, 0xff}},
			want:    []Param{{Value: "7"}, {Value: "-1"}},
		},
		{
			name:    "a format each",
			oids:    []uint32{oidText, oidInt4},
			formats: []int16{0, 1},
			values:  [][]byte{[]byte("x"), {0, 0, 1, 0}},
			want:    []Param{{Value: "x"}, {Value: "256"}},
		},
		{
			name:      "unknown type",
			oids:      []uint32{oidUnknownEnum},
			formats:   []int16{1},
			values:    [][]byte{[]byte("red")},
			want:      []Param{{Value: `\x726564`}},
			wantNotes: []string{"params[0] ($1): binary value of type OID 90001 recorded as hex"},
		},
		{
			name:      "malformed binary value",
			oids:      []uint32{oidInt4},
			formats:   []int16{1},
			values:    [][]byte{{1, 2}},
			want:      []Param{{Value: `\x0102`}},
			wantNotes: []string{"params[0] ($1): binary value of type OID 23 recorded as hex"},
		},
		{
			name:      "invalid UTF-8 in text",
			values:    [][]byte{{'a', 0xff}},
			want:      []Param{{Value: "a\xff"}},
			wantNotes: []string{"params[0] ($1): not valid UTF-8, written with replacement characters"},
		},
		{
			name:    "jsonb keeps its text",
			oids:    []uint32{oidJSONB},
			formats: []int16{1},
			values:  [][]byte{append([]byte{1}, `{"b": 1.50, "a": 2}`...)},
			want:    []Param{{Value: `{"b": 1.50, "a": 2}`}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, notes := decodeParams(pgtype.NewMap(), tt.oids, tt.formats, tt.values)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantNotes, notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
		})
	}
}
