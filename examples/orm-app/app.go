package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/uptrace/bun"
)

// Version selects which release of the application runs. Each later one
// carries a regression plangate exists to catch.
type Version int

// The releases of the application.
const (
	// V1 lists articles with their authors, joined in, and counts them for
	// the paginator.
	V1 Version = 1
	// V2 adds each article's comment count to the list: an aggregation in
	// the list query, which the paginator's count then wraps, aggregating
	// every published article's comments to count pages.
	V2 Version = 2
	// V3 loads each listed article's author with a query of its own: an N+1.
	V3 Version = 3
)

// VersionFromEnv reads the release to run from ORM_APP_VERSION: 1 (the
// default), 2 or 3.
func VersionFromEnv() (Version, error) {
	s := os.Getenv("ORM_APP_VERSION")
	if s == "" {
		return V1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < int(V1) || n > int(V3) {
		return 0, fmt.Errorf("ORM_APP_VERSION=%q: want 1, 2 or 3", s)
	}
	return Version(n), nil
}

// Author writes articles.
type Author struct {
	bun.BaseModel `bun:"table:authors,alias:author"`

	ID   int64  `bun:"id,pk" json:"id"`
	Name string `bun:"name" json:"name"`
}

// Article is a blog post.
type Article struct {
	bun.BaseModel `bun:"table:articles,alias:article"`

	ID          int64     `bun:"id,pk" json:"id"`
	AuthorID    int64     `bun:"author_id" json:"-"`
	Author      *Author   `bun:"rel:belongs-to,join:author_id=id" json:"author"`
	Title       string    `bun:"title" json:"title"`
	Status      string    `bun:"status" json:"status"`
	PublishedAt time.Time `bun:"published_at" json:"published_at"`
	// CommentCount is listed from V2 on.
	CommentCount *int64 `bun:"comment_count,scanonly" json:"comment_count,omitempty"`
}

// Page is one page of a paginated list, as REST frameworks return it.
type Page[T any] struct {
	Count   int `json:"count"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
	Results []T `json:"results"`
}

// Server is the blog API.
type Server struct {
	db      *bun.DB
	version Version
}

// NewServer returns the API of the given release over db.
func NewServer(db *bun.DB, version Version) *Server {
	return &Server{db: db, version: version}
}

// Handler routes the API's endpoints:
//
//	GET /articles?status=published&page=1&per_page=20
//	GET /articles/{id}
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /articles", s.listArticles)
	mux.HandleFunc("GET /articles/{id}", s.getArticle)
	return mux
}

// maxPerPage bounds a page, as paginators do.
const maxPerPage = 100

func (s *Server) listArticles(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status == "" {
		status = "published"
	}
	page, err1 := intParam(q.Get("page"), 1)
	perPage, err2 := intParam(q.Get("per_page"), 20)
	if err := errors.Join(err1, err2); err != nil || page < 1 || perPage < 1 || perPage > maxPerPage {
		http.Error(w, fmt.Sprintf("page must be 1 or more and per_page 1 to %d", maxPerPage), http.StatusBadRequest)
		return
	}
	res, err := s.ListArticles(r.Context(), status, page, perPage)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, res)
}

func (s *Server) getArticle(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var a Article
	err = s.db.NewSelect().Model(&a).
		Column("article.id", "article.author_id", "article.title", "article.status", "article.published_at").
		Relation("Author", func(q *bun.SelectQuery) *bun.SelectQuery { return q.Column("id", "name") }).
		Where("article.id = ?", id).
		Scan(r.Context())
	switch {
	case errors.Is(err, sql.ErrNoRows):
		http.Error(w, "not found", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, a)
}

// ListArticles returns one page of the articles in a status, newest first,
// with the total count for the paginator.
func (s *Server) ListArticles(ctx context.Context, status string, page, perPage int) (Page[Article], error) {
	res := Page[Article]{Page: page, PerPage: perPage, Results: []Article{}}
	base := func() *bun.SelectQuery {
		q := s.db.NewSelect().Model(&res.Results).
			Column("article.id", "article.author_id", "article.title", "article.status", "article.published_at").
			Where("article.status = ?", status)
		if s.version != V3 {
			q = q.Relation("Author", func(q *bun.SelectQuery) *bun.SelectQuery { return q.Column("id", "name") })
		}
		if s.version == V2 {
			q = q.ColumnExpr("count(comment.id) AS comment_count").
				Join("LEFT JOIN comments AS comment ON comment.article_id = article.id").
				Group("article.id", "author.id")
		}
		return q
	}
	var err error
	res.Count, err = paginate(ctx, s.db, "articles", base, page, perPage)
	if err != nil {
		return res, err
	}
	if s.version == V3 {
		for i := range res.Results {
			a := &res.Results[i]
			a.Author = new(Author)
			err := s.db.NewSelect().Model(a.Author).
				Column("id", "name").
				Where("id = ?", a.AuthorID).
				Scan(ctx)
			if err != nil {
				return res, fmt.Errorf("author of article %d: %w", a.ID, err)
			}
		}
	}
	return res, nil
}

// paginate counts the rows of the query base builds and scans one page of
// them into its model, as REST frameworks' paginators do: the count wraps
// the list query, without its ordering, in SELECT count(*) FROM (...).
func paginate(ctx context.Context, db bun.IDB, name string, base func() *bun.SelectQuery, page, perPage int) (int, error) {
	var total int
	err := db.NewSelect().
		ColumnExpr("count(*)").
		TableExpr("(?) AS paginated", base()).
		Scan(ctx, &total)
	if err != nil {
		return 0, fmt.Errorf("%s: count: %w", name, err)
	}
	err = base().
		Order("article.published_at DESC", "article.id DESC").
		Limit(int64(perPage)).
		Offset(int64((page - 1) * perPage)).
		Scan(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: list: %w", name, err)
	}
	return total, nil
}

func intParam(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
