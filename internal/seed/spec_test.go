package seed

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseSpec_Errors(t *testing.T) {
	// Each case is a whole spec; most differ from a valid one in one place.
	tests := []struct {
		name, spec, want string
	}{
		{"unknown generator", `
version: 1
tables:
  events:
    rows: 10
    columns:
      user_id: {generator: zipff, max: 10}
`, `seed: data.yaml: table "events": column "user_id": unknown generator "zipff" (did you mean "zipf"?)`},
		{"unknown generator, nothing close", `
version: 1
tables: {events: {rows: 1, columns: {id: {generator: autoincrement}}}}
`, `column "id": unknown generator "autoincrement" (one of sequence, uniform, normal, zipf, category, text, timestamp, uuid, reference, correlated, histogram)`},
		{"column not a mapping", `
version: 1
tables: {events: {rows: 1, columns: {id: sequence}}}
`, `column "id": a column needs a mapping such as ` + "`{generator: sequence}`" + `, not "sequence"`},
		{"missing generator", `
version: 1
tables: {events: {rows: 1, columns: {id: {start: 5}}}}
`, `column "id": missing ` + "`generator:`"},
		{"empty", ``, `seed: data.yaml: empty data spec`},
		{"not yaml", "version: 1\ntables: [\n", `seed: data.yaml: line 2: did not find expected node content`},
		{"missing version", `tables: {events: {rows: 1, columns: {id: {generator: sequence}}}}`,
			"seed: data.yaml: missing `version: 1` at the top of the data spec"},
		{"future version", `
version: 2
tables: {events: {rows: 1, columns: {id: {generator: sequence}}}}
`, "seed: data.yaml: version 2 is not supported: this plangate reads `version: 1`"},
		{"misspelt top-level key", `
version: 1
tabels: {}
`, `seed: data.yaml: unknown setting "tabels" in the data spec (did you mean "tables"?)`},
		{"no tables", `version: 1`, "seed: data.yaml: no tables: add a `tables:` mapping"},
		{"misspelt table key", `
version: 1
tables: {events: {row: 1, columns: {}}}
`, `seed: data.yaml: table "events": unknown setting "row" in a table (did you mean "rows"?)`},
		{"missing rows", `
version: 1
tables: {events: {columns: {}}}
`, "table \"events\": missing `rows:`"},
		{"negative rows", `
version: 1
tables: {events: {rows: -5, columns: {}}}
`, `table "events": rows must be a whole number from 0 up, not -5`},
		{"rows not a number", `
version: 1
tables: {events: {rows: lots, columns: {}}}
`, `table "events": rows must be a number, not "lots"`},
		{"misspelt column setting", `
version: 1
tables: {events: {rows: 1, columns: {id: {generator: uuid, null_fracton: 0.1}}}}
`, `column "id": unknown setting "null_fracton" in a column (did you mean "null_fraction"?)`},
		{"setting of another generator", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: uniform, min: 1, max: 9, skew: 2}}}}
`, `column "n": generator "uniform" does not take "skew": it takes min, max, sorted`},
		{"setting given twice", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: uniform, min: 1, min: 2, max: 9}}}}
`, `column "n": "min" is given twice`},
		{"uniform without max", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: uniform, min: 1}}}}
`, `column "n": uniform needs min and max`},
		{"min above max", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: uniform, min: 10, max: 1}}}}
`, `column "n": min 10 is above max 1`},
		{"min not a number", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: uniform, min: ten, max: 20}}}}
`, `column "n": min must be a number, not "ten"`},
		{"null fraction above 1", `
version: 1
tables: {events: {rows: 1, columns: {id: {generator: uuid, null_fraction: 1.5}}}}
`, `column "id": null_fraction must be between 0 and 1, not 1.5`},
		{"null fraction not a number", `
version: 1
tables: {events: {rows: 1, columns: {id: {generator: uuid, null_fraction: half}}}}
`, "column \"id\": line 3: cannot unmarshal !!str `half` into float64"},
		{"normal without stddev", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: normal, mean: 3}}}}
`, `column "n": normal needs mean and stddev`},
		{"zipf without max", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: zipf}}}}
