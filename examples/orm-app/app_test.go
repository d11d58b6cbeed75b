package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/uptrace/bun/driver/pgdriver"
)

// The fixture: 5 authors, 60 articles (every sixth a draft), article i with
// i%4 comments, article i published i hours into 2024.
const (
	fixtureAuthors  = 5
	fixtureArticles = 60
)

func fixtureAuthor(article int64) Author {
	id := article%fixtureAuthors + 1
	return Author{ID: id, Name: fmt.Sprintf("author %d", id)}
}

func fixtureStatus(article int64) string {
	if article%6 == 0 {
		return "draft"
	}
	return "published"
}

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// fixtureCopy returns the COPY data of each table.
func fixtureCopy() map[string]string {
	var authors, articles, comments strings.Builder
	for i := int64(1); i <= fixtureAuthors; i++ {
		fmt.Fprintf(&authors, "%d\tauthor %d\tauthor%d@example.com\t%s\n", i, i, i, epoch.Format(time.RFC3339))
	}
	comment := 0
	for i := int64(1); i <= fixtureArticles; i++ {
		fmt.Fprintf(&articles, "%d\t%d\tarticle %d\t%s\t%s\tbody of article %d\n",
			i, fixtureAuthor(i).ID, i, fixtureStatus(i), epoch.Add(time.Duration(i)*time.Hour).Format(time.RFC3339), i)
		for j := int64(0); j < i%4; j++ {
			comment++
			fmt.Fprintf(&comments, "%d\t%d\t%d\tcomment %d\t%s\n", comment, i, (i+j)%fixtureAuthors+1, comment, epoch.Format(time.RFC3339))
		}
	}
	return map[string]string{
		"authors (id, name, email, created_at)":                       authors.String(),
		"articles (id, author_id, title, status, published_at, body)": articles.String(),
		"comments (id, article_id, author_id, body, created_at)":      comments.String(),
	}
}

// newTestServer returns the API of the release ORM_APP_VERSION names, over
// a schema of its own holding the fixture, dropped when the test ends. Its
// connections carry the test's name as application_name, which a capture
// records as the statements' group.
func newTestServer(t *testing.T) *Server {
	t.Helper()
	version, err := VersionFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin, err := OpenDB("orm-app test setup", nil)
	if errors.Is(err, errNoDatabase) {
		t.Skip("no database: set DATABASE_URL (or PGHOST) to run these tests against PostgreSQL")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("orm_app_test_%d_%d", os.Getpid(), rand.Uint32())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Error(err)
		}
	})

	params := map[string]any{"search_path": schema}
	setup, err := OpenDB("orm-app test setup", params)
	if err != nil {
		t.Fatal(err)
	}
	defer setup.Close()
	ddl, err := os.ReadFile("schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.ExecContext(ctx, string(ddl)); err != nil {
		t.Fatalf("schema.sql: %v", err)
	}
	// COPY, which a capture leaves out: loading the fixture is not the
	// application's work.
	conn, err := setup.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	data := fixtureCopy()
	for _, table := range []string{"authors (id, name, email, created_at)", "articles (id, author_id, title, status, published_at, body)", "comments (id, article_id, author_id, body, created_at)"} {
		if _, err := pgdriver.CopyFrom(ctx, conn, strings.NewReader(data[table]), "COPY "+table+" FROM STDIN"); err != nil {
			t.Fatalf("COPY %s: %v", table, err)
		}
	}

	db, err := OpenDB(t.Name(), params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return NewServer(db, version)
}

func get(t *testing.T, s *Server, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// wantArticles lists the fixture's articles in a status, newest first, as
// the given release shows them.
func wantArticles(version Version, status string) []Article {
	var out []Article
	for i := int64(fixtureArticles); i >= 1; i-- {
		if fixtureStatus(i) != status {
			continue
		}
		author := fixtureAuthor(i)
		a := Article{ID: i, AuthorID: author.ID, Author: &author, Title: fmt.Sprintf("article %d", i), Status: status,
			PublishedAt: epoch.Add(time.Duration(i) * time.Hour)}
		if version == V2 {
			n := i % 4
			a.CommentCount = &n
		}
		out = append(out, a)
	}
	return out
}

func TestListArticles(t *testing.T) {
	s := newTestServer(t)
	published, drafts := wantArticles(s.version, "published"), wantArticles(s.version, "draft")
	tests := []struct {
		name string
		path string
		want Page[Article]
	}{
		{"first page", "/articles", Page[Article]{Count: 50, Page: 1, PerPage: 20, Results: published[:20]}},
		{"last page", "/articles?page=3", Page[Article]{Count: 50, Page: 3, PerPage: 20, Results: published[40:]}},
		{"past the end", "/articles?page=9", Page[Article]{Count: 50, Page: 9, PerPage: 20, Results: []Article{}}},
		{"page size", "/articles?page=2&per_page=7", Page[Article]{Count: 50, Page: 2, PerPage: 7, Results: published[7:14]}},
		{"drafts", "/articles?status=draft&per_page=100", Page[Article]{Count: 10, Page: 1, PerPage: 100, Results: drafts}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, s, tt.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got Page[Article]
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			// AuthorID is not in the JSON.
			want := tt.want
			want.Results = make([]Article, len(tt.want.Results))
			copy(want.Results, tt.want.Results)
			for i := range want.Results {
				want.Results[i].AuthorID = 0
			}
			if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("GET %s (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestListArticles_BadRequest(t *testing.T) {
	s := newTestServer(t)
	for _, path := range []string{"/articles?page=0", "/articles?page=x", "/articles?per_page=101", "/articles?per_page=0"} {
		t.Run(path, func(t *testing.T) {
			if rec := get(t, s, path); rec.Code != http.StatusBadRequest {
				t.Errorf("GET %s: status %d, want 400", path, rec.Code)
			}
		})
	}
}

func TestGetArticle(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name     string
		path     string
		wantCode int
		wantBody string
	}{
		{"published", "/articles/7", http.StatusOK, `"title":"article 7","status":"published"`},
		{"draft", "/articles/12", http.StatusOK, `"author":{"id":3,"name":"author 3"},"title":"article 12","status":"draft"`},
		{"missing", "/articles/999", http.StatusNotFound, "not found"},
		{"not a number", "/articles/x", http.StatusNotFound, "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := get(t, s, tt.path)
			if rec.Code != tt.wantCode || !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("GET %s: %d %s; want %d with %s", tt.path, rec.Code, rec.Body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestVersionFromEnv(t *testing.T) {
	tests := []struct {
		env     string
		want    Version
		wantErr bool
	}{
		{"", V1, false},
		{"1", V1, false},
		{"2", V2, false},
		{"3", V3, false},
		{"4", 0, true},
		{"two", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv("ORM_APP_VERSION", tt.env)
			got, err := VersionFromEnv()
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("VersionFromEnv() = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
