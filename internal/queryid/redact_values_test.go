package queryid

import (
	"slices"
	"testing"
)

func TestRedactValues(t *testing.T) {
	tests := []struct {
		name, text string
		values     []string
		want       string
	}{
		{"quoted", `invalid input syntax for type integer: "SECRET"`, []string{"SECRET"}, `invalid input syntax for type integer: "?"`},
		{"in a detail", `duplicate key (Key (email)=(a@b.example) already exists.)`, []string{"a@b.example"}, `duplicate key (Key (email)=(?) already exists.)`},
		{"inside a word", `relation "accounts" does not exist`, []string{"a", "count"}, `relation "accounts" does not exist`},
		{"inside a number", `value 1234 out of range`, []string{"23"}, `value 1234 out of range`},
		{"a number", `value 1234 out of range`, []string{"1234"}, `value ? out of range`},
		{"longer first", `"ab abc"`, []string{"ab", "abc"}, `"? ?"`},
		{"punctuation", `got -5 and 'x'`, []string{"-5", "'x'"}, `got ? and ?`},
		{"several times", `SECRET: SECRET.`, []string{"SECRET"}, `?: ?.`},
		{"empty value", `text`, []string{""}, `text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactValues(tt.text, tt.values); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestConstants(t *testing.T) {
	got := Constants(`SELECT 'it''s', E'x\n', $q$dollar$q$, 42, 1.5 FROM t WHERE a = $1`)
	want := []string{"it's", `x\n`, "dollar", "42", "1.5"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
