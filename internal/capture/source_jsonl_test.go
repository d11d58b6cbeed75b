package capture

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseJSONL_File(t *testing.T) {
	path := filepath.Join("testdata", "jsonl", "orders.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseJSONL(f, path)
	if err != nil {
		t.Fatalf("ParseJSONL: %v", err)
	}
	want := []Statement{
		{
			Name:   "orders_recent",
			SQL:    "SELECT * FROM orders WHERE customer_id = $1 ORDER BY created_at DESC LIMIT $2",
			Params: []Param{{Value: "42"}, {Value: "20"}},
			Group:  "GET /orders",
			Source: path + ":2",
		},
		{
			SQL:    "SELECT count(*) FROM (SELECT o.id FROM orders o JOIN items i ON i.order_id = o.id GROUP BY o.id) AS sub",
			Group:  "GET /orders",
			Source: path + ":4",
			Count:  3,
		},
		{
			SQL: "UPDATE orders SET note = $2, meta = $3 WHERE id = $1",
			Params: []Param{
				{Value: "7"},
				{Value: "O'Brien, \"Jr\"\nZoë 東京 🐘"},
				{Value: `{"tags":["a","b"],"n":1.5}`},
			},
			Group:  "PATCH /orders/:id",
			Source: "test/orders_test.go:88",
		},
		{
			SQL:    "INSERT INTO audit (order_id, ok, reason) VALUES ($1, $2, $3)",
			Params: []Param{{Value: "7"}, {Value: "true"}, {Null: true}},
			Source: path + ":6",
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statements (-want +got):\n%s", diff)
	}
}

func TestParseJSONL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Statement
	}{
		{name: "empty file", in: "", want: nil},
		{name: "header only", in: `{"plangate_capture": 1}` + "\n", want: nil},
		{name: "minor version and repeated header",
			in: "\xef\xbb\xbf" + `{"plangate_capture": 1.3}` + "\n" + `{"sql": "SELECT 1"}` + "\n" +
				`{"plangate_capture": 1}` + "\r\n" + `{"sql": "SELECT 2", "params": []}`,
			want: []Statement{
				{SQL: "SELECT 1", Source: "c.jsonl:2"},
				{SQL: "SELECT 2", Params: []Param{}, Source: "c.jsonl:4"},
			}},
		{name: "numbers keep their text",
			in:   `{"sql": "SELECT $1, $2, $3", "params": [1e3, -0.50, 12345678901234567890]}`,
			want: []Statement{{SQL: "SELECT $1, $2, $3", Params: []Param{{Value: "1e3"}, {Value: "-0.50"}, {Value: "12345678901234567890"}}, Source: "c.jsonl:1"}}},
		{name: "header and statement on one line",
			in:   `{"plangate_capture": 1, "sql": "SELECT 1"}`,
			want: []Statement{{SQL: "SELECT 1", Source: "c.jsonl:1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseJSONL(strings.NewReader(tt.in), "c.jsonl")
			if err != nil {
				t.Fatalf("ParseJSONL: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseJSONL_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "newer major version", in: `{"plangate_capture": 2}`,
			want: "c.jsonl:1: capture format version 2 is newer than this plangate reads (1): upgrade plangate"},
		{name: "version not a number", in: `{"plangate_capture": "1"}`,
			want: `c.jsonl:1: "plangate_capture" is "1": it must be the format version, a number such as 1`},
		{name: "version zero", in: `{"plangate_capture": 0}`,
			want: `c.jsonl:1: "plangate_capture" is 0`},
		{name: "missing sql", in: "{\"sql\": \"SELECT 1\"}\n\n{\"params\": [1]}",
			want: `c.jsonl:3: missing "sql": each line must be one object like {"sql": "SELECT ... WHERE id = $1", "params": [42]}`},
		{name: "null sql", in: `{"sql": null}`, want: `c.jsonl:1: missing "sql"`},
		{name: "empty sql", in: `{"sql": "  "}`, want: `c.jsonl:1: "sql" is empty`},
		{name: "sql not a string", in: `{"sql": 5}`, want: `c.jsonl:1: "sql" must be a string, not a JSON number`},
		{name: "params not an array", in: `{"sql": "SELECT $1", "params": "x"}`,
			want: `c.jsonl:1: "params" must be an array of values, not a JSON string`},
		{name: "count not whole", in: `{"sql": "SELECT 1", "count": 1.5}`,
			want: `c.jsonl:1: "count" must be a whole number, not a JSON number`},
		{name: "negative calls", in: `{"sql": "SELECT 1", "calls": -1}`, want: `c.jsonl:1: "calls" is -1`},
		{name: "negative count", in: `{"sql": "SELECT 1", "count": -1}`, want: `c.jsonl:1: "calls" is -1`},
		{name: "not an object", in: `["SELECT 1"]`, want: "c.jsonl:1: not a JSON object"},
		{name: "invalid JSON", in: `{"sql": "SELECT 1"`, want: "c.jsonl:1: invalid JSON: unexpected end of JSON input"},
		{name: "two objects on a line", in: `{"sql": "SELECT 1"} {"sql": "SELECT 2"}`, want: "c.jsonl:1: invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSONL(strings.NewReader(tt.in), "c.jsonl")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("ParseJSONL error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func FuzzParseJSONL(f *testing.F) {
	data, err := os.ReadFile(filepath.Join("testdata", "jsonl", "orders.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, line := range bytes.Split(data, []byte("\n")) {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stmts, err := ParseJSONL(bytes.NewReader(data), "fuzz.jsonl")
		if err != nil {
			return
		}
		for _, st := range stmts {
			if strings.TrimSpace(st.SQL) == "" {
				t.Errorf("statement without SQL: %+v", st)
			}
			if st.Source == "" {
				t.Errorf("statement without Source: %+v", st)
			}
		}
	})
}
