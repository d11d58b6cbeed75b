package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestUseColor(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	cases := []struct {
		mode    string
		tty     bool
		noColor string
		want    bool
	}{
		{colorAuto, true, "", true},
		{colorAuto, false, "", false},
		{colorAuto, true, "1", false},
		{colorAlways, false, "1", true},
		{colorNever, true, "", false},
	}
	for _, c := range cases {
		if got := useColor(c.mode, c.tty, env(c.noColor)); got != c.want {
			t.Errorf("useColor(%s, tty=%v, NO_COLOR=%q) = %v, want %v", c.mode, c.tty, c.noColor, got, c.want)
		}
	}
}

func TestDevNullIsNotATerminal(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Errorf("%s reported as a terminal", os.DevNull)
	}
}

func TestColorFlagRejectsUnknownMode(t *testing.T) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"check", "--color", "sometimes"}, strings.NewReader(""), &out, &errb)
	if code != ExitError || !strings.Contains(errb.String(), `--color "sometimes": use auto, always or never`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

func TestModuleVersion(t *testing.T) {
	for in, want := range map[string]string{"": "dev", "(devel)": "dev", "v1.2.3": "v1.2.3"} {
		if got := moduleVersion(in); got != want {
			t.Errorf("moduleVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
