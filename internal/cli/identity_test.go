package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/config"
	"github.com/plangate/plangate/internal/gate"
	"github.com/plangate/plangate/internal/run"
)

// edit is one statement as two releases of an application send it.
type edit struct {
	name          string
	before, after string
}

// ormEdits are the edits ORMs make between releases; each must keep its
// query's identity, by name or by pairing.
var ormEdits = []edit{
	{"column added",
		`SELECT a.id, a.title FROM articles a WHERE a.status = 'published' ORDER BY a.id LIMIT 20`,
		`SELECT a.id, a.title, LENGTH(a.title) AS title_length FROM articles a WHERE a.status = 'published' ORDER BY a.id LIMIT 20`},
	{"join and aggregation added",
		`SELECT p.id, p.name FROM products p WHERE p.shop_id = 3 ORDER BY p.name LIMIT 20`,
		`SELECT p.id, p.name, COUNT(r.id) AS reviews FROM products p LEFT OUTER JOIN reviews r ON r.product_id = p.id WHERE p.shop_id = 3 GROUP BY p.id ORDER BY p.name LIMIT 20`},
	{"count wrapped around a subquery",
		`SELECT COUNT(*) AS "__count" FROM resources WHERE resources.published`,
		`SELECT COUNT(*) FROM (SELECT resources.id AS col1, COUNT(views.id) AS view_count FROM resources LEFT OUTER JOIN views ON views.resource_id = resources.id WHERE resources.published GROUP BY 1) subquery`},
	{"constants, comments and whitespace",
		`SELECT id, body FROM comments WHERE article_id = 7`,
		`/*controller='comments',action='index'*/ SELECT id,   body  FROM comments WHERE article_id = 9`},
	{"alias renamed",
		`SELECT t0.id, t0.name FROM authors t0 WHERE t0.id = 4`,
		`SELECT "author"."id", "author"."name" FROM "authors" AS "author" WHERE "author"."id" = 4`},
	{"filter added",
		`SELECT o.id, o.total, o.created_at FROM orders o WHERE o.customer_id = 5 ORDER BY o.created_at DESC LIMIT 10`,
		`SELECT o.id, o.total, o.created_at FROM orders o WHERE o.customer_id = 5 AND o.status = 'open' ORDER BY o.created_at DESC LIMIT 10`},
}

// unrelated are statements that one release drops and the other adds: they
// must never be paired with each other or with an edited query.
var unrelated = edit{"unrelated", `SELECT name FROM tags WHERE id = 3`, `SELECT id FROM coupons WHERE code = 'x'`}

// TestIdentity_SurvivesEditsInEverySource writes two releases' statements
// in every capture format, without names, loads them as check does, and
// compares them: every edited query keeps its name or is paired with its
// former self, and the unrelated ones are never paired.
func TestIdentity_SurvivesEditsInEverySource(t *testing.T) {
	sources := []struct {
		name  string
		ext   string
		write func(sqls []string) string
	}{
		{"stderr log", ".log", func(sqls []string) string {
			var b strings.Builder
			for i, sql := range sqls {
				fmt.Fprintf(&b, "2026-11-23 10:00:0%d.123 UTC [4%d] app=TestList LOG:  statement: %s\n", i%10, i, sql)
			}
			return b.String()
		}},
		{"csvlog", ".csv", func(sqls []string) string {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			for i, sql := range sqls {
				row := []string{"2026-11-23 10:00:00.123 UTC", "app", "shop", fmt.Sprint(40 + i), "[local]", "6b041eb7.1699", fmt.Sprint(i + 1),
					"SELECT", "2026-11-23 10:00:00 UTC", "3/0", "0", "LOG", "00000", "duration: 0.100 ms  statement: " + sql,
					"", "", "", "", "", "", "", "", "TestList", "client backend", "", "0"}
				_ = w.Write(row)
			}
			w.Flush()
			return b.String()
		}},
		{"jsonlog", ".json", func(sqls []string) string {
			var b strings.Builder
			for i, sql := range sqls {
				line, _ := json.Marshal(map[string]any{"timestamp": "2026-11-23 10:00:00.123 UTC", "pid": 40 + i, "error_severity": "LOG",
					"message": "statement: " + sql, "application_name": "TestList", "backend_type": "client backend"})
				b.Write(append(line, '\n'))
			}
			return b.String()
		}},
		{"jsonl without names", ".jsonl", func(sqls []string) string {
			var b strings.Builder
			b.WriteString(`{"plangate_capture": 1}` + "\n")
			for _, sql := range sqls {
				line, _ := json.Marshal(map[string]any{"sql": sql, "group": "TestList"})
				b.Write(append(line, '\n'))
			}
			return b.String()
		}},
		{"pg_stat_statements", ".csv", func(sqls []string) string {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			_ = w.Write([]string{"queryid", "calls", "query"})
			for i, sql := range sqls {
				_ = w.Write([]string{fmt.Sprint(1000 + i), "3", sql})
			}
			w.Flush()
			return b.String()
		}},
	}
	for _, src := range sources {
		t.Run(src.name, func(t *testing.T) {
			dir := t.TempDir()
			var before, after []string
			for _, e := range append(ormEdits, unrelated) {
				before, after = append(before, e.before), append(after, e.after)
			}
			base := gateQueriesOf(t, filepath.Join(dir, "before"+src.ext), src.write(before))
			cur := gateQueriesOf(t, filepath.Join(dir, "after"+src.ext), src.write(after))
			rep := gate.Compare(base, cur, gate.DefaultRules())

			nameOf := func(qs []gate.Query, sql string) string {
				t.Helper()
				for _, q := range qs {
					if strings.Contains(sql, q.Relation+" ") || strings.Contains(sql, q.Relation+"\"") {
						return q.Name
					}
				}
				t.Fatalf("no query for %s", sql)
				return ""
			}
			results := map[string]gate.Result{}
			for _, res := range rep.Queries {
				results[res.Name] = res
			}
			for _, e := range ormEdits {
				was, is := nameOf(base, e.before), nameOf(cur, e.after)
				res, ok := results[is]
				switch {
				case !ok:
					t.Errorf("%s: %q is not in the report", e.name, is)
				case was == is && res.Match == nil:
				case res.Match != nil && res.Match.Baseline == was:
				default:
					t.Errorf("%s: %q (was %q) is %s, match %+v", e.name, is, was, res.Status, res.Match)
				}
			}
			for _, name := range []string{"tags select where id", "coupons select where code"} {
				res, ok := results[name]
				if !ok {
					t.Errorf("%s: not in the report", name)
					continue
				}
				if res.Match != nil || (res.Status != gate.StatusNew && res.Status != gate.StatusRemoved) {
					t.Errorf("%s was paired: %s %+v", name, res.Status, res.Match)
				}
			}
			for _, res := range rep.Queries {
				if res.Match != nil && res.Match.Baseline == "coupons select where code" || res.Match != nil && res.Match.Baseline == "tags select where id" {
					t.Errorf("%s was paired with an unrelated query", res.Name)
				}
			}
		})
	}
}

// gateQueriesOf loads a capture as check does and returns its queries as
// the gate compares them, without replaying them.
func gateQueriesOf(t *testing.T, path, content string) []gate.Query {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Queries = []string{path}
	cfg.Replay.GenericPlans = false
	queries, err := run.LoadQueries(cfg)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	r := &run.Result{}
	for _, q := range queries {
		if q.Explicit {
			t.Errorf("%s: %q has an explicit name", path, q.Name)
		}
		r.Measurements = append(r.Measurements, run.Measurement{Query: q})
	}
	return run.Current(r, cfg)
}
