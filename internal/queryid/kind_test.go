package queryid

import "testing"

func TestIdentify_WritableCTEsWrite(t *testing.T) {
	tests := []struct {
		name, sql string
		kind      Kind
	}{
		{"delete", "WITH d AS (DELETE FROM items WHERE kind = 3 RETURNING *) SELECT count(*) FROM d", KindDelete},
		{"update", "WITH u AS (UPDATE items SET note = 'x' RETURNING id) SELECT id FROM u", KindUpdate},
		{"insert", "WITH i AS (INSERT INTO items (kind) VALUES (1) RETURNING id) SELECT * FROM i", KindInsert},
		{"after a reading CTE", "WITH r AS (SELECT 1), d AS (DELETE FROM items RETURNING 1) SELECT * FROM r, d", KindDelete},
		{"union", "WITH d AS (DELETE FROM items RETURNING id) SELECT id FROM d UNION ALL SELECT 1", KindDelete},
		{"reading CTEs only", "WITH r AS (SELECT * FROM items) SELECT count(*) FROM r", KindSelect},
		{"recursive", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3) SELECT * FROM n", KindSelect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Identify(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if id.Kind != tt.kind || id.Kind.Writes() != tt.kind.Writes() {
				t.Errorf("kind = %s (writes %v), want %s", id.Kind, id.Kind.Writes(), tt.kind)
			}
		})
	}
}

func TestIdentify_RowLocksInSubqueries(t *testing.T) {
	tests := []struct {
		name, sql string
		locks     bool
	}{
		{"top level", "SELECT * FROM items FOR UPDATE", true},
		{"from subquery", "SELECT * FROM (SELECT * FROM items FOR UPDATE) s", true},
		{"sublink", "SELECT * FROM items WHERE id IN (SELECT id FROM items FOR SHARE)", true},
		{"cte", "WITH l AS (SELECT * FROM items FOR NO KEY UPDATE) SELECT * FROM l", true},
		{"union branch", "SELECT id FROM items UNION ALL SELECT id FROM (SELECT id FROM orders FOR UPDATE) o", true},
		{"lateral", "SELECT * FROM items, LATERAL (SELECT * FROM orders WHERE orders.id = items.id FOR KEY SHARE) o", true},
		{"no locks", "SELECT * FROM (SELECT * FROM items) s WHERE id IN (SELECT id FROM orders)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Identify(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if id.Kind != KindSelect || id.SelectForUpdate != tt.locks {
				t.Errorf("kind = %s, SelectForUpdate = %v, want select, %v", id.Kind, id.SelectForUpdate, tt.locks)
			}
		})
	}
}
