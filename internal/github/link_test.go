package github

import "testing"

func TestNextLink(t *testing.T) {
	tests := []struct{ name, header, want string }{
		{name: "none", header: "", want: ""},
		{
			name:   "first page",
			header: `<https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=2>; rel="next", <https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=5>; rel="last"`,
			want:   "https://api.github.com/repositories/1/issues/7/comments?per_page=100&page=2",
		},
		{
			name:   "middle page, next after prev",
			header: `<https://x/a?page=1>; rel="prev", <https://x/a?page=1>; rel="first", <https://x/a?page=3>; rel="next", <https://x/a?page=5>; rel="last"`,
			want:   "https://x/a?page=3",
		},
		{name: "last page", header: `<https://x/a?page=4>; rel="prev", <https://x/a?page=1>; rel="first"`, want: ""},
		{name: "unquoted and spaced", header: `<https://x/a?page=2> ; rel=next`, want: "https://x/a?page=2"},
		{name: "several relations", header: `<https://x/a?page=2>; rel="next last"`, want: "https://x/a?page=2"},
		{name: "garbage", header: `nonsense, <>; rel`, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nextLink(tt.header); got != tt.want {
				t.Errorf("nextLink(%q) = %q, want %q", tt.header, got, tt.want)
			}
		})
	}
}
