package baseline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that every error says
// something, and that whatever Parse accepts writes back and reads again to
// the very same bytes.
func FuzzParse(f *testing.F) {
	golden, err := os.ReadFile(filepath.Join("testdata", "recorded", "plangate.baseline.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add([]byte(`{"format_version": 1, "queries": []}`))
	f.Add([]byte(`{"format_version": 1, "queries": [{"name": "a", "metrics": {"rows": 1e308, "execution_ms": 3}}]}`))
	f.Add([]byte(`{"format_version": 1, "queries": [{"name": "a"}, {"name": "a"}]}`))
	f.Add([]byte(`{"format_version": 2}`))
	f.Add([]byte(`{"format_version": 1, "queries": [{"name": "a", "metrics": {"rows": "x"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.json", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		once, err := Marshal(file)
		if err != nil {
			t.Fatalf("Marshal of a parsed file: %v", err)
		}
		again, err := Parse("fuzz.json", once)
		if err != nil {
			t.Fatalf("Parse of marshalled bytes: %v\n%s", err, once)
		}
		twice, err := Marshal(again)
		if err != nil {
			t.Fatalf("second Marshal: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("not stable:\n%s\n---\n%s", once, twice)
		}
	})
}
