package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/plangate/plangate/internal/capture"
	"github.com/plangate/plangate/internal/pgserver"
)

// djangoStatements sorts what the Django example's tests send by the
// request that sent it: the resources list's page and the paginator's count,
// the detail, and the author lookups of an N+1.
type djangoStatements struct {
	total, listPages, listCounts, details, authorLookups int
	// countSQL is one of the paginator's counts, to show in messages.
	countSQL string
}

var (
	djangoListPage = regexp.MustCompile(`^SELECT "resources_learningresource"\."id", .* FROM "resources_learningresource" .*ORDER BY "resources_learningresource"\."created_at" DESC, "resources_learningresource"\."id" DESC LIMIT \d+`)
	djangoCount    = regexp.MustCompile(`^SELECT COUNT\(\*\)( AS "__count" FROM "resources_learningresource" | FROM \(SELECT .* FROM "resources_learningresource" .*\) subquery$)`)
	djangoDetail   = regexp.MustCompile(`^SELECT "resources_learningresource"\."id", .* INNER JOIN "resources_author" .* WHERE \("resources_learningresource"\."status" = 'published' AND "resources_learningresource"\."id" = \d+\) LIMIT 21$`)
	djangoAuthor   = regexp.MustCompile(`^SELECT "resources_author"\."id", .* FROM "resources_author" WHERE "resources_author"\."id" = \d+ LIMIT 21$`)
)

// sortDjangoStatements loads a capture or log as check reads it, fails the
// test on a statement that carries a name, and counts its statements by
// request.
func sortDjangoStatements(t *testing.T, path string) djangoStatements {
	t.Helper()
	sts, err := capture.Load([]string{path})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var s djangoStatements
	for _, st := range sts {
		if st.Name != "" || strings.Contains(st.SQL, "/*") || strings.Contains(st.SQL, "-- name") {
			t.Errorf("%s: the application sends no names, yet %s has name %q:\n%s", path, st.Source, st.Name, st.SQL)
		}
		n := max(st.Count, 1)
		s.total += n
		sql := strings.TrimSpace(st.SQL)
		switch {
		case djangoListPage.MatchString(sql):
			s.listPages += n
		case djangoCount.MatchString(sql):
			s.listCounts += n
			s.countSQL = sql
		case djangoDetail.MatchString(sql):
			s.details += n
		case djangoAuthor.MatchString(sql):
			s.authorLookups += n
		}
	}
	return s
}

// TestDjangoDRF_SuiteCapturedUnnamed runs the Django REST Framework example's
// own test suite, release by release, against a server that logs every
// statement and then through plangate's recording proxy. Nothing names the
// SQL: both captures must hold the list's pages, the paginator's counts and
// the detail as Django sent them, and each release's change.
func TestDjangoDRF_SuiteCapturedUnnamed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the example application's test suite")
	}
	requirePython(t, "the Django example", []string{"django", "rest_framework", "psycopg2"},
		"python3-django", "python3-djangorestframework", "python3-psycopg2")
	ctx := context.Background()
	srv, logDir := loggingServer(t, pgserver.Settings{"lc_messages": "C"})
	if err := pgserver.CreateDatabase(ctx, srv, "learnhub", ""); err != nil {
		t.Fatal(err)
	}
	app, err := filepath.Abs(filepath.Join("..", "..", "examples", "django-drf"))
	if err != nil {
		t.Fatal(err)
	}
	serverLog := filepath.Join(logDir, "server.csv")
	out := t.TempDir()
	t.Chdir(app) // capture runs the suite in the working directory
	t.Setenv("PYTHONDONTWRITEBYTECODE", "1")

	for release := 1; release <= 4; release++ {
		t.Run(fmt.Sprintf("release-%d", release), func(t *testing.T) {
			t.Setenv("APP_RELEASE", strconv.Itoa(release))

			// The suite straight against the server; its statements are what
			// the server logs from here on.
			offset := fileSize(t, serverLog)
			suite := exec.Command(debianPython, "manage.py", "test", "--noinput")
			suite.Env = append(os.Environ(), "DATABASE_URL="+srv.ConnString("learnhub"))
			output, err := suite.CombinedOutput()
			if err != nil || !suitePassed(output) {
				t.Fatalf("the example's test suite failed against the server (%v):\n%s", err, output)
			}
			logged := filepath.Join(out, fmt.Sprintf("release-%d.csv", release))
			waitForLog(t, serverLog, offset, logged, regexp.MustCompile(regexp.QuoteMeta(`DROP DATABASE ""test_learnhub""`)))

			// The same suite through the recording proxy.
			proxied := filepath.Join(out, fmt.Sprintf("release-%d.jsonl", release))
			var stdout, stderr bytes.Buffer
			code := Main(ctx, []string{"capture", "--upstream", srv.ConnString("learnhub"), "--out", proxied,
				"--", debianPython, "manage.py", "test", "--noinput"}, strings.NewReader(""), &stdout, &stderr)
			if code != 0 || !suitePassed(stderr.Bytes()) {
				t.Fatalf("the example's test suite failed through the proxy (exit %d):\n%s\n%s", code, stdout.String(), stderr.String())
			}

			viaLog, viaProxy := sortDjangoStatements(t, logged), sortDjangoStatements(t, proxied)
			t.Logf("server log: %+v", viaLog)
			t.Logf("proxy:      %+v", viaProxy)
			for _, c := range []struct {
				source string
				got    djangoStatements
			}{{"server log", viaLog}, {"proxy", viaProxy}} {
				checkDjangoRelease(t, c.source, release, c.got)
			}
			// The proxy leaves out the pings (SELECT 1) the log keeps, so
			// only the requests' statements are compared.
			if viaLog.listPages != viaProxy.listPages || viaLog.listCounts != viaProxy.listCounts ||
				viaLog.details != viaProxy.details || viaLog.authorLookups != viaProxy.authorLookups {
				t.Errorf("the server log and the proxy saw different requests:\nlog   %+v\nproxy %+v", viaLog, viaProxy)
			}
		})
	}
}

