package queryid

import (
	"errors"
	"testing"
)

func TestIdentify(t *testing.T) {
	tests := []struct {
		name       string
		sql        string
		kind       Kind
		normalized string
		forUpdate  bool
	}{
		{"select", "SELECT * FROM t WHERE id = 42", KindSelect, "SELECT * FROM t WHERE id = $1", false},
		{"select for update", "SELECT * FROM t WHERE id = $1 FOR UPDATE", KindSelect, "SELECT * FROM t WHERE id = $1 FOR UPDATE", true},
		{"insert", "INSERT INTO t (a) VALUES ('x')", KindInsert, "INSERT INTO t (a) VALUES ($1)", false},
		{"update", "UPDATE t SET a = 1", KindUpdate, "UPDATE t SET a = $1", false},
		{"delete", "DELETE FROM t WHERE a < 3", KindDelete, "DELETE FROM t WHERE a < $1", false},
		{"utility", "VACUUM t", KindUtility, "VACUUM t", false},
		{"select into", "SELECT 1 INTO t2", KindUtility, "SELECT $1 INTO t2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Identify(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if id.Kind != tt.kind || id.Normalized != tt.normalized || id.SelectForUpdate != tt.forUpdate {
				t.Errorf("Identify(%q) = %+v", tt.sql, id)
			}
			if id.Fingerprint == "" {
				t.Error("empty fingerprint")
			}
		})
	}
}

func TestIdentify_FingerprintIgnoresConstantsAndComments(t *testing.T) {
	a, err := Identify("SELECT * FROM t WHERE id = 1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Identify("/* app */ select *\n  from t where id = 999")
	if err != nil {
		t.Fatal(err)
	}
	if a.Fingerprint != b.Fingerprint {
		t.Errorf("fingerprints differ: %s vs %s", a.Fingerprint, b.Fingerprint)
	}
	c, _ := Identify("SELECT * FROM t WHERE other = 1")
	if c.Fingerprint == a.Fingerprint {
		t.Error("different queries share a fingerprint")
	}
}

func TestIdentify_CommentsLeaveNormalizedText(t *testing.T) {
	id, err := Identify("-- list page\n-- $1 = 'secret'\nSELECT * FROM t /*route='/api/t'*/ WHERE a = $1")
	if err != nil {
		t.Fatal(err)
	}
	if id.Normalized != "SELECT * FROM t  WHERE a = $1" {
		t.Errorf("normalized = %q", id.Normalized)
	}
	if len(id.Comments) != 3 || id.Comments[2] != "/*route='/api/t'*/" {
		t.Errorf("comments = %q", id.Comments)
	}
}

func TestIdentify_Errors(t *testing.T) {
	_, err := Identify("SELEC 1")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Position != 1 {
		t.Errorf("want SyntaxError at 1, got %v", err)
	}
	if _, err := Identify("SELECT 1; SELECT 2"); err == nil {
		t.Error("two statements accepted")
	}
	if _, err := Identify("-- nothing"); err == nil {
		t.Error("empty input accepted")
	}
}

func TestRedactConstants(t *testing.T) {
	tests := map[string]string{
		"Index Scan using customers_pkey on customers [Index Cond: (id = '4711'::bigint)]": "Index Scan using customers_pkey on customers [Index Cond: (id = ?::bigint)]",
		"Seq Scan on events_2024_03 [Filter: ((note = 'it''s') AND (score > 42.5))]":       "Seq Scan on events_2024_03 [Filter: ((note = ?) AND (score > ?))]",
		"Hash Join [Hash Cond: (o.customer_id = c.id)]":                                    "Hash Join [Hash Cond: (o.customer_id = c.id)]",
		"Filter: (name = 'unterminated":                                                    "Filter: (name = ?",
	}
	for in, want := range tests {
		if got := RedactConstants(in); got != want {
			t.Errorf("RedactConstants(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSplit(t *testing.T) {
	got, err := Split("CREATE TABLE t (a text DEFAULT ';');\n-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\nBEGIN; COMMIT;")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATE TABLE t (a text DEFAULT ';')", "-- a comment; with a semicolon\nCREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "BEGIN", "COMMIT"}
	if len(got) != len(want) {
		t.Fatalf("Split = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d = %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := Split("CREATE TABLE (;"); err == nil {
		t.Error("a script that does not parse was split")
	}
}

func TestIdentity_LocksRows(t *testing.T) {
	for sql, want := range map[string]bool{
		"SELECT * FROM orders WHERE id = 1":                                 false,
		"SELECT * FROM orders WHERE id = 1 FOR UPDATE":                      true,
		"SELECT * FROM (SELECT * FROM orders FOR SHARE) o":                  true,
		"UPDATE orders SET status = 'x' WHERE id = 1":                       true,
		"INSERT INTO orders (id) VALUES (1)":                                true,
		"WITH d AS (DELETE FROM orders RETURNING *) SELECT count(*) FROM d": true,
		"CREATE INDEX ON orders (status)":                                   false,
	} {
		id, err := Identify(sql)
		if err != nil {
			t.Fatal(err)
		}
		if got := id.LocksRows(); got != want {
			t.Errorf("%s: LocksRows() = %t, want %t", sql, got, want)
		}
	}
}
