package queryid

import (
	"slices"
	"testing"
)

func TestIdentify_PaginationCount(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want bool
	}{
		{"django subquery", `SELECT COUNT(*) FROM (SELECT "c"."id" AS "col1", COUNT("o"."id") AS "n" FROM "c" LEFT JOIN "o" ON "c"."id" = "o"."cid" GROUP BY 1) subquery`, true},
		{"rails count_tmp", `SELECT COUNT(*) FROM (SELECT 1 AS one FROM "orders" LIMIT 1000) subquery_for_count`, true},
		{"count(1) wrapper", `SELECT count(1) FROM (SELECT id FROM t) AS count_tmp`, true},
		{"django __count", `SELECT COUNT(*) AS "__count" FROM "orders" WHERE "orders"."status" = 'x'`, true},
		{"plain count", `SELECT count(*) FROM orders`, false},
		{"count with other columns", `SELECT count(*), max(id) FROM (SELECT id FROM t) s`, false},
		{"list query", `SELECT * FROM orders LIMIT 25`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Identify(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if id.PaginationCount != tt.want {
				t.Errorf("PaginationCount = %v, want %v", id.PaginationCount, tt.want)
			}
		})
	}
}

func TestIdentify_Tables(t *testing.T) {
	id, err := Identify(`SELECT * FROM orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.id IN (SELECT order_id FROM items)`)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"orders", "public.customers", "items"} {
		if !slices.Contains(id.Tables, want) {
			t.Errorf("tables %v lack %s", id.Tables, want)
		}
	}
}

func TestNamesFromComments(t *testing.T) {
	id, err := Identify("-- name: ListOrders :many\nSELECT * FROM orders /*controller='orders',action='index',route='%2Fapi%2Forders%2F',db_driver='django.db'*/")
	if err != nil {
		t.Fatal(err)
	}
	if got := ExplicitName(id.Comments); got != "ListOrders" {
		t.Errorf("ExplicitName = %q", got)
	}
	tags := Tags(id.Comments)
	if tags["route"] != "/api/orders/" || tags["controller"] != "orders" || tags["db_driver"] != "django.db" {
		t.Errorf("Tags = %v", tags)
	}
	if got := TagName(tags); got != "/api/orders/" {
		t.Errorf("TagName = %q", got)
	}
	if got := TagName(map[string]string{"controller": "orders", "action": "index"}); got != "orders#index" {
		t.Errorf("TagName = %q", got)
	}
}
