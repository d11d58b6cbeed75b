package github_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/plangate/plangate/internal/github"
	"github.com/plangate/plangate/internal/github/githubtest"
)

const (
	token  = "ghs_test"
	marker = "<!-- plangate-report -->"
)

func newClient(t *testing.T, srv *githubtest.Server) *github.Client {
	t.Helper()
	c, err := github.NewClient(token, github.WithBaseURL(srv.BaseURL()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var repo = github.Repo{Owner: "acme", Name: "shop"}

func TestUpsertComment(t *testing.T) {
	tests := []struct {
		name string
		// before are the comments already on the pull request.
		before []string
		// perPage caps the server's page size.
		perPage int
		prefix  string
		want    github.Upsert
		// wantBodies are the comments after the upsert.
		wantBodies []string
	}{
		{
			name:       "none yet",
			before:     []string{"LGTM", "please add a test"},
			want:       github.Created,
			wantBodies: []string{"LGTM", "please add a test", marker + "\nnew"},
		},
		{
			name:       "updated in place",
			before:     []string{"LGTM", marker + "\nold", "thanks"},
			want:       github.Updated,
			wantBodies: []string{"LGTM", marker + "\nnew", "thanks"},
		},
		{
			name:       "marker on the third page",
			before:     []string{"a", "b", "c", "d", marker + "\nold", "e"},
			perPage:    2,
			want:       github.Updated,
			wantBodies: []string{"a", "b", "c", "d", marker + "\nnew", "e"},
		},
		{
			name:       "many pages without the marker",
			before:     []string{"a", "b", "c", "d", "e"},
			perPage:    2,
			want:       github.Created,
			wantBodies: []string{"a", "b", "c", "d", "e", marker + "\nnew"},
		},
		{
			name:       "first of two marked comments",
			before:     []string{marker + "\nold 1", marker + "\nold 2"},
			want:       github.Updated,
			wantBodies: []string{marker + "\nnew", marker + "\nold 2"},
		},
		{
			name:       "same body",
			before:     []string{marker + "\nnew"},
			want:       github.Unchanged,
			wantBodies: []string{marker + "\nnew"},
		},
		{
			name:       "enterprise server path",
			before:     []string{marker + "\nold"},
			perPage:    1,
			prefix:     "/api/v3",
			want:       github.Updated,
			wantBodies: []string{marker + "\nnew"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: token, MaxPerPage: tt.perPage, Prefix: tt.prefix})
			for _, b := range tt.before {
				srv.AddComment("acme/shop", 7, "someone", b)
			}
			_, got, err := newClient(t, srv).UpsertComment(context.Background(), repo, 7, marker, marker+"\nnew")
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("UpsertComment did %s, want %s", got, tt.want)
			}
			var bodies []string
			for _, c := range srv.Comments("acme/shop", 7) {
				bodies = append(bodies, c.Body)
			}
			if diff := cmp.Diff(tt.wantBodies, bodies); diff != "" {
				t.Errorf("comments (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUpsertComment_TwiceMakesOne(t *testing.T) {
	srv := githubtest.NewServer(t, githubtest.Config{Token: token, MaxPerPage: 2})
	for i := range 3 {
		srv.AddComment("acme/shop", 7, "someone", fmt.Sprint("comment ", i))
	}
	c := newClient(t, srv)
	first, did, err := c.UpsertComment(context.Background(), repo, 7, marker, "run 1")
	if err != nil || did != github.Created {
		t.Fatalf("first upsert: %s, %v", did, err)
	}
	// The new comment is alone on the second page now.
	second, did, err := c.UpsertComment(context.Background(), repo, 7, marker, "run 2")
	if err != nil || did != github.Updated {
		t.Fatalf("second upsert: %s, %v", did, err)
	}
	if first.ID != second.ID {
		t.Errorf("second run updated comment %d, want %d", second.ID, first.ID)
	}
	comments := srv.Comments("acme/shop", 7)
	if len(comments) != 4 || comments[3].Body != marker+"\nrun 2" {
		t.Errorf("comments after two runs: %+v", comments)
	}
}

func TestUpsertComment_Errors(t *testing.T) {
	tests := []struct {
		name    string
		token   string
		fail    string // method to fail
		status  int
		message string
		body    string
		want    string
		wantAPI int // status of the *APIError, 0 for another error
	}{
		{name: "bad token", token: "wrong", want: "401 Unauthorized: Bad credentials (the token is invalid or expired)", wantAPI: 401},
		{
			name: "read-only token", fail: http.MethodPost, status: 403, message: "Resource not accessible by integration",
			want:    "github: POST /repos/acme/shop/issues/7/comments: 403 Forbidden: Resource not accessible by integration (the token may not write comments: give the job `permissions: pull-requests: write`",
			wantAPI: 403,
		},
		{name: "no such pull request", fail: http.MethodGet, status: 404, message: "Not Found", want: "no such repository or pull request", wantAPI: 404},
		{name: "rate limited", fail: http.MethodGet, status: 403, message: "API rate limit exceeded for installation ID 1.", want: "rate limit exhausted: retry later", wantAPI: 403},
		{name: "server error", fail: http.MethodGet, status: 502, message: "Server Error", want: "502 Bad Gateway: Server Error", wantAPI: 502},
		{name: "too long", body: strings.Repeat("x", github.MaxCommentLength), want: "github: comment longer than 65,536 characters: 65561"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := githubtest.NewServer(t, githubtest.Config{Token: token})
			if tt.fail != "" {
				srv.Fail(tt.fail, tt.status, tt.message)
			}
			tok := token
			if tt.token != "" {
				tok = tt.token
			}
			c, err := github.NewClient(tok, github.WithBaseURL(srv.BaseURL()))
			if err != nil {
				t.Fatal(err)
			}
			body := tt.body
			if body == "" {
				body = marker + "\nreport"
			}
			_, _, err = c.UpsertComment(context.Background(), repo, 7, marker, body)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			var apiErr *github.APIError
			if got := errors.As(err, &apiErr); got != (tt.wantAPI != 0) || (got && apiErr.StatusCode != tt.wantAPI) {
				t.Errorf("errors.As(*APIError) = %v (%+v), want status %d", got, apiErr, tt.wantAPI)
			}
			if strings.Contains(err.Error(), tok) {
				t.Errorf("the error shows the token: %v", err)
			}
			if len(srv.Comments("acme/shop", 7)) != 0 {
				t.Errorf("a failed upsert left comments: %+v", srv.Comments("acme/shop", 7))
			}
		})
	}
}

// TestListIssueComments_ForeignLink checks that the token never follows a
// pagination link to another host.
func TestListIssueComments_ForeignLink(t *testing.T) {
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request to the foreign host with Authorization %q", r.Header.Get("Authorization"))
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "<"+elsewhere.URL+"/repos/acme/shop/issues/7/comments?page=2>; rel=\"next\"")
		w.Write([]byte("[]"))
	}))
	defer api.Close()
	c, err := github.NewClient(token, github.WithBaseURL(api.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListIssueComments(context.Background(), repo, 7)
	if err == nil || !strings.Contains(err.Error(), "not following it") {
		t.Errorf("err = %v, want a refusal to follow the link", err)
	}
}

func TestNewClient_Errors(t *testing.T) {
	tests := []struct {
		name, token, url, want string
	}{
		{name: "empty token", token: " ", url: "https://api.github.com", want: "github: empty token"},
		{name: "no scheme", token: "t", url: "api.github.com", want: `github: API URL "api.github.com": want an http or https URL`},
		{name: "ftp", token: "t", url: "ftp://example.com", want: "want an http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := github.NewClient(tt.token, github.WithBaseURL(tt.url))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseRepo(t *testing.T) {
	tests := []struct {
		in      string
		want    github.Repo
		wantErr bool
	}{
		{in: "acme/shop", want: github.Repo{Owner: "acme", Name: "shop"}},
		{in: "my-org/my.repo_2", want: github.Repo{Owner: "my-org", Name: "my.repo_2"}},
		{in: "acme", wantErr: true},
		{in: "acme/shop/extra", wantErr: true},
		{in: "/shop", wantErr: true},
		{in: "acme/..", wantErr: true},
		{in: "acme/sh op", wantErr: true},
		{in: "acme/shop?x=1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := github.ParseRepo(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseRepo(%q) = %+v, %v", tt.in, got, err)
			}
		})
	}
}
