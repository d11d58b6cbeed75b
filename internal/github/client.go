// Package github publishes plangate's reports where GitHub users look: one
// sticky pull request comment kept up to date through the REST API, the job
// summary, step outputs and annotations of GitHub Actions. It needs nothing
// but net/http; the API's base URL is configurable for GitHub Enterprise
// Server and for tests.
package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the REST API of github.com. GitHub Enterprise Server's is
// https://HOST/api/v3, which Actions gives as $GITHUB_API_URL.
const DefaultBaseURL = "https://api.github.com"

// apiVersion is the REST API version the client speaks.
const apiVersion = "2022-11-28"

// maxResponseBytes bounds what the client reads of one response.
const maxResponseBytes = 16 << 20

// Client calls the GitHub REST API with one token.
type Client struct {
	base      *url.URL
	token     string
	http      *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client) error

// WithBaseURL sets the REST API's base URL, e.g. $GITHUB_API_URL; the
// default is DefaultBaseURL. A path in it (GitHub Enterprise Server's
// /api/v3) is kept.
func WithBaseURL(raw string) Option {
	return func(c *Client) error {
		u, err := url.Parse(strings.TrimRight(raw, "/"))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("github: API URL %q: want an http or https URL such as %s", raw, DefaultBaseURL)
		}
		c.base = u
		return nil
	}
}

// WithHTTPClient sets the HTTP client requests go through; the default has
// a 30-second timeout.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) error {
		c.http = hc
		return nil
	}
}

// WithUserAgent sets the User-Agent header GitHub requires; the default is
// "plangate".
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.userAgent = ua
		return nil
	}
}

// NewClient returns a client that authenticates with token (a GITHUB_TOKEN,
// an installation or a personal access token).
func NewClient(token string, opts ...Option) (*Client, error) {
	if strings.TrimSpace(token) == "" {
		return nil, errors.New("github: empty token")
	}
	base, _ := url.Parse(DefaultBaseURL)
	c := &Client{base: base, token: token, http: &http.Client{Timeout: 30 * time.Second}, userAgent: "plangate"}
	for _, opt := range opts {
		if err := opt(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Repo names a repository.
type Repo struct {
	Owner, Name string
}

// ParseRepo parses "owner/name", as $GITHUB_REPOSITORY has it.
func ParseRepo(s string) (Repo, error) {
	owner, name, ok := strings.Cut(s, "/")
	if !ok || !repoPart(owner) || !repoPart(name) {
		return Repo{}, fmt.Errorf("github: repository %q: want owner/name", s)
	}
	return Repo{Owner: owner, Name: name}, nil
}

// repoPart reports whether s can be an owner or a repository name: GitHub
// allows letters, digits, '-', '_' and '.'.
func repoPart(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// String returns "owner/name".
func (r Repo) String() string { return r.Owner + "/" + r.Name }

// APIError is a response of the GitHub API other than a success.
type APIError struct {
	// Method and Path are the request's, e.g. "PATCH" and
	// "/repos/o/r/issues/comments/1".
	Method, Path string
	// StatusCode is the HTTP status, e.g. 403.
	StatusCode int
	// Message is GitHub's own explanation, when it gave one.
	Message string
	// RateLimited is set when the error comes from an exhausted rate limit.
	RateLimited bool
}

// Error says what failed and, for the usual causes, how to fix it.
func (e *APIError) Error() string {
	msg := fmt.Sprintf("github: %s %s: %d %s", e.Method, e.Path, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if hint := e.hint(); hint != "" {
		msg += " (" + hint + ")"
	}
	return msg
}

func (e *APIError) hint() string {
	switch {
	case e.RateLimited:
		return "rate limit exhausted: retry later"
	case e.StatusCode == http.StatusUnauthorized:
		return "the token is invalid or expired"
	case e.StatusCode == http.StatusForbidden:
		return "the token may not write comments: give the job `permissions: pull-requests: write`; pull requests from forks get a read-only GITHUB_TOKEN"
	case e.StatusCode == http.StatusNotFound:
		return "no such repository or pull request, or the token cannot see it"
	}
	return ""
}

// do sends one request to target (a path under the base URL, or an absolute
// URL on the same host) and decodes a JSON response into out. It returns
// the response's headers.
func (c *Client) do(ctx context.Context, method, target string, in, out any) (http.Header, error) {
	u, err := c.resolve(target)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("github: %s %s: %w", method, u.Path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("github: %s %s: %w", method, u.Path, err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-GitHub-Api-Version", apiVersion)
	req.Header.Set("User-Agent", c.userAgent)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// The URL holds no secret, but a transport error may repeat it at
		// length: keep the method and path only.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("github: %s %s: %w", method, u.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("github: %s %s: reading the response: %w", method, u.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := &APIError{Method: method, Path: u.Path, StatusCode: resp.StatusCode}
		var ghErr struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(data, &ghErr) == nil {
			apiErr.Message = ghErr.Message
		}
		apiErr.RateLimited = (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) &&
			(resp.Header.Get("X-RateLimit-Remaining") == "0" || strings.Contains(strings.ToLower(apiErr.Message), "rate limit"))
		return resp.Header, apiErr
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.Header, fmt.Errorf("github: %s %s: decoding the response: %w", method, u.Path, err)
		}
	}
	return resp.Header, nil
}

// resolve turns a path into a URL under the base URL. An absolute URL, as
// pagination links are, must be on the base URL's host: the token is never
// sent anywhere else.
func (c *Client) resolve(target string) (*url.URL, error) {
	if strings.HasPrefix(target, "/") {
		u := *c.base
		path, query, _ := strings.Cut(target, "?")
		u.Path = strings.TrimRight(c.base.Path, "/") + path
		u.RawPath = ""
		u.RawQuery = query
		return &u, nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("github: link %q: %w", target, err)
	}
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, fmt.Errorf("github: link %q leaves %s: not following it", target, c.base.Host)
	}
	return u, nil
}