// checkDjangoRelease checks that one capture of the example's suite holds
// the list, count and detail statements, shaped as the release makes them.
func checkDjangoRelease(t *testing.T, source string, release int, got djangoStatements) {
	t.Helper()
	// The suite asks for four list pages (pages 1 to 3, and one author's);
	// each is a count and a page. Two of its requests read a detail.
	if got.listPages != 4 || got.listCounts != 4 || got.details < 2 {
		t.Errorf("%s: want 4 list pages, 4 paginator counts and at least 2 details, got %+v", source, got)
	}
	switch release {
	case 2:
		if !strings.Contains(got.countSQL, `LEFT OUTER JOIN "resources_view"`) || !strings.Contains(got.countSQL, "GROUP BY") {
			t.Errorf("%s: release 2's count should aggregate views inside the paginator's subquery:\n%s", source, got.countSQL)
		}
	case 3:
		if !strings.Contains(got.countSQL, "LENGTH(") || !strings.HasSuffix(got.countSQL, ") subquery") {
			t.Errorf("%s: release 3's count should wrap the title lengths in a subquery:\n%s", source, got.countSQL)
		}
	case 4:
		// An author lookup per row of every page: 20 + 20 + 5 + 18.
		if got.authorLookups != 63 {
			t.Errorf("%s: release 4 should look up each listed resource's author on its own (63 lookups), got %d", source, got.authorLookups)
		}
	}
	if release != 4 && got.authorLookups != 0 {
		t.Errorf("%s: release %d joins the authors in, yet looked %d up on their own", source, release, got.authorLookups)
	}
}

// suitePassed reports whether Django's test runner says the suite ran and
// passed.
func suitePassed(output []byte) bool {
	return regexp.MustCompile(`(?m)^Ran [1-9]\d* tests? in .*\n\s*\nOK$`).Match(output)
}

// TestDjangoDRF_CapturesCatchRegressions checks each captured release of the
// Django example, as the server logged it and as the proxy recorded it,
// against the baseline recorded from release 1's log: release 2 aggregates
// views into the paginated list (its count explodes), release 3 adds a
// title length (harmless), release 4 loads each row's author on its own
// (an N+1: 2 statements per page become 22).
func TestDjangoDRF_CapturesCatchRegressions(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds the example's data")
	}
	checkReleases(t, filepath.Join("..", "..", "examples", "django-drf"), releaseChecks(func(release int, ext string) string {
		return fmt.Sprintf("release-%d.%s", release, ext)
	}, "log", "jsonl"))
}
