package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/pgserver"
)

// sqlalchemyStatements sorts what the SQLAlchemy example's tests send by
// what sent it: the product list's pages and the paginator's counts, the
// product detail with its latest reviews, the review a test adds, and the
// per-product review loads of an N+1.
type sqlalchemyStatements struct {
	total, listPages, listCounts, details, latestReviews, reviewInserts, reviewLoads int
	// countSQL and listSQL are one of the paginator's counts and one of the
	// list's pages, to check a release's change and show in messages.
	countSQL, listSQL string
}

// The statements as SQLAlchemy 1.4's ORM writes them, with psycopg2's
// client-side interpolation of the bound values.
var (
	sqlalchemyListPage = regexp.MustCompile(`(?s)^SELECT products\.id AS products_id, .*FROM products .*WHERE products\.status = 'active' .*ORDER BY products\.created_at DESC, products\.id DESC\s+LIMIT 20 OFFSET \d+$`)
	sqlalchemyCount    = regexp.MustCompile(`(?s)^SELECT count\(\*\) AS count_1\s+FROM \(SELECT products\.id AS products_id, .*FROM products .*WHERE products\.status = 'active' .*\) AS anon_1$`)
	sqlalchemyDetail   = regexp.MustCompile(`(?s)^SELECT products\.id AS products_id, .*FROM products LEFT OUTER JOIN users AS users_1 ON users_1\.id = products\.seller_id\s+WHERE products\.id = \d+$`)
	sqlalchemyLatest   = regexp.MustCompile(`(?s)^SELECT reviews\.id AS reviews_id, .*FROM reviews LEFT OUTER JOIN users AS users_1 ON users_1\.id = reviews\.author_id\s+WHERE reviews\.product_id = \d+ ORDER BY reviews\.created_at DESC, reviews\.id DESC\s+LIMIT 5$`)
	sqlalchemyInsert   = regexp.MustCompile(`(?s)^INSERT INTO reviews \(product_id, author_id, rating, body\) VALUES \(.*\) RETURNING reviews\.id$`)
	sqlalchemyLazy     = regexp.MustCompile(`(?s)^SELECT reviews\.id AS reviews_id, .*FROM reviews\s+WHERE \d+ = reviews\.product_id ORDER BY reviews\.created_at$`)
)

// sortSQLAlchemyStatements loads a capture or log as check reads it, fails
// the test on a statement that carries a name, and counts its statements by
// what sent them.
func sortSQLAlchemyStatements(t *testing.T, path string) sqlalchemyStatements {
	t.Helper()
	sts, err := capture.Load([]string{path})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var s sqlalchemyStatements
	for _, st := range sts {
		if st.Name != "" || strings.Contains(st.SQL, "/*") || strings.Contains(st.SQL, "--") {
			t.Errorf("%s: the application sends no names, yet %s has name %q:\n%s", path, st.Source, st.Name, st.SQL)
		}
		n := max(st.Count, 1)
		s.total += n
		sql := strings.TrimSpace(st.SQL)
		switch {
		case sqlalchemyListPage.MatchString(sql):
			s.listPages += n
			s.listSQL = sql
		case sqlalchemyCount.MatchString(sql):
			s.listCounts += n
			s.countSQL = sql
		case sqlalchemyDetail.MatchString(sql):
			s.details += n
		case sqlalchemyLatest.MatchString(sql):
			s.latestReviews += n
		case sqlalchemyInsert.MatchString(sql):
			s.reviewInserts += n
		case sqlalchemyLazy.MatchString(sql):
			s.reviewLoads += n
		}
	}
	return s
}

