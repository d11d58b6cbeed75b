package capture

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var writeCases = []Statement{
	{SQL: "SELECT * FROM orders WHERE id = $1", Params: []Param{{Value: "42"}}, Group: "GET /orders/:id"},
	{SQL: "UPDATE t SET a = $1, b = $2, c = $3\nWHERE d = $4",
		Params: []Param{{Value: "O'Brien, \"Jr\""}, {Null: true}, {Value: "Zoë 東京 🐘\n<&>"}, {Value: ""}}},
	{SQL: "SELECT $1::jsonb", Params: []Param{{Value: `{"a": [1, "x"]}`}}, Name: "doc", Source: "app.go:12", Count: 3},
	{SQL: "SELECT 1 FROM t", Params: []Param{{Value: "null"}, {Value: "12"}}},
}

func TestWriteJSONL_RoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSONL(&buf, writeCases); err != nil {
		t.Fatal(err)
	}
	got, err := ParseJSONL(&buf, "capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	want := append([]Statement(nil), writeCases...)
	for i := range want {
		if want[i].Source == "" {
			want[i].Source = fmt.Sprintf("capture.jsonl:%d", i+2) // after the header
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestRecording(t *testing.T) {
	path := filepath.Join(t.TempDir(), "capture.jsonl")
	rec, err := CreateRecording(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, st := range writeCases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec.Add(Execution{Statement: st, Duration: time.Duration(i+1) * 1500 * time.Microsecond, Notes: []string{"a", "b"}})
		}()
	}
	wg.Wait()

	// Before Close, the lines reach the partial file within the flush delay.
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s exists before Close: %v", path, err)
	}
	var partial []Statement
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		data, err := os.ReadFile(rec.Path())
		if err != nil {
			t.Fatal(err)
		}
		if partial, err = ParseJSONL(bytes.NewReader(data), "partial"); err == nil && len(partial) == len(writeCases) {
			break
		}
	}
	if len(partial) != len(writeCases) {
		t.Errorf("partial file holds %d statements, want %d", len(partial), len(writeCases))
	}

	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := os.Stat(rec.Path()); !os.IsNotExist(err) {
		t.Errorf("partial file left after Close: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if lines[0] != `{"plangate_capture":1}` {
		t.Errorf("header %q", lines[0])
	}
	var durations []float64
	for _, l := range lines[1:] {
		var extra struct {
			DurationMS float64 `json:"duration_ms"`
			Note       string  `json:"note"`
		}
		if err := json.Unmarshal([]byte(l), &extra); err != nil {
			t.Fatal(err)
		}
		if extra.Note != "a; b" {
			t.Errorf("note %q, want %q", extra.Note, "a; b")
		}
		durations = append(durations, extra.DurationMS)
	}
	for _, d := range []float64{1.5, 3, 4.5, 6} {
		found := false
		for _, got := range durations {
			found = found || got == d
		}
		if !found {
			t.Errorf("no line with duration_ms %v in %v", d, durations)
		}
	}
	got, err := ParseJSONL(bytes.NewReader(data), "capture.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if rec.Len() != len(writeCases) || len(got) != len(writeCases) {
		t.Errorf("Len %d, file holds %d statements, want %d", rec.Len(), len(got), len(writeCases))
	}
}

func TestCreateRecording_Unwritable(t *testing.T) {
	_, err := CreateRecording(filepath.Join(t.TempDir(), "missing", "capture.jsonl"))
	if err == nil || !strings.HasPrefix(err.Error(), "capture: ") {
		t.Errorf("got %v, want an error starting with capture:", err)
	}
}
