// Package githubtest is an in-memory GitHub for tests: the part of the REST
// API that plangate's sticky pull request comment uses, with pagination,
// authentication and GitHub's limit on comment length.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// MaxBody is the longest comment body the server accepts, in UTF-16 code
// units, as GitHub's 65,536-character limit.
const MaxBody = 65536

// Comment is a stored comment, in GitHub's wire format. It is written out
// here rather than taken from package github, so that a wrong key in the
// client's type fails the tests instead of agreeing with itself.
type Comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
	User    struct {
		Login string `json:"login"`
	} `json:"user"`
}

// Request is one request the server answered.
type Request struct {
	Method, Path string
}

// Config sets up a Server.
type Config struct {
	// Token is the only token accepted; requests without
	// "Authorization: Bearer <Token>" get 401.
	Token string
	// MaxPerPage caps the page size below GitHub's 100, so that tests
	// reach the second page with few comments; 0 means 100.
	MaxPerPage int
	// Prefix is the API's path under the server, e.g. "/api/v3" as on
	// GitHub Enterprise Server; empty for github.com's layout.
	Prefix string
	// Login is the author of the comments the API creates; default
	// "github-actions[bot]".
	Login string
}

// Server is an in-memory GitHub API. Its URL (plus Config.Prefix) is the
// base URL a client takes.
type Server struct {
	*httptest.Server
	cfg Config

	mu       sync.Mutex
	threads  map[string][]*Comment // "owner/repo#number" -> comments, oldest first
	where    map[int64]string      // comment id -> thread key
	nextID   int64
	requests []Request
	failures map[string]failure // method -> injected failure
}

type failure struct {
	status  int
	message string
}

// NewServer starts a server that t closes when it ends.
func NewServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.MaxPerPage <= 0 || cfg.MaxPerPage > 100 {
		cfg.MaxPerPage = 100
	}
	if cfg.Login == "" {
		cfg.Login = "github-actions[bot]"
	}
	s := &Server{cfg: cfg, threads: map[string][]*Comment{}, where: map[int64]string{}, nextID: 1000, failures: map[string]failure{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", s.list)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", s.create)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.update)
	var h http.Handler = mux
	if cfg.Prefix != "" {
		h = http.StripPrefix(cfg.Prefix, mux)
	}
	s.Server = httptest.NewServer(s.authenticate(h))
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the URL to give a client: the server's URL plus Config.Prefix.
func (s *Server) BaseURL() string { return s.URL + s.cfg.Prefix }

// AddComment stores a comment on repo ("owner/name") #number as if login
// had written it, and returns its id.
func (s *Server) AddComment(repo string, number int, login, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(thread(repo, number), login, body).ID
}

// Comments returns the comments of repo #number, oldest first.
func (s *Server) Comments(repo string, number int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.threads[thread(repo, number)] {
		out = append(out, *c)
	}
	return out
}

// Requests returns the requests answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Fail makes every later request with method fail with status and message,
// as GitHub reports errors; status 0 stops failing.
func (s *Server) Fail(method string, status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		delete(s.failures, method)
		return
	}
	s.failures[method] = failure{status, message}
}

func thread(repo string, number int) string { return repo + "#" + strconv.Itoa(number) }

func (s *Server) add(key, login, body string) *Comment {
	s.nextID++
	c := &Comment{ID: s.nextID, Body: body}
	c.User.Login = login
	c.HTMLURL = fmt.Sprintf("https://github.com/%s#issuecomment-%d", strings.Replace(key, "#", "/pull/", 1), c.ID)
	s.threads[key] = append(s.threads[key], c)
	s.where[c.ID] = key
	return c
}

func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path})
		fail, failing := s.failures[r.Method]
		s.mu.Unlock()
		switch {
		case r.Header.Get("Authorization") != "Bearer "+s.cfg.Token:
			writeError(w, http.StatusUnauthorized, "Bad credentials")
		case r.Header.Get("User-Agent") == "":
			writeError(w, http.StatusForbidden, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header")
		case failing:
			writeError(w, fail.status, fail.message)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// positiveParam reads a positive integer query parameter, def when absent;
// anything else is answered with 422 and false.
func positiveParam(w http.ResponseWriter, r *http.Request, name string, def int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		writeError(w, http.StatusUnprocessableEntity, name+" must be a positive integer")
		return 0, false
	}
	return n, true
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	key, ok := threadKey(w, r)
	if !ok {
		return
	}
	perPage, ok := positiveParam(w, r, "per_page", 30) // GitHub's default
	if !ok {
		return
	}
	perPage = min(perPage, s.cfg.MaxPerPage)
	page, ok := positiveParam(w, r, "page", 1)
	if !ok {
		return
	}

	s.mu.Lock()
	all := s.threads[key]
	lo, hi := min((page-1)*perPage, len(all)), min(page*perPage, len(all))
	out := make([]Comment, 0, hi-lo)
	for _, c := range all[lo:hi] {
		out = append(out, *c)
	}
	last := max((len(all)+perPage-1)/perPage, 1)
	s.mu.Unlock()

	link := func(p int, rel string) string {
		u := *r.URL
		q := u.Query()
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(perPage))
		u.RawQuery = q.Encode()
		return fmt.Sprintf("<%s%s%s>; rel=%q", s.URL, s.cfg.Prefix, u.String(), rel)
	}
	// GitHub lists prev and first before next and last; a client must find
	// "next" wherever it is.
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"), link(1, "first"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	key, ok := threadKey(w, r)
	if !ok {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	c := *s.add(key, s.cfg.Login, body)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) update(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key, found := s.where[id]
	if !found || !strings.HasPrefix(key, r.PathValue("owner")+"/"+r.PathValue("repo")+"#") {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	for _, c := range s.threads[key] {
		if c.ID == id {
			c.Body = body
			writeJSON(w, http.StatusOK, *c)
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

func threadKey(w http.ResponseWriter, r *http.Request) (string, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n < 1 {
		writeError(w, http.StatusNotFound, "Not Found")
		return "", false
	}
	return thread(r.PathValue("owner")+"/"+r.PathValue("repo"), n), true
}

func readBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var in struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Body == nil {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request. \"body\" wasn't supplied.")
		return "", false
	}
	n := 0
	for _, c := range *in.Body {
		n++
		if c >= 0x10000 {
			n++
		}
	}
	if n > MaxBody {
		writeError(w, http.StatusUnprocessableEntity, "Validation Failed: body is too long (maximum is 65536 characters)")
		return "", false
	}
	return *in.Body, true
}

func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, map[string]string{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest",
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
