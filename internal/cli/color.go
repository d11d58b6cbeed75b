package cli

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// Colour modes of --color.
const (
	colorAuto   = "auto"
	colorAlways = "always"
	colorNever  = "never"
)

// checkColorMode fails on a --color value plangate does not know.
func checkColorMode(mode string) error {
	switch mode {
	case colorAuto, colorAlways, colorNever:
		return nil
	}
	return fmt.Errorf("--color %q: use auto, always or never", mode)
}

// useColor says whether a report written to a stream should carry ANSI
// colours: always and never are what they say; auto colours a terminal
// unless NO_COLOR is set to anything but the empty string (no-color.org).
func useColor(mode string, tty bool, getenv func(string) string) bool {
	switch mode {
	case colorAlways:
		return true
	case colorNever:
		return false
	}
	return tty && getenv("NO_COLOR") == ""
}

// isTerminal reports whether w is a terminal. /dev/null is a character
// device but not a terminal: the check asks the terminal driver.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
