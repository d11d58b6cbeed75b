package capture

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadSQLFile_Params(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "orders_by_user.sql", "-- Orders of one user.\n-- $1 = 42\n-- $2 = 'O''Reilly, Inc.'\n-- $3 = NULL\nSELECT * FROM orders\nWHERE user_id = $1 AND company = $2 AND note IS DISTINCT FROM $3;\n")
	st, err := ReadSQLFile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := []Param{{Value: "42"}, {Value: "O'Reilly, Inc."}, {Null: true}}
	if diff := cmp.Diff(want, st.Params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if st.Name != "orders_by_user" {
		t.Errorf("name = %q", st.Name)
	}
}

func TestReadSQLFile_Errors(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"gap", "-- $2 = 1\nSELECT $2", "$1 has no value"},
		{"unterminated", "-- $1 = 'abc\nSELECT $1", "unterminated"},
		{"empty", "\n\n", "empty file"},
		{"twice", "-- $1 = 1\n-- $1 = 2\nSELECT $1", "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.name+".sql", tt.body)
			_, err := ReadSQLFile(p)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Errorf("want error with %q and the path, got %v", tt.want, err)
			}
		})
	}
}

func TestLoad_DirectoryInNameOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "b.sql", "SELECT 2")
	writeFile(t, dir, "a.sql", "SELECT 1")
	writeFile(t, dir, "notes.txt", "ignored")
	sts, err := Load([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 2 || sts[0].Name != "a" || sts[1].Name != "b" {
		t.Errorf("got %+v", sts)
	}
	if _, err := Load([]string{filepath.Join(dir, "missing")}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing path: %v", err)
	}
}
