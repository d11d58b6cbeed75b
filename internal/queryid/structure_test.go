package queryid

import "testing"

func TestStructure_Name(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want string
	}{
		{"django count", `SELECT COUNT(*) AS "__count" FROM "resources_learningresource" WHERE "resources_learningresource"."published"`,
			"resources_learningresource count where published"},
		{"django count around an aggregation",
			`SELECT COUNT(*) FROM (SELECT "resources_learningresource"."id" AS Col1, COUNT("resources_view"."id") AS "view_count" FROM "resources_learningresource" LEFT OUTER JOIN "resources_view" ON ("resources_learningresource"."id" = "resources_view"."resource_id") WHERE "resources_learningresource"."published" GROUP BY 1) subquery`,
			"resources_learningresource count where published"},
		{"django list page", `SELECT "r"."id", "r"."title" FROM "resources_learningresource" "r" WHERE "r"."published" ORDER BY "r"."id" ASC LIMIT 20 OFFSET 20`,
			"resources_learningresource list by id where published, offset 20"},
		{"sqlalchemy count", `SELECT count(*) AS count_1 FROM (SELECT products.id AS products_id FROM products WHERE products.shop_id = 3) AS anon_1`,
			"products count where shop_id"},
		{"rails count", `SELECT COUNT(*) FROM (SELECT 1 AS one FROM "articles" WHERE "articles"."status" = $1 LIMIT $2) subquery_for_count`,
			"articles count where status"},
		{"descending order", `SELECT * FROM articles WHERE status = 'published' ORDER BY published_at DESC, id DESC LIMIT 20`,
			"articles list by published_at desc, id desc where status"},
		{"lookup", `SELECT * FROM authors WHERE id IN (1, 2, 3)`, "authors select where id"},
		{"get with a limit", `SELECT * FROM authors WHERE id = 4 LIMIT 21`, "authors select where id"},
		{"cte", `WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '1 day') SELECT count(*) FROM recent`,
			"orders count where created_at"},
		{"union", `SELECT id FROM a WHERE x = 1 UNION ALL SELECT id FROM b`, "a select where x"},
		{"schema", `SELECT * FROM sales.orders o JOIN public.customers c ON c.id = o.customer_id WHERE o.total > 5`,
			"sales.orders select where total"},
		{"insert", `INSERT INTO comments (article_id, body) VALUES (1, 'x') RETURNING id`, "comments insert"},
		{"update", `UPDATE accounts SET balance = balance + 1 WHERE id = 3`, "accounts update where id"},
		{"delete", `DELETE FROM sessions WHERE expires_at < now()`, "sessions delete where expires_at"},
		{"no table", `SELECT 1`, ""},
		{"a function and no table", `select pg_catalog.version()`, "select version()"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := Identify(tt.sql)
			if err != nil {
				t.Fatal(err)
			}
			if got := id.Structure.Name(); got != tt.want {
				t.Errorf("Name() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStructure_SurvivesORMEdits holds pairs of statements that a release
// of an application changes into one another: each pair keeps its key.
func TestStructure_SurvivesORMEdits(t *testing.T) {
	tests := []struct{ name, before, after string }{
		{"column added", `SELECT a.id, a.title FROM articles a WHERE a.status = 'x' ORDER BY a.id LIMIT 20`,
			`SELECT a.id, a.title, LENGTH(a.title) AS title_len FROM articles a WHERE a.status = 'x' ORDER BY a.id LIMIT 20`},
		{"join and aggregation added", `SELECT a.id FROM articles a WHERE a.status = 'x' ORDER BY a.id LIMIT 20`,
			`SELECT a.id, COUNT(c.id) AS n FROM articles a LEFT OUTER JOIN comments c ON c.article_id = a.id WHERE a.status = 'x' GROUP BY a.id ORDER BY a.id LIMIT 20`},
		{"count wrapped around a subquery", `SELECT COUNT(*) AS "__count" FROM articles WHERE status = 'x'`,
			`SELECT COUNT(*) FROM (SELECT articles.id AS col1, COUNT(comments.id) AS n FROM articles LEFT OUTER JOIN comments ON comments.article_id = articles.id WHERE articles.status = 'x' GROUP BY 1) subquery`},
		{"constants, comments, whitespace", `SELECT * FROM t WHERE id = 1`, "/* controller='t' */ select *\n  from t\twhere id = 99"},
		{"alias renamed", `SELECT t0.id FROM articles t0 WHERE t0.status = $1 ORDER BY t0.id LIMIT 20`,
			`SELECT "article"."id" FROM "articles" AS "article" WHERE "article"."status" = 'x' ORDER BY "article"."id" LIMIT 20`},
		{"IN list for equality", `SELECT * FROM authors WHERE id IN (1, 2, 3)`, `SELECT * FROM authors WHERE authors.id = 7`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustIdentify(t, tt.before), mustIdentify(t, tt.after)
			if a.Structure.Key() != b.Structure.Key() {
				t.Errorf("keys differ:\n  %s\n  %s", a.Structure.Key(), b.Structure.Key())
			}
		})
	}
}

// TestStructure_TellsApart holds pairs a person would call different
// queries: each pair has different keys.
func TestStructure_TellsApart(t *testing.T) {
	tests := []struct{ name, a, b string }{
		{"relations", `SELECT * FROM articles WHERE id = 1`, `SELECT * FROM authors WHERE id = 1`},
		{"count and list", `SELECT count(*) FROM (SELECT id FROM articles WHERE status = 'x') s`,
			`SELECT id FROM articles WHERE status = 'x' ORDER BY id LIMIT 20`},
		{"filters", `SELECT * FROM articles WHERE author_id = 1`, `SELECT * FROM articles WHERE status = 'x'`},
		{"ordering", `SELECT * FROM articles ORDER BY id LIMIT 20`, `SELECT * FROM articles ORDER BY published_at DESC LIMIT 20`},
		{"pages", `SELECT * FROM articles ORDER BY id LIMIT 20`, `SELECT * FROM articles ORDER BY id LIMIT 20 OFFSET 20`},
		{"kinds", `SELECT * FROM articles WHERE id = 1`, `DELETE FROM articles WHERE id = 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mustIdentify(t, tt.a), mustIdentify(t, tt.b)
			if a.Structure.Key() == b.Structure.Key() {
				t.Errorf("same key %s", a.Structure.Key())
			}
		})
	}
}

func mustIdentify(t *testing.T, sql string) Identity {
	t.Helper()
	id, err := Identify(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return id
}
