package replay

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// seeded returns a fresh database with a small table and a serial column.
func seeded(t *testing.T) string {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, sql := range []string{
		"CREATE TABLE items (id serial PRIMARY KEY, kind int NOT NULL, note text)",
		"INSERT INTO items (kind, note) SELECT g % 10, 'note ' || g FROM generate_series(1, 20000) g",
		"VACUUM ANALYZE items",
	} {
		if _, err := conn.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	return dsn
}

func newReplayer(t *testing.T, dsn string, opts ...Option) *Replayer {
	t.Helper()
	r, err := New(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// snapshot is a checksum of everything a replay must not change.
func snapshot(t *testing.T, dsn string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var sum string
	err = conn.QueryRow(context.Background(), `
		SELECT md5(string_agg(i::text, ',' ORDER BY id)) || ' ' || (SELECT last_value FROM items_id_seq)
		       || ' ' || pg_relation_size('items')
		FROM items i`).Scan(&sum)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func planRoot(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc []map[string]any
	if err := json.Unmarshal(data, &doc); err != nil || len(doc) != 1 {
		t.Fatalf("not an EXPLAIN document (%v): %s", err, data)
	}
	return doc[0]
}

func TestRun_SelectWithParams(t *testing.T) {
	dsn := seeded(t)
	r := newReplayer(t, dsn)
	res, err := r.Run(context.Background(), Query{
		SQL:      "SELECT * FROM items WHERE kind = $1 AND note <> $2",
		Params:   []capture.Param{{Value: "3"}, {Value: "it's"}},
		ReadOnly: true,
	})
	if err != nil || res.Err != nil {
		t.Fatalf("err=%v stmt=%v", err, res.Err)
	}
	doc := planRoot(t, res.Explain)
	plan := doc["Plan"].(map[string]any)
	if got := plan["Actual Rows"].(float64); got != 2000 {
		t.Errorf("actual rows = %v, want 2000", got)
	}
	if _, ok := doc["Execution Time"]; !ok {
		t.Error("no Execution Time: not an ANALYZE plan")
	}
	if r.BlockSize() != 8192 {
		t.Errorf("block size %d", r.BlockSize())
	}
}

func TestRun_WritesLeaveDataUnchanged(t *testing.T) {
	dsn := seeded(t)
	before := snapshot(t, dsn)
	r := newReplayer(t, dsn)
	for _, sql := range []string{
		"UPDATE items SET note = note || '!' WHERE kind < 5",
		"INSERT INTO items (kind, note) SELECT kind, note FROM items WHERE kind = 1",
		"DELETE FROM items WHERE kind = 2",
		"WITH d AS (DELETE FROM items WHERE kind = 3 RETURNING *) SELECT count(*) FROM d",
	} {
		res, err := r.Run(context.Background(), Query{SQL: sql})
		if err != nil || res.Err != nil {
			t.Fatalf("%s: err=%v stmt=%v", sql, err, res.Err)
		}
		if _, ok := planRoot(t, res.Explain)["Plan"].(map[string]any)["WAL Bytes"]; !ok {
			t.Errorf("%s: no WAL Bytes in plan", sql)
		}
	}
	if after := snapshot(t, dsn); after != before {
		t.Errorf("data changed by replays: %s -> %s", before, after)
	}
}

// TestRun_InsertIntoATableNeverWritten replays an INSERT into an empty
// table whose sequence was never called, as a Django test run's bookkeeping
// sends: the sequence is put back to its start.
func TestRun_InsertIntoATableNeverWritten(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "CREATE TABLE migrations (id bigserial PRIMARY KEY, app text)"); err != nil {
		t.Fatal(err)
	}
	r := newReplayer(t, dsn)
	res, err := r.Run(context.Background(), Query{SQL: "INSERT INTO migrations (app) VALUES ('resources') RETURNING id"})
	if err != nil || res.Err != nil {
		t.Fatalf("err=%v stmt=%v", err, res.Err)
	}
	var next int64
	if err := conn.QueryRow(context.Background(), "SELECT nextval('migrations_id_seq')").Scan(&next); err != nil || next != 1 {
		t.Errorf("next id after the replay = %d (%v), want 1", next, err)
	}
}

func TestRun_ReadOnlyRefusesWrites(t *testing.T) {
	dsn := seeded(t)
	before := snapshot(t, dsn)
	r := newReplayer(t, dsn)
	res, err := r.Run(context.Background(), Query{SQL: "DELETE FROM items", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err == nil || res.Err.Code != "25006" {
		t.Errorf("want read-only transaction error, got %+v", res.Err)
	}
	if snapshot(t, dsn) != before {
		t.Error("data changed")
	}
}

func TestRun_FailuresAreResults(t *testing.T) {
	dsn := seeded(t)
	tests := []struct {
		name     string
		opts     []Option
		sql      string
		kind     ErrorKind
		estimate bool
	}{
		{"timeout", []Option{WithTimeout(200 * time.Millisecond)}, "SELECT count(*) FROM items a, items b, items c", ErrorTimeout, true},
		{"temp limit", []Option{WithTempFileLimit("1MB"), WithSettings(map[string]string{"work_mem": "64kB"})},
			"SELECT * FROM items a JOIN items b USING (kind) ORDER BY a.note LIMIT 1", ErrorTempLimit, true},
		{"error", nil, "SELECT 1 / (kind - kind) FROM items", ErrorStatement, true},
		{"unknown table", nil, "SELECT * FROM nosuch", ErrorStatement, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReplayer(t, dsn, tt.opts...)
			res, err := r.Run(context.Background(), Query{SQL: tt.sql, ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if res.Err == nil || res.Err.Kind != tt.kind {
				t.Fatalf("want %s, got %+v", tt.kind, res.Err)
			}
			if (res.Estimate != nil) != tt.estimate {
				t.Errorf("estimate present = %v, want %v", res.Estimate != nil, tt.estimate)
			}
			if res.Estimate != nil {
				if _, ok := planRoot(t, res.Estimate)["Execution Time"]; ok {
					t.Error("estimate plan was analyzed")
				}
			}
			// The session is still usable afterwards.
			if res, err := r.Run(context.Background(), Query{SQL: "SELECT 1", ReadOnly: true}); err != nil || res.Err != nil {
				t.Errorf("session broken after failure: %v %v", err, res.Err)
			}
		})
	}
}

func TestNew_PinsSettings(t *testing.T) {
	r := newReplayer(t, seeded(t), WithSettings(map[string]string{"work_mem": "12MB"}))
	res, err := r.Run(context.Background(), Query{SQL: "SELECT 1", ReadOnly: true})
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	settings, _ := planRoot(t, res.Explain)["Settings"].(map[string]any)
	if settings["work_mem"] != "12MB" || settings["jit"] != "off" {
		t.Errorf("settings in plan = %v", settings)
	}
	if !strings.Contains(string(res.Explain), "Planning Time") {
		t.Error("no planning time")
	}
}

func TestRun_GenericPlan(t *testing.T) {
	dsn := seeded(t)
	r := newReplayer(t, dsn)
	ctx := context.Background()
	q := Query{SQL: "SELECT * FROM items WHERE kind = $1 AND id > $2", Params: []capture.Param{{Value: "3"}, {Value: "10"}}, ReadOnly: true, Generic: true}
	res, err := r.Run(ctx, q)
	if err != nil || res.Err != nil {
		t.Fatalf("err=%v stmt=%v", err, res.Err)
	}
	if got := planRoot(t, res.Explain)["Plan"].(map[string]any)["Actual Rows"].(float64); got != 1999 {
		t.Errorf("actual rows = %v, want 1999", got)
	}
	// A generic plan cannot see the values: its Filter keeps the $n.
	if !strings.Contains(string(res.Explain), "$1") {
		t.Errorf("not a generic plan: %s", res.Explain)
	}

	// Without values, only an estimate can be had.
	est, err := r.Estimate(ctx, Query{SQL: "SELECT * FROM items WHERE kind = $1", ReadOnly: true, Generic: true})
	if err != nil || est.Err != nil || est.Estimate == nil {
		t.Fatalf("estimate: err=%v stmt=%v", err, est.Err)
	}

	// A failing generic replay leaves no prepared statement behind.
	res, err = r.Run(ctx, Query{SQL: "SELECT * FROM nosuch WHERE id = $1", Params: []capture.Param{{Value: "1"}}, ReadOnly: true, Generic: true})
	if err != nil || res.Err == nil {
		t.Fatalf("want a statement error, got err=%v res=%+v", err, res.Err)
	}
	if again, err := r.Run(ctx, q); err != nil || again.Err != nil {
		t.Fatalf("second generic replay: err=%v stmt=%v", err, again.Err)
	}
}

// TestRun_ErrorsKeepNoValues: a parameter value or a constant the server
// quotes in its error message is not in the Error.
func TestRun_ErrorsKeepNoValues(t *testing.T) {
	ctx := context.Background()
	dsn := seeded(t)
	conn := admin(t, dsn)
	mustExec(t, conn, "CREATE UNIQUE INDEX items_note ON items (note)")
	r := newReplayer(t, dsn)
	tests := []struct {
		name string
		q    Query
	}{
		{"parameter", Query{SQL: "SELECT $1::int", Params: []capture.Param{{Value: "s3cr3t-param"}}, ReadOnly: true}},
		{"generic plan", Query{SQL: "SELECT $1::int", Params: []capture.Param{{Value: "s3cr3t-param"}}, ReadOnly: true, Generic: true}},
		{"constant", Query{SQL: "SELECT 's3cr3t-constant'::int", ReadOnly: true}},
		{"detail", Query{SQL: "INSERT INTO items (kind, note) VALUES (1, $1), (1, $1)", Params: []capture.Param{{Value: "s3cr3t-param"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Run(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if res.Err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(res.Err.Message, "s3cr3t") || !strings.Contains(res.Err.Message, `"?"`) && !strings.Contains(res.Err.Message, "=(?)") {
				t.Errorf("message %q", res.Err.Message)
			}
		})
	}
}

// TestRun_WriteWALIndependentOfCheckpoints replays one write on a table
// loaded just now, then again after the server checkpointed: the WAL it
// writes is the same both times, as it is for a server seeded just now and
// one started from a cached copy.
func TestRun_WriteWALIndependentOfCheckpoints(t *testing.T) {
	dsn := seeded(t)
	r := newReplayer(t, dsn)
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var wal [2]float64
	for i := range wal {
		if i == 1 {
			if _, err := conn.Exec(context.Background(), "CHECKPOINT"); err != nil {
				t.Fatal(err)
			}
		}
		res, err := r.Run(context.Background(), Query{SQL: "UPDATE items SET note = note || '!' WHERE kind = 4"})
		if err != nil || res.Err != nil {
			t.Fatalf("err=%v stmt=%v", err, res.Err)
		}
		wal[i] = planRoot(t, res.Explain)["Plan"].(map[string]any)["WAL Bytes"].(float64)
	}
	if wal[0] != wal[1] || wal[0] == 0 {
		t.Errorf("WAL bytes %v, then %v after a checkpoint: want the same, non-zero", wal[0], wal[1])
	}
}
