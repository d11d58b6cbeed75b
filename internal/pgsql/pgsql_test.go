package pgsql

import "testing"

func TestLiteral(t *testing.T) {
	for in, want := range map[string]string{
		"":              "''",
		"4MB":           "'4MB'",
		"it's":          "'it''s'",
		`back\slash`:    `'back\slash'`,
		"plangate run:": "'plangate run:'",
	} {
		if got := Literal(in); got != want {
			t.Errorf("Literal(%q) = %s, want %s", in, got, want)
		}
	}
}
