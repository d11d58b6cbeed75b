package capture

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParsePGSS_RealExport(t *testing.T) {
	path := filepath.Join("testdata", "pgss", "pgss.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParsePGSS(f, path)
	if err != nil {
		t.Fatalf("ParsePGSS: %v", err)
	}
	// The workload of makelogs.sh ran once per log variant (five times),
	// pgbench's statements four times in each.
	want := []Statement{
		{SQL: "/* orders.list */ WITH recent AS (SELECT * FROM notes) SELECT count(*) FROM recent", Count: 5},
		{SQL: "INSERT INTO customers VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", Count: 5},
		{SQL: "INSERT INTO notes (customer_id, body, city) VALUES ($1, $2, $3)", Count: 25},
		{SQL: "SELECT c.id,\n       c.name\n  FROM customers c\n WHERE c.name = $1\n   AND c.note <> $2", Count: 5},
		{SQL: "SELECT count(*) FROM notes WHERE city =  $1", Count: 5},
		{SQL: "SELECT id, name FROM customers WHERE id = $1 AND name <> $2", Count: 20},
		{SQL: "SELECT id, name FROM customers WHERE name = $1 OR note = $2", Count: 10},
		{SQL: "SELECT pg_reload_conf()", Count: 5},
		{SQL: "UPDATE customers\n   SET note = $2\n WHERE id = $1", Count: 5},
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Statement{}, "Source")); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
	if len(got) > 0 && got[0].Source != path+":2" {
		t.Errorf("first Source = %q, want %s:2", got[0].Source, path)
	}
	for _, st := range got {
		if wantEstimate := strings.Contains(st.SQL, "$1"); EstimateOnly(st) != wantEstimate {
			t.Errorf("EstimateOnly(%q) = %v, want %v", st.SQL, !wantEstimate, wantEstimate)
		}
	}
}

func TestParsePGSS(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Statement
	}{
		{
			name: "more columns in another order, merged and skipped rows",
			in: "userid,dbid,query,calls,total_exec_time\n" +
				"10,5,SELECT $1,3,1.5\n" +
				"11,5,SELECT $1,4,2.5\n" +
				"10,5,<insufficient privilege>,9,1\n" +
				"10,5,SELECT 2,0,0\n" +
				"10,5,VACUUM t,2,0\n",
			want: []Statement{{SQL: "SELECT $1", Source: "p.csv:2", Count: 7}},
		},
		{name: "header only", in: "queryid,calls,query\n", want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePGSS(strings.NewReader(tt.in), "p.csv")
			if err != nil {
				t.Fatalf("ParsePGSS: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePGSS_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: `p.csv: empty file: export pg_stat_statements with psql -c "\copy (SELECT queryid, calls, query FROM pg_stat_statements) TO 'pgss.csv' CSV HEADER"`},
		{name: "no header", in: "1,5,SELECT 1\n", want: "p.csv:1: not a pg_stat_statements export: the header (1,5,SELECT 1) needs the columns query and calls"},
		{name: "calls not a number", in: "query,calls\nSELECT 1,many\n", want: `p.csv:2: calls is "many", not a count`},
		{name: "ragged row", in: "query,calls\nSELECT 1\n", want: "p.csv: record on line 2: wrong number of fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePGSS(strings.NewReader(tt.in), "p.csv")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("ParsePGSS error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestEstimateOnly(t *testing.T) {
	tests := []struct {
		name string
		st   Statement
		want bool
	}{
		{"no placeholders", Statement{SQL: "SELECT 1"}, false},
		{"placeholders without values", Statement{SQL: "SELECT $1, $2"}, true},
		{"placeholders with values", Statement{SQL: "SELECT $2, $1", Params: []Param{{Value: "1"}, {Null: true}}}, false},
		{"fewer values than placeholders", Statement{SQL: "SELECT $1 + $12", Params: []Param{{Value: "1"}}}, true},
		{"inside literals and comments", Statement{SQL: `SELECT '$1', E'\'$2', "$3", $$ $4 $$, $f$ $5 $f$ -- $6
			/* $7 /* $8 */ */ FROM t`}, false},
		{"identifier with a dollar", Statement{SQL: "SELECT a$1 FROM t"}, false},
		{"after a literal", Statement{SQL: "SELECT 'it''s' || $1"}, true},
		{"after operators", Statement{SQL: "SELECT 4 - 2 / $1"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EstimateOnly(tt.st); got != tt.want {
				t.Errorf("EstimateOnly(%q) = %v, want %v", tt.st.SQL, got, tt.want)
			}
		})
	}
}
