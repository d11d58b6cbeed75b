package pgserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Binaries is an installation of the PostgreSQL server programs.
type Binaries struct {
	// Dir holds initdb and postgres.
	Dir string
	// Version is what `postgres --version` reports, e.g. "15.18".
	Version string
	// Major is the major version, e.g. 15.
	Major int
}

// NoBinariesError is returned when no PostgreSQL server programs are found.
type NoBinariesError struct {
	// Looked lists where plangate looked.
	Looked []string
}

func (e *NoBinariesError) Error() string {
	return fmt.Sprintf("no PostgreSQL server binaries (initdb, postgres) found in %s: install PostgreSQL (e.g. apt-get install postgresql), set postgres.bin_dir in plangate.yaml, or use --backend docker or --backend dsn",
		strings.Join(e.Looked, ", "))
}

var versionRE = regexp.MustCompile(`(\d+)(?:\.(\d+))?`)

// FindBinaries locates the PostgreSQL server programs. A non-empty dir is
// used as is; otherwise PATH, `pg_config --bindir` and
// /usr/lib/postgresql/*/bin are searched and the newest version wins.
func FindBinaries(ctx context.Context, dir string) (Binaries, error) {
	if dir != "" {
		b, err := probeBinaries(ctx, dir)
		if err != nil {
			return Binaries{}, fmt.Errorf("postgres.bin_dir %s: %w", dir, err)
		}
		return b, nil
	}
	var candidates []string
	if p, err := exec.LookPath("postgres"); err == nil {
		candidates = append(candidates, filepath.Dir(p))
	}
	if out, err := exec.CommandContext(ctx, "pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	globbed, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	candidates = append(candidates, globbed...)

	var found []Binaries
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		if b, err := probeBinaries(ctx, c); err == nil {
			found = append(found, b)
		}
	}
	if len(found) == 0 {
		return Binaries{}, &NoBinariesError{Looked: []string{"PATH", "pg_config --bindir", "/usr/lib/postgresql/*/bin"}}
	}
	sort.SliceStable(found, func(i, j int) bool { return versionLess(found[j].Version, found[i].Version) })
	return found[0], nil
}

func probeBinaries(ctx context.Context, dir string) (Binaries, error) {
	for _, prog := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, prog)); err != nil {
			return Binaries{}, fmt.Errorf("no %s there", prog)
		}
	}
	out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output()
	if err != nil {
		return Binaries{}, fmt.Errorf("postgres --version: %w", err)
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return Binaries{}, errors.New("postgres --version: no version in " + strings.TrimSpace(string(out)))
	}
	major, _ := strconv.Atoi(m[1])
	return Binaries{Dir: dir, Version: strings.TrimSuffix(m[0], "."), Major: major}, nil
}

// versionLess orders dotted version strings numerically.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}