`, `column "n": zipf needs max`},
		{"zipf skew 0", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: zipf, max: 10, skew: 0}}}}
`, `column "n": skew must be above 0`},
		{"zipf over fractions", `
version: 1
tables: {events: {rows: 1, columns: {n: {generator: zipf, min: 0.5, max: 10}}}}
`, `column "n": zipf draws whole numbers`},
		{"category without values", `
version: 1
tables: {events: {rows: 1, columns: {kind: {generator: category}}}}
`, `column "kind": category needs values`},
		{"category weight not positive", `
version: 1
tables: {events: {rows: 1, columns: {kind: {generator: category, values: {a: 3, b: 0}}}}}
`, `column "kind": weight of "b" must be a number above 0, not "0"`},
		{"category values empty", `
version: 1
tables: {events: {rows: 1, columns: {kind: {generator: category, values: []}}}}
`, `column "kind": values is empty`},
		{"text lengths reversed", `
version: 1
tables: {events: {rows: 1, columns: {s: {generator: text, min_length: 9, max_length: 3}}}}
`, `column "s": length range 9..3 is not valid`},
		{"unique text too short", `
version: 1
tables: {events: {rows: 1, columns: {s: {generator: text, unique: true, min_length: 5, max_length: 20}}}}
`, `column "s": unique text needs min_length of at least 13`},
		{"text skew without distinct", `
version: 1
tables: {events: {rows: 1, columns: {s: {generator: text, skew: 1}}}}
`, `column "s": skew needs distinct`},
		{"timestamp not a time", `
version: 1
tables: {events: {rows: 1, columns: {at: {generator: timestamp, min: yesterday, max: 2024-01-01}}}}
`, `column "at": min "yesterday" is not a time`},
		{"timestamp reversed", `
version: 1
tables: {events: {rows: 1, columns: {at: {generator: timestamp, min: 2024-01-01, max: 2023-01-01}}}}
`, `column "at": min 2024-01-01 is after max 2023-01-01`},
		{"reference without table", `
version: 1
tables: {events: {rows: 1, columns: {user_id: {generator: reference}}}}
`, `column "user_id": reference needs table`},
		{"reference to a near miss", `
version: 1
tables:
  users: {rows: 1, columns: {id: {generator: sequence}}}
  events: {rows: 1, columns: {user_id: {generator: reference, table: user}}}
`, `table "events": column "user_id": references table "user", which the spec does not fill (did you mean "users"?)`},
		{"reference to a column near miss", `
version: 1
tables:
  users: {rows: 1, columns: {uid: {generator: sequence}}}
  events: {rows: 1, columns: {user_id: {generator: reference, table: users, column: iud}}}
`, `column "user_id": references column "iud" of table "users", which the spec does not fill (did you mean "uid"?)`},
		{"correlated with an unknown column", `
version: 1
tables: {events: {rows: 1, columns: {
  created_at: {generator: timestamp, min: 2024-01-01, max: 2024-02-01},
  updated_at: {generator: correlated, with: creatd_at, min_offset: 1h}}}}
`, `column "updated_at": follows column "creatd_at", which the spec does not fill in this table (did you mean "created_at"?)`},
		{"correlated loop", `
version: 1
tables: {events: {rows: 1, columns: {
  a: {generator: correlated, with: b, min_offset: 1},
  b: {generator: correlated, with: a, min_offset: 1}}}}
`, `column "a": correlated columns follow each other in a loop`},
		{"correlated with itself", `
version: 1
tables: {events: {rows: 1, columns: {a: {generator: correlated, with: a, min_offset: 1}}}}
`, `column "a": a column cannot follow itself`},
		{"correlated with nothing to do", `
version: 1
tables: {events: {rows: 1, columns: {a: {generator: uuid}, b: {generator: correlated, with: a}}}}
`, `column "b": correlated needs min_offset/max_offset`},
		{"correlated with both", `
version: 1
tables: {events: {rows: 1, columns: {a: {generator: uuid}, b: {generator: correlated, with: a, values: [x], min_offset: 1}}}}
`, `column "b": give either values`},
		{"correlated bad duration", `
version: 1
tables: {events: {rows: 1, columns: {a: {generator: sequence}, b: {generator: correlated, with: a, min_offset: 3 weeks}}}}
`, `column "b": min_offset: "3 weeks" is neither a number nor a duration such as 90s, 36h or 7d`},
		{"correlated strength above 1", `
version: 1
tables: {events: {rows: 1, columns: {a: {generator: sequence}, b: {generator: correlated, with: a, values: [x, y], strength: 2}}}}
`, `column "b": strength must be between 0 (independent) and 1 (a function of "a")`},
		{"sequence step 0", `
version: 1
tables: {events: {rows: 1, columns: {id: {generator: sequence, step: 0}}}}
`, `column "id": step must not be 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSpec("data.yaml", []byte(tt.spec))
			if err == nil {
				t.Fatalf("accepted; want %s", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "seed: data.yaml: ") {
				t.Errorf("%q does not start by naming the file", err)
			}
			var se *SpecError
			if !errors.As(err, &se) {
				t.Errorf("%T is not a *SpecError", err)
			}
		})
	}
}

func TestParseSpec_Valid(t *testing.T) {
	spec, err := ParseSpec("data.yaml", []byte(`
version: 1
seed: 42
tables:
  users:
    rows: 1_000
    columns:
      id: {generator: sequence, start: 100, step: 2}
      kind: {generator: category, values: [a, b]}
      at: {generator: timestamp, min: "2024-01-01 10:00:00", max: 2024-02-01T00:00:00Z}
      next_at: {generator: correlated, with: at, max_offset: 2d}
  app.events:
    rows: 0
    columns:
      user_id: {generator: reference, table: users, skew: 1.2, null_fraction: 0.5}
      label: {generator: correlated, with: user_id, values: {x: 1, y: 3}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if spec.Seed != 42 || len(spec.Tables) != 2 || spec.Tables[0].Name != "users" || spec.Tables[1].Name != "app.events" {
		t.Fatalf("spec = %+v", spec)
	}
	users := spec.Tables[0]
	if users.Rows != 1000 || len(users.Columns) != 4 || users.Columns[0].Name != "id" || users.Columns[3].Name != "next_at" {
		t.Errorf("users = %+v", users)
	}
	if p := users.Columns[0].p; p.start != 100 || p.step != 2 {
		t.Errorf("sequence params = %+v", p)
	}
	if p := users.Columns[3].p; p.minOffset.n != 0 || p.maxOffset.n != 2*86400e6 || !p.maxOffset.isTime {
		t.Errorf("offsets = %+v, %+v", p.minOffset, p.maxOffset)
	}
	ev := spec.Tables[1].Columns
	if ev[0].NullFraction != 0.5 || ev[0].p.skew != 1.2 || len(ev[1].p.choices) != 2 || ev[1].p.choices[1].weight != 3 || ev[1].p.strength != 1 {
		t.Errorf("events = %+v", ev)
	}
}

func TestLoadSpec(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.yaml")
	if err := os.WriteFile(path, []byte("version: 1\ntables: {t: {rows: 1, columns: {id: {generator: sequence}}}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := LoadSpec(path)
	if err != nil || spec.Path != path {
		t.Fatalf("LoadSpec = %+v, %v", spec, err)
	}
	if _, err := LoadSpec(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzParseSpec(f *testing.F) {
	f.Add([]byte(shopSpec))
	f.Add([]byte("version: 1\ntables: {t: {rows: 1, columns: {a: {generator: correlated, with: b, min_offset: 1}, b: {generator: correlated, with: a, min_offset: 2}}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := ParseSpec("fuzz.yaml", data)
		if err == nil && spec == nil {
			t.Fatal("nil spec without error")
		}
	})
}