// TestSQLAlchemyApp_SuiteCapturedUnnamed runs the SQLAlchemy example's own
// test suite (python3 -m unittest), release by release, through plangate's
// recording proxy to a server that logs every statement (stderr format, the
// Debian default prefix). Nothing names the SQL and nothing sets
// application_name: both captures must hold the list's pages, the
// paginator's counts and the detail as SQLAlchemy sent them, and each
// release's change.
func TestSQLAlchemyApp_SuiteCapturedUnnamed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the example application's test suite")
	}
	requirePython(t, "the SQLAlchemy example", []string{"sqlalchemy", "psycopg2"}, "python3-sqlalchemy", "python3-psycopg2")
	ctx := context.Background()
	srv, logDir := loggingServer(t, pgserver.Settings{
		"log_destination": "stderr",
		"log_line_prefix": "%m [%p] %q%u@%d ",
		"lc_messages":     "C",
	})
	if err := pgserver.CreateDatabase(ctx, srv, "shop", ""); err != nil {
		t.Fatal(err)
	}
	app, err := filepath.Abs(filepath.Join("..", "..", "examples", "sqlalchemy-app"))
	if err != nil {
		t.Fatal(err)
	}
	serverLog := filepath.Join(logDir, "server.log")
	out := t.TempDir()
	t.Chdir(app) // unittest discovers the tests in the working directory
	t.Setenv("PYTHONDONTWRITEBYTECODE", "1")

	for release := 1; release <= 4; release++ {
		t.Run(fmt.Sprintf("release-%d", release), func(t *testing.T) {
			t.Setenv("APP_RELEASE", strconv.Itoa(release))
			offset := fileSize(t, serverLog)
			proxied := filepath.Join(out, fmt.Sprintf("v%d.jsonl", release))
			var stdout, stderr bytes.Buffer
			code := Main(ctx, []string{"capture", "--upstream", srv.ConnString("shop"), "--out", proxied,
				"--", debianPython, "-m", "unittest"}, strings.NewReader(""), &stdout, &stderr)
			if code != 0 || !sqlalchemySuitePassed(stderr.Bytes()) {
				t.Fatalf("the example's test suite failed (exit %d):\n%s\n%s", code, stdout.String(), stderr.String())
			}
			// The suite's last statement drops its schema.
			logged := filepath.Join(out, fmt.Sprintf("v%d.log", release))
			waitForLog(t, serverLog, offset, logged, regexp.MustCompile(`statement: DROP SCHEMA shop_test_\d+ CASCADE`))

			viaLog, viaProxy := sortSQLAlchemyStatements(t, logged), sortSQLAlchemyStatements(t, proxied)
			checkSQLAlchemyRelease(t, "server log", release, viaLog)
			checkSQLAlchemyRelease(t, "proxy", release, viaProxy)
			// Only the counts from here on.
			viaLog.countSQL, viaLog.listSQL, viaProxy.countSQL, viaProxy.listSQL = "", "", "", ""
			t.Logf("server log: %+v", viaLog)
			t.Logf("proxy:      %+v", viaProxy)
			if viaLog != viaProxy {
				t.Errorf("the server log and the proxy saw different statements:\nlog   %+v\nproxy %+v", viaLog, viaProxy)
			}
		})
	}
}

// checkSQLAlchemyRelease checks that one capture of the example's suite holds
// the list, count and detail statements, shaped as the release makes them.
func checkSQLAlchemyRelease(t *testing.T, source string, release int, got sqlalchemyStatements) {
	t.Helper()
	// The suite reads list pages 1 and 2, each a count and a page, and
	// three details (product 7, a missing product, product 3 after adding a
	// review to it), each a product and its latest reviews but the missing
	// one's.
	if got.listPages != 2 || got.listCounts != 2 || got.details != 3 || got.latestReviews != 2 || got.reviewInserts != 1 {
		t.Errorf("%s: want 2 list pages, 2 paginator counts, 3 details, 2 latest-review reads and 1 review added, got %+v", source, got)
	}
	switch release {
	case 2:
		if !strings.Contains(got.countSQL, "LEFT OUTER JOIN reviews ON products.id = reviews.product_id") ||
			!strings.Contains(got.countSQL, "GROUP BY products.id") {
			t.Errorf("%s: release 2's count should aggregate reviews inside the paginator's subquery:\n%s", source, got.countSQL)
		}
	case 3:
		if !strings.Contains(got.listSQL, "length(products.title) AS title_length") {
			t.Errorf("%s: release 3's page should select the title's length:\n%s", source, got.listSQL)
		}
	case 4:
		// A load of each listed product's reviews: 20 on each page.
		if got.reviewLoads != 40 {
			t.Errorf("%s: release 4 should load each listed product's reviews on their own (40 loads), got %d", source, got.reviewLoads)
		}
	}
	if release != 4 && got.reviewLoads != 0 {
		t.Errorf("%s: release %d reads no product's reviews while listing, yet loaded them %d times", source, release, got.reviewLoads)
	}
}

// sqlalchemySuitePassed reports whether unittest says the suite ran and
// passed, with no test skipped.
func sqlalchemySuitePassed(output []byte) bool {
	return regexp.MustCompile(`(?m)^Ran [1-9]\d* tests? in .*\n\s*\nOK$`).Match(output)
}

// TestSQLAlchemyApp_CapturesCatchRegressions checks each captured release of
// the SQLAlchemy example, as the server logged it (v*.csv) and as the proxy
// recorded it (v*.jsonl), against the baseline recorded from release 1's
// log: release 2 aggregates reviews into the paginated list (the count's cost
// explodes), release 3 adds the title's length (harmless), release 4 loads
// each listed product's reviews on their own (an N+1: 2 statements per page
// become 22).
func TestSQLAlchemyApp_CapturesCatchRegressions(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the example's data")
	}
	checkReleases(t, filepath.Join("..", "..", "examples", "sqlalchemy-app"), releaseChecks(func(release int, ext string) string {
		return fmt.Sprintf("v%d.%s", release, ext)
	}, "csv", "jsonl"))
}
