package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// maxCommentPages bounds how many pages of comments UpsertComment reads:
// 100 pages of 100 comments.
const maxCommentPages = 100

// Comment is an issue or pull request comment.
type Comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
	User    struct {
		Login string `json:"login"`
	} `json:"user"`
}

// ListIssueComments returns every comment of issue or pull request number,
// oldest first, following the API's pagination.
func (c *Client) ListIssueComments(ctx context.Context, repo Repo, number int) ([]Comment, error) {
	var all []Comment
	next := fmt.Sprintf("/repos/%s/%s/issues/%d/comments?per_page=100", repo.Owner, repo.Name, number)
	for page := 0; next != ""; page++ {
		if page == maxCommentPages {
			return nil, fmt.Errorf("github: %s#%d: more than %d pages of comments", repo, number, maxCommentPages)
		}
		var comments []Comment
		h, err := c.do(ctx, http.MethodGet, next, nil, &comments)
		if err != nil {
			return nil, err
		}
		all = append(all, comments...)
		next = nextLink(h.Get("Link"))
	}
	return all, nil
}

// CreateIssueComment adds a comment to issue or pull request number.
func (c *Client) CreateIssueComment(ctx context.Context, repo Repo, number int, body string) (Comment, error) {
	var out Comment
	_, err := c.do(ctx, http.MethodPost, fmt.Sprintf("/repos/%s/%s/issues/%d/comments", repo.Owner, repo.Name, number),
		map[string]string{"body": body}, &out)
	return out, err
}

// UpdateIssueComment replaces the body of comment id.
func (c *Client) UpdateIssueComment(ctx context.Context, repo Repo, id int64, body string) (Comment, error) {
	var out Comment
	_, err := c.do(ctx, http.MethodPatch, fmt.Sprintf("/repos/%s/%s/issues/comments/%d", repo.Owner, repo.Name, id),
		map[string]string{"body": body}, &out)
	return out, err
}

// Upsert says what UpsertComment did.
type Upsert string

// What UpsertComment can do.
const (
	Created   Upsert = "created"
	Updated   Upsert = "updated"
	Unchanged Upsert = "unchanged"
)

// ErrCommentTooLong is returned, without calling the API, for a body longer
// than MaxCommentLength: see Fit.
var ErrCommentTooLong = errors.New("github: comment longer than 65,536 characters")

// UpsertComment keeps one sticky comment on issue or pull request number:
// the first comment whose body contains marker is updated in place (left
// alone when it already says body), and one is created when none does. body
// should contain marker, so that the next run finds it; it is added at the
// top when missing.
func (c *Client) UpsertComment(ctx context.Context, repo Repo, number int, marker, body string) (Comment, Upsert, error) {
	if marker == "" {
		return Comment{}, "", errors.New("github: sticky comment without a marker")
	}
	if !strings.Contains(body, marker) {
		body = marker + "\n" + body
	}
	if n := CommentLength(body); n > MaxCommentLength {
		return Comment{}, "", fmt.Errorf("%w: %d", ErrCommentTooLong, n)
	}
	comments, err := c.ListIssueComments(ctx, repo, number)
	if err != nil {
		return Comment{}, "", err
	}
	for _, cm := range comments {
		if !strings.Contains(cm.Body, marker) {
			continue
		}
		if cm.Body == body {
			return cm, Unchanged, nil
		}
		updated, err := c.UpdateIssueComment(ctx, repo, cm.ID, body)
		return updated, Updated, err
	}
	created, err := c.CreateIssueComment(ctx, repo, number, body)
	return created, Created, err
}

// nextLink returns the rel="next" URL of a Link header, or "" on the last
// page: `<https://api.github.com/...&page=2>; rel="next", <...>; rel="last"`.
func nextLink(header string) string {
	for _, link := range strings.Split(header, ",") {
		target, params, ok := strings.Cut(link, ";")
		if !ok {
			continue
		}
		target = strings.TrimSpace(target)
		if !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
			continue
		}
		for _, p := range strings.Split(params, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "rel") && strings.Contains(" "+strings.Trim(v, `"`)+" ", " next ") {
				return target[1 : len(target)-1]
			}
		}
	}
	return ""
}
